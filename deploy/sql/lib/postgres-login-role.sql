-- Included by the PostgreSQL role scripts: creates the login role :role if it is missing, gives it
-- :role_attributes (set by the including script), a password when -v password=... is given, and
-- CONNECT on this database. Other attributes of an existing role are left as they are.
\if :{?role}
\else
DO $$BEGIN RAISE EXCEPTION 'no role given: run psql with -v role=<name> (see deploy/sql/README.md)'; END$$;
\endif
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I %s', :'role', :'role_attributes') \gexec
\if :{?password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') \gexec
\endif
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role') \gexec
