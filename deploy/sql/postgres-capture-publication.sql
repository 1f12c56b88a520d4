-- The publication `paysync capture` streams, made by the owner of the tables (only a table's owner
-- may publish it; CREATE PUBLICATION also needs CREATE on the database), or by a superuser:
--   psql -d <source> -v publication=paysync -v tables=public.accounts,public.transfers -f deploy/sql/postgres-capture-publication.sql
-- Creates it for exactly these tables, or adds those it lacks (tables of several owners: each owner
-- runs it with their tables). Publishes inserts, updates, deletes and truncates (the default).
\set ON_ERROR_STOP on
BEGIN;
\if :{?publication}
\else
\set publication paysync
\endif
\set tables_must_exist true
\ir lib/postgres-table-list.sql
SELECT format('CREATE PUBLICATION %I FOR TABLE %s', :'publication', string_agg(format('%I.%I', schema_name, table_name), ', '))
  FROM paysync_tables HAVING NOT EXISTS (SELECT FROM pg_publication WHERE pubname = :'publication') \gexec
SELECT format('ALTER PUBLICATION %I ADD TABLE %I.%I', :'publication', schema_name, table_name)
  FROM paysync_tables t
 WHERE NOT EXISTS (SELECT FROM pg_publication_tables p WHERE p.pubname = :'publication' AND p.schemaname = t.schema_name AND p.tablename = t.table_name) \gexec
COMMIT;
