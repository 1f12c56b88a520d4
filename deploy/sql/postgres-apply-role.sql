-- The role of `paysync apply` on a PostgreSQL target. Run by a superuser, connected to the target:
--   psql -d <target> -v role=paysync_apply -v tables=public.accounts,public.transfers [-v create_tables=on] [-v bidirectional=on] [-v password=...] -f deploy/sql/postgres-apply-role.sql
-- tables: the target names (PAYSYNC_TABLE_MAPPING's, if set). See README.md here.
\set ON_ERROR_STOP on
BEGIN;
\if :{?create_tables}
\else
\set create_tables off
\endif
\if :{?bidirectional}
\else
\set bidirectional off
\endif
\set role_attributes LOGIN
\ir lib/postgres-login-role.sql
\if :create_tables
\set tables_must_exist false
\else
\set tables_must_exist true
\endif
\ir lib/postgres-table-list.sql
\if :create_tables
-- apply creates the missing tables (and owns them, so it may add columns the source gains).
SELECT DISTINCT format('CREATE SCHEMA %I AUTHORIZATION %I', schema_name, :'role') FROM paysync_tables t
 WHERE NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = t.schema_name) \gexec
SELECT DISTINCT format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', schema_name, :'role') FROM paysync_tables \gexec
\else
SELECT DISTINCT format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, :'role') FROM paysync_tables \gexec
\endif
-- Upserts and deletes by key (INSERT ... ON CONFLICT DO UPDATE, DELETE ... USING read the table too).
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I.%I TO %I', schema_name, table_name, :'role') FROM paysync_tables WHERE table_exists \gexec
-- Offsets and row versions (paysync.apply_offsets, paysync.row_versions).
\ir lib/postgres-bookkeeping-schema.sql
\if :bidirectional
-- PAYSYNC_BIDIRECTIONAL: apply marks its transactions with replication origins it creates
-- (PostgreSQL 14 or later; before, only a superuser may).
SELECT format('GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text), pg_replication_origin_session_setup(text) TO %I', :'role') \gexec
\endif
COMMIT;
