-- The role of `paysync capture` on the source database. Run by a superuser, connected to the source:
--   psql -d <source> -v role=paysync_capture -v tables=public.accounts,public.transfers [-v password=...] -f deploy/sql/postgres-capture-role.sql
-- The publication is made by the tables' owner: postgres-capture-publication.sql. See README.md here.
\set ON_ERROR_STOP on
BEGIN;
-- REPLICATION: creating the slot and streaming the WAL (replication protocol).
\set role_attributes 'LOGIN REPLICATION'
\ir lib/postgres-login-role.sql
\set tables_must_exist true
\ir lib/postgres-table-list.sql
-- The snapshot and the reconciler's re-reads read the tables.
SELECT DISTINCT format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, :'role') FROM paysync_tables \gexec
SELECT format('GRANT SELECT ON TABLE %I.%I TO %I', schema_name, table_name, :'role') FROM paysync_tables \gexec
-- Watermarks and heartbeats are logical messages (PUBLIC may run it by default; this survives a REVOKE).
SELECT format('GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO %I', :'role') \gexec
-- Snapshot progress and requests (paysync.capture_snapshot_progress, paysync.capture_snapshot_requests).
\ir lib/postgres-bookkeeping-schema.sql
COMMIT;
