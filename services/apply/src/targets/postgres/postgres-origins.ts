import { applyOriginName } from '@paysync/contract';
import { quoteIdent, type Queryable } from '@paysync/postgres';
import type { PrivilegeProblem } from '../missing-privileges';

/** Origins one group may use at once: apply connections of all its members (PAYSYNC_APPLY_CONCURRENCY each). */
const ORIGINS_PER_GROUP = 64;

const ORIGIN_FUNCTIONS = ['pg_replication_origin_create(text)', 'pg_replication_origin_session_setup(text)'];

/** No origin of the group could be set up: a configuration limit, so apply stops (retrying would not help). */
export class OriginUnavailableError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'OriginUnavailableError';
  }
}

/**
 * Marks every later transaction of this session with one of the group's replication origins, so
 * pgoutput tells the target's capture who wrote it (echo suppression, docs/bidirectional.md).
 * PostgreSQL lets one session at a time use an origin: the session takes the first one free,
 * creating it when missing. Runs outside a transaction; lasts as long as the connection.
 */
export async function takeApplyOrigin(db: Queryable, groupId: string): Promise<string> {
  for (let index = 0; index < ORIGINS_PER_GROUP; index++) {
    const name = applyOriginName(groupId, index);
    for (;;) {
      try {
        await db.query('SELECT pg_replication_origin_session_setup($1)', [name]);
        return name;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === '55006') break; // in use by another session: the next one
        if (code === '42704') {
          await createOrigin(db, name);
          continue;
        }
        if (code === '53400') {
          throw new OriginUnavailableError(
            `the target has no free replication origin state for ${name} (${(err as Error).message})`,
            'raise max_replication_slots on the target (it also bounds replication origins in use), or drop origins no longer used: SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE ...',
          );
        }
        throw err;
      }
    }
  }
  throw new OriginUnavailableError(
    `all ${ORIGINS_PER_GROUP} replication origins of group ${groupId} are in use by other sessions`,
    `run fewer apply connections of the group (members × PAYSYNC_APPLY_CONCURRENCY ≤ ${ORIGINS_PER_GROUP})`,
  );
}

async function createOrigin(db: Queryable, name: string): Promise<void> {
  try {
    await db.query('SELECT pg_replication_origin_create($1)', [name]);
  } catch (err) {
    // Another session of the group created it first.
    if ((err as { code?: string }).code !== '23505') throw err;
  }
}

/** What the role lacks to tag its transactions (EXECUTE on the origin functions, grantable from PostgreSQL 14). */
export async function missingOriginPrivileges(db: Queryable): Promise<PrivilegeProblem[]> {
  const { rows } = await db.query<{ role: string; lacking: string }>(
    `SELECT current_user AS role,
            array_to_string(ARRAY(SELECT f FROM unnest($1::text[]) AS f WHERE NOT has_function_privilege(f, 'EXECUTE')), ', ') AS lacking`,
    [ORIGIN_FUNCTIONS],
  );
  const { role, lacking } = rows[0];
  if (!lacking) return [];
  return [
    {
      problem: `role ${quoteIdent(role)} may not mark its transactions with a replication origin (PAYSYNC_BIDIRECTIONAL): no EXECUTE on ${lacking}`,
      fix: `as a superuser, on PostgreSQL 14 or later: GRANT EXECUTE ON FUNCTION ${ORIGIN_FUNCTIONS.join(', ')} TO ${quoteIdent(role)};`,
    },
  ];
}
