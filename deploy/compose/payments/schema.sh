#!/bin/sh
# Makes the compose pipeline's source once: the database payments with demo/payments-workload.ts's
# tables and 100 accounts (schema.sql). Run by docker-compose.yml's payments-schema service, in
# the postgres image, with PGHOST, PGUSER and PGPASSWORD set; a second run changes nothing.
set -eu
one() { [ "$(psql -v ON_ERROR_STOP=1 -d "$1" -tAc "$2")" = 1 ]; }
one paysync_source "SELECT count(*) FROM pg_database WHERE datname = 'payments'" \
  || psql -v ON_ERROR_STOP=1 -d paysync_source -c 'CREATE DATABASE payments'
# One transaction: either every table and account is there, or none and the next run makes them.
one payments "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'accounts'" \
  || psql -v ON_ERROR_STOP=1 --single-transaction -d payments -f /payments/schema.sql
echo 'payments source ready'
