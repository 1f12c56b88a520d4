-- Included by the capture and apply scripts: paysync keeps its own tables in schema paysync. The
-- schema is created here, owned by :role, so the service creates its tables in it without CREATE on
-- the database. If the schema already exists (another owner), :role may use it and create in it,
-- and reads and writes the tables already there (left by an earlier run under another role).
SELECT format('CREATE SCHEMA paysync AUTHORIZATION %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'paysync') \gexec
SELECT format('GRANT USAGE, CREATE ON SCHEMA paysync TO %I', :'role') \gexec
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA paysync TO %I', :'role') \gexec
