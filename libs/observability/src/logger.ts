import pino, { type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const SECRET_KEYS = ['password', 'passwd', 'secret', 'token', 'authorization', 'sasl', 'connectionString', 'url', 'sourceUrl', 'targetUrl', 'schemaRegistryUrl'];

/** Hides the password of any URL inside a string: postgres://user:secret@host -> postgres://user:***@host. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

export function createLogger(options: { service: string; level?: LevelWithSilent; destination?: pino.DestinationStream }): Logger {
  const paths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      name: options.service,
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Error messages from drivers may quote a connection string; strip credentials from them.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrlCredentials(a) : a)) as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: Error) => {
          const serialized = pino.stdSerializers.err(err);
          serialized.message = redactUrlCredentials(serialized.message);
          if (serialized.stack) serialized.stack = redactUrlCredentials(serialized.stack);
          return serialized;
        },
      },
    },
    options.destination,
  );
}
