-- The schema registry's own database in the compose stack's PostgreSQL (run once, when the postgres
-- service first makes its data directory): Apicurio creates its tables in it at start.
CREATE ROLE paysync_registry LOGIN PASSWORD 'compose-local-registry-password';
CREATE DATABASE paysync_registry OWNER paysync_registry;
