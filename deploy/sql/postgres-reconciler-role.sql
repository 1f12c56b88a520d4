-- The role of `paysync reconcile`, read-only, on the source and on a PostgreSQL target (run once on
-- each, by a superuser):
--   source: psql -d <source> -v role=paysync_reconciler -v tables=public.accounts,... [-v repair=on] -f deploy/sql/postgres-reconciler-role.sql
--   target: psql -d <target> -v role=paysync_reconciler -v tables=<target names> -v apply_role=paysync_apply -f deploy/sql/postgres-reconciler-role.sql
-- See README.md here.
\set ON_ERROR_STOP on
BEGIN;
\if :{?repair}
\else
\set repair off
\endif
\set role_attributes LOGIN
\ir lib/postgres-login-role.sql
-- On a target, apply may create the tables after this runs (apply_role's default privileges cover them).
\if :{?apply_role}
\set tables_must_exist false
\else
\set tables_must_exist true
\endif
\ir lib/postgres-table-list.sql
SELECT DISTINCT format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, :'role') FROM paysync_tables \gexec
SELECT format('GRANT SELECT ON TABLE %I.%I TO %I', schema_name, table_name, :'role') FROM paysync_tables WHERE table_exists \gexec
\if :{?apply_role}
SELECT format('DO $$BEGIN RAISE EXCEPTION %L; END$$', 'schema paysync is missing: run postgres-apply-role.sql on this database first')
 WHERE NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'paysync') \gexec
-- The fence reads apply's offsets (paysync.apply_offsets); tables apply creates later become readable too.
SELECT format('GRANT USAGE ON SCHEMA paysync TO %I', :'role') \gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA paysync TO %I', :'role') \gexec
SELECT DISTINCT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT ON TABLES TO %I', :'apply_role', schema_name, :'role')
  FROM (SELECT schema_name FROM paysync_tables UNION SELECT 'paysync') s \gexec
\endif
\if :repair
-- PAYSYNC_RECONCILE_REPAIR=true writes a paysync.reread logical message into the source's WAL.
SELECT format('GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO %I', :'role') \gexec
\endif
COMMIT;
