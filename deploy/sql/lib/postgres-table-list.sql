-- Included by the PostgreSQL scripts: -v tables=schema.table,... (as in PAYSYNC_TABLES: split at the
-- first dot, case-sensitive, no quotes) into the temporary table paysync_tables. Fails on an entry
-- without a schema and, when :tables_must_exist is true, on a table that does not exist.
\if :{?tables}
\else
DO $$BEGIN RAISE EXCEPTION 'no tables given: run psql with -v tables=schema.table,schema.table (see deploy/sql/README.md)'; END$$;
\endif
CREATE TEMPORARY TABLE paysync_tables AS
SELECT listed, split_part(listed, '.', 1) AS schema_name, substr(listed, strpos(listed, '.') + 1) AS table_name,
       EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = split_part(listed, '.', 1) AND c.relname = substr(listed, strpos(listed, '.') + 1)) AS table_exists
  FROM unnest(string_to_array(:'tables', ',')) AS item, btrim(item) AS listed
 WHERE listed <> '';
SELECT format('DO $$BEGIN RAISE EXCEPTION %L; END$$', 'not schema.table: ' || string_agg(listed, ', '))
  FROM paysync_tables WHERE strpos(listed, '.') = 0 HAVING count(*) > 0 \gexec
\if :tables_must_exist
SELECT format('DO $$BEGIN RAISE EXCEPTION %L; END$$', 'no such table in database ' || current_database() || ': ' || string_agg(listed, ', '))
  FROM paysync_tables WHERE NOT table_exists HAVING count(*) > 0 \gexec
\endif
