/**
 * An outside system refused what a setting says (a wrong password, an untrusted CA, a certificate
 * for another host, a plaintext client at a TLS listener): retrying cannot help, so the command
 * stops with one line naming the setting, what went wrong and what to do.
 */
export class SettingError extends Error {
  constructor(
    readonly settings: readonly string[],
    problem: string,
    fix: string,
  ) {
    super(`${settings.join(' / ')}: ${problem}. ${fix}`);
    this.name = 'SettingError';
  }
}

/** Node's codes for a peer certificate that TLS verification refused. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The error itself or one it wraps (kafkajs and pg wrap socket errors). */
export function* causes(err: unknown): Generator<{ code?: string; message?: string }> {
  for (let e = err as { code?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    yield e;
    e = (e.cause ?? e.originalError) as typeof e;
  }
}

type TlsFailure = 'untrusted' | 'expired' | 'wrong-host' | 'handshake';

/** What kind of TLS failure an error is, if it is one. */
function tlsFailureOf(err: unknown): TlsFailure | undefined {
  for (const e of causes(err)) {
    const code = e.code ?? '';
    // Some clients (the registry's HTTP layer) keep only Node's message, not its code.
    const message = e.message ?? '';
    if (UNTRUSTED.has(code) || /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate/i.test(message)) return 'untrusted';
    if (EXPIRED.has(code) || /certificate has expired|certificate is not yet valid/i.test(message)) return 'expired';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/i.test(message)) return 'wrong-host';
    if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number|ssl3_get_record|tlsv1 alert|handshake failure|packet length too long|before secure TLS connection was established/i.test(message)) return 'handshake';
  }
  return undefined;
}

/** The words for a TLS failure: what the server's certificate or handshake did wrong. */
function tlsFailureText(failure: TlsFailure, server: string): string {
  switch (failure) {
    case 'untrusted':
      return `the certificate of ${server} is not signed by a trusted CA`;
    case 'expired':
      return `the certificate of ${server} has expired or is not valid yet`;
    case 'wrong-host':
      return `the certificate of ${server} does not name that host`;
    case 'handshake':
      return `the TLS handshake with ${server} failed (is it a TLS endpoint? does it want a client certificate?)`;
  }
}

/** Which settings a kind of TLS failure points at, and what to do about it. */
interface TlsFix {
  settings: string[];
  fix: string;
  /** Said after the failure, e.g. which mode checked it. */
  note?: string;
}

export interface TlsFixes {
  /** Not signed by a trusted CA, or expired. */
  untrusted: TlsFix;
  wrongHost: TlsFix;
  handshake: TlsFix;
}

/** The SettingError for an error that is a TLS failure with `server`, or undefined if it is not one. */
export function tlsSettingError(err: unknown, server: string, fixes: TlsFixes): SettingError | undefined {
  const failure = tlsFailureOf(err);
  if (failure === undefined) return undefined;
  const { settings, fix, note = '' } = failure === 'wrong-host' ? fixes.wrongHost : failure === 'handshake' ? fixes.handshake : fixes.untrusted;
  return new SettingError(settings, `${tlsFailureText(failure, server)}${note}`, fix);
}
