# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

# ---------------------------------------------------------------------------------------------
# PostgreSQL (own cluster in .stack/pg, run as the postgres OS user when we are root)
# ---------------------------------------------------------------------------------------------
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_ctl_status() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
psql_admin() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres "$@"
}

PG_LISTEN='127.0.0.1,127.0.0.2'
start_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "postgres: OS user 'postgres' is missing (it comes with Debian's postgresql-common)"
  fi
  mkdir -p "$PG_HOME" "$PG_SOCK"
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres: "$PG_HOME" "$PG_SOCK"
    runuser -u postgres -- test -w "$PG_HOME" \
      || die "postgres: the postgres OS user cannot write $PG_HOME (a parent folder is not traversable?)"
  fi

  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: initdb $PG_DATA"
    rm -rf "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_HOME/initdb.log" 2>&1 \
      || die "postgres: initdb failed" "$PG_HOME/initdb.log"
    grep -q "include_if_exists = 'paysync.conf'" "$PG_DATA/postgresql.conf" \
      || echo "include_if_exists = 'paysync.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  # PostgreSQL refuses a key file others may read, and runs as postgres: it gets its own copies
  local f
  mkdir -p "$PG_HOME/tls"
  for f in ca.crt server.crt server.key; do
    if ! cmp -s "$TLS_DIR/$f" "$PG_HOME/tls/$f"; then
      if [[ "$(id -u)" == 0 ]]; then
        install -m 0600 -o postgres -g "$(id -gn postgres)" "$TLS_DIR/$f" "$PG_HOME/tls/$f"
      else
        install -m 0600 "$TLS_DIR/$f" "$PG_HOME/tls/$f"
      fi
    fi
  done
  [[ "$(id -u)" == 0 ]] && chown postgres: "$PG_HOME/tls"

  # settings and access rules are (re)written every time; applied on (re)start
  # (127.0.0.2 answers too: the certificate does not name it, for hostname-mismatch tests)
  as_pg tee "$PG_DATA/paysync.conf" >/dev/null <<EOF
# written by scripts/stack/up.sh
listen_addresses = '$PG_LISTEN'
port = $PG_PORT
ssl = on
ssl_cert_file = '$PG_HOME/tls/server.crt'
ssl_key_file = '$PG_HOME/tls/server.key'
ssl_ca_file = '$PG_HOME/tls/ca.crt'
unix_socket_directories = '$PG_SOCK'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 200
fsync = off
# on, as on a payments database: a commit's WAL is flushed (without fsync here) and reaches the
# WAL sender at once, instead of up to wal_writer_delay (200 ms) later.
synchronous_commit = on
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  as_pg tee "$PG_DATA/pg_hba.conf" >/dev/null <<'EOF'
# written by scripts/stack/up.sh
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
local   replication  all                  trust
host    all          all   127.0.0.0/8    scram-sha-256
host    replication  all   127.0.0.0/8    scram-sha-256
host    all          all   ::1/128        scram-sha-256
host    replication  all   ::1/128        scram-sha-256
EOF

  # a server that is just starting, or just dying (e.g. after a crash), gets a few seconds to settle
  local settle=$((SECONDS + 15))
  while pg_ctl_status && ! port_open "$PG_PORT" && ((SECONDS < settle)); do sleep 0.3; done
  if pg_ctl_status && port_open "$PG_PORT"; then
    head -n1 "$PG_DATA/postmaster.pid" >"$PIDS/postgres.pid"
    if [[ "$(psql_admin -tAc "SELECT current_setting('ssl') || ' ' || current_setting('listen_addresses')")" != "on $PG_LISTEN" ]]; then
      die "postgres: pid $(pid_of postgres) runs without TLS or on other addresses (started by an older up.sh?); run scripts/stack/down.sh first"
    fi
    log "postgres: already running (pid $(pid_of postgres))"
  else
    if pg_ctl_status; then
      die "postgres: running but port $PG_PORT does not answer; run scripts/stack/down.sh first" "$PG_HOME/postgres.log"
    fi
    port_open "$PG_PORT" && die "postgres: port $PG_PORT is used by a process that is not ours"
    log "postgres: starting on 127.0.0.1:$PG_PORT"
    rm -f "$PIDS/postgres.pid"
    touch "$PG_HOME/postgres.log"; [[ "$(id -u)" == 0 ]] && chown postgres: "$PG_HOME/postgres.log"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/postgres.log" -w -t 60 start >"$PG_HOME/pg_ctl.log" 2>&1 \
      || die "postgres: pg_ctl start failed" "$PG_HOME/postgres.log"
    head -n1 "$PG_DATA/postmaster.pid" >"$PIDS/postgres.pid"
    log "postgres: ready (pid $(pid_of postgres))"
  fi

  # The registry's role gets its generated password through a psql variable on stdin (never on a
  # command line); it owns its database, where Apicurio makes its tables.
  {
    printf '\\set registry_password %s\n' "$REGISTRY_DB_PASSWORD"
    cat <<'EOF'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paysync') THEN
    CREATE ROLE paysync LOGIN SUPERUSER REPLICATION PASSWORD 'paysync';
  ELSE
    ALTER ROLE paysync LOGIN SUPERUSER REPLICATION PASSWORD 'paysync';
  END IF;
END
$$;
SELECT 'CREATE DATABASE paysync_source OWNER paysync'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'paysync_source') \gexec
SELECT 'CREATE DATABASE paysync_target OWNER paysync'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'paysync_target') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'registry_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'registry_user') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER PASSWORD %L', :'registry_user', :'registry_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'registry_db', :'registry_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'registry_db') \gexec
EOF
  } | psql_admin -v registry_user="$REGISTRY_DB_USER" -v registry_db="$REGISTRY_DB" >"$PG_HOME/setup.log" 2>&1 \
    || die "postgres: creating roles/databases failed" "$PG_HOME/setup.log"
}
