/**
 * Bidirectional sync: apply marks what it writes into a PostgreSQL target with a replication origin
 * of this prefix, and a capture of that database with PAYSYNC_SKIP_APPLIED_CHANGES drops every
 * transaction carrying one, so a change never echoes back to the side it came from. Only paysync's
 * origins are dropped: PostgreSQL's own subscriptions (pg_<oid>) and other tools' stay captured.
 */
export const APPLY_ORIGIN_PREFIX = 'paysync.apply.';

/**
 * PostgreSQL lets one session at a time use an origin, and apply writes on several connections at
 * once (PAYSYNC_APPLY_CONCURRENCY, several members of a group): each connection takes the first
 * free origin of its group's numbered ones.
 */
export function applyOriginName(groupId: string, index: number): string {
  return `${APPLY_ORIGIN_PREFIX}${groupId}.${index}`;
}

export function isApplyOrigin(originName: string): boolean {
  return originName.startsWith(APPLY_ORIGIN_PREFIX);
}
