#!/usr/bin/env bash
# Brings up the local test stack without Docker (DESIGN.md section 7), idempotently:
#   PostgreSQL (wal_level=logical)  127.0.0.1:${PAYSYNC_STACK_PG_PORT:-55432}
#   MariaDB                         127.0.0.1:${PAYSYNC_STACK_MYSQL_PORT:-53306}
#   Kafka 3.9.1, KRaft single node  127.0.0.1:${PAYSYNC_STACK_KAFKA_PORT:-59092} (controller :59093)
#   Apicurio Registry 3.0.9         127.0.0.1:${PAYSYNC_STACK_REGISTRY_PORT:-58081}, ccompat API /apis/ccompat/v7
# Everything lives in <repo>/.stack (jars in .stack/cache); pids in .stack/pids; addresses in .stack/env.
# Takes down with scripts/stack/down.sh.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
mkdir -p "$STACK" "$CACHE" "$PIDS"

# ---------------------------------------------------------------------------------------------
# packages
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  [[ "$(id -u)" == 0 ]] || die "missing packages ($*) and not root: install them first"
  if [[ $APT_UPDATED == 0 ]]; then
    log "apt-get update"
    apt-get update -qq >"$STACK/apt.log" 2>&1 || die "apt-get update failed" "$STACK/apt.log"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$STACK/apt.log" 2>&1 \
    || die "apt-get install $* failed" "$STACK/apt.log"
}

find_pg_bin() {
  PG_BIN=""
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then PG_BIN="$d"; return; fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    PG_BIN="$(dirname "$(readlink -f "$(command -v initdb)")")"
  fi
}
find_maria_bin() {
  MARIADBD="$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -n1 || true)"
  MARIA_INSTALL_DB="$(command -v mariadb-install-db || command -v mysql_install_db || true)"
  MARIA_CLIENT="$(command -v mariadb || command -v mysql || true)"
  MARIA_ADMIN="$(command -v mariadb-admin || command -v mysqladmin || true)"
}

NEED=()
find_pg_bin
[[ -n "$PG_BIN" ]] || NEED+=(postgresql postgresql-client)
find_maria_bin
[[ -n "$MARIADBD" && -n "$MARIA_INSTALL_DB" && -n "$MARIA_CLIENT" && -n "$MARIA_ADMIN" ]] || NEED+=(mariadb-server mariadb-client)
find_java
[[ -n "$JAVA" ]] || NEED+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || NEED+=(maven)
command -v curl >/dev/null || NEED+=(curl)
if ((${#NEED[@]})); then
  apt_install "${NEED[@]}"
  find_pg_bin; find_maria_bin; find_java
  [[ -n "$PG_BIN" ]] || die "PostgreSQL binaries (initdb, pg_ctl) not found after install"
  [[ -n "$MARIADBD" && -n "$MARIA_INSTALL_DB" ]] || die "MariaDB binaries not found after install"
  [[ -n "$JAVA" ]] || die "java not found after install"
fi
JAVA_MAJOR="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
[[ "${JAVA_MAJOR:-0}" -ge 17 ]] || die "java 17+ needed (found: $("$JAVA" -version 2>&1 | head -n1))"

# ---------------------------------------------------------------------------------------------
# jars (Kafka, Apicurio) through stack/pom.xml, cached in .stack/cache
# ---------------------------------------------------------------------------------------------
POM="$REPO_ROOT/stack/pom.xml"
POM_SUM="$(sha256sum "$POM" | cut -c1-16)"
MARK="$CACHE/.fetched-$POM_SUM"
if [[ ! -f "$MARK" || ! -f "$APICURIO_JAR" || ! -f "$CACHE/kafka/kafka_2.13-3.9.1.jar" ]]; then
  log "fetching Kafka and Apicurio jars through stack/pom.xml (maven) into .stack/cache"
  rm -rf "$CACHE/kafka" "$CACHE/apicurio" "$CACHE/download" "$CACHE"/.fetched-*
  mvn -B -q -f "$POM" generate-resources -Dstack.cache="$CACHE" >"$STACK/mvn.log" 2>&1 \
    || die "maven could not fetch the stack jars" "$STACK/mvn.log"
  mkdir -p "$CACHE/apicurio"
  tar -xzf "$CACHE/download/apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz" -C "$CACHE/apicurio" --no-same-owner \
    || die "could not unpack the Apicurio distribution"
  [[ -f "$APICURIO_JAR" ]] || die "Apicurio runner jar missing after unpack: $APICURIO_JAR"
  rm -rf "$CACHE/download"
  touch "$MARK"
fi
KAFKA_CP="$(kafka_classpath)"

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, combined broker + controller)
# ---------------------------------------------------------------------------------------------
KAFKA_STARTED=0
start_kafka() {
  if running kafka "$KAFKA_PORT"; then log "kafka: already running (pid $(pid_of kafka))"; return; fi
  local old; old="$(pid_of kafka)"
  if ours "$old"; then
    die "kafka: pid $old is alive but port $KAFKA_PORT does not answer; run scripts/stack/down.sh first" "$KAFKA_HOME/kafka.log"
  fi
  rm -f "$PIDS/kafka.pid"
  port_open "$KAFKA_PORT" && die "kafka: port $KAFKA_PORT is used by a process that is not ours"
  port_open "$KAFKA_CONTROLLER_PORT" && die "kafka: controller port $KAFKA_CONTROLLER_PORT is used by a process that is not ours"
  mkdir -p "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
# written by scripts/stack/up.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_HOME/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
auto.create.topics.enable=true
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat >"$KAFKA_HOME/log4j.properties" <<'EOF'
# written by scripts/stack/up.sh
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
EOF
  cat >"$KAFKA_HOME/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
  if [[ ! -f "$KAFKA_HOME/data/meta.properties" ]]; then
    log "kafka: formatting KRaft storage"
    local cid
    cid="$("$JAVA" -Xmx128m -cp "$KAFKA_CP" -Dlog4j.configuration="file:$KAFKA_HOME/tools-log4j.properties" \
      kafka.tools.StorageTool random-uuid 2>>"$KAFKA_HOME/format.log")" || die "kafka: random-uuid failed" "$KAFKA_HOME/format.log"
    echo "$cid" >"$KAFKA_HOME/cluster.id"
    "$JAVA" -Xmx128m -cp "$KAFKA_CP" -Dlog4j.configuration="file:$KAFKA_HOME/tools-log4j.properties" \
      kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_HOME/server.properties" --ignore-formatted \
      >>"$KAFKA_HOME/format.log" 2>&1 || die "kafka: storage format failed" "$KAFKA_HOME/format.log"
  fi
  log "kafka: starting on 127.0.0.1:$KAFKA_PORT"
  : >"$KAFKA_HOME/kafka.log"
  nohup "$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" -Dkafka.logs.dir="$KAFKA_HOME" \
    -cp "$KAFKA_CP" kafka.Kafka "$KAFKA_HOME/server.properties" \
    >>"$KAFKA_HOME/kafka.log" 2>&1 </dev/null &
  echo $! >"$PIDS/kafka.pid"
  KAFKA_STARTED=1
}

wait_kafka() {
  [[ $KAFKA_STARTED == 1 ]] || return 0
  local pid; pid="$(pid_of kafka)"
  local deadline=$((SECONDS + 90))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDS/kafka.pid"
      die "kafka: process exited during start-up" "$KAFKA_HOME/kafka.log"
    fi
    if grep -q 'Kafka Server started' "$KAFKA_HOME/kafka.log" && port_open "$KAFKA_PORT"; then break; fi
    if ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/kafka.pid"
      die "kafka: not ready after 90 s (stopped it)" "$KAFKA_HOME/kafka.log"
    fi
    sleep 0.3
  done
  log "kafka: ready (pid $pid)"
}

# ---------------------------------------------------------------------------------------------
# Apicurio Registry (in-memory H2 storage, no auth; global compatibility BACKWARD like Confluent's default;
# deletes allowed so tests can clean up subjects)
# ---------------------------------------------------------------------------------------------
REGISTRY_STARTED=0
REGISTRY_BASE="http://127.0.0.1:$REGISTRY_PORT"
registry_ok() {
  [[ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$REGISTRY_BASE/apis/ccompat/v7/subjects" || true)" == 200 ]]
}
start_registry() {
  if running registry "$REGISTRY_PORT" && registry_ok; then log "registry: already running (pid $(pid_of registry))"; return; fi
  local old; old="$(pid_of registry)"
  if ours "$old"; then
    die "registry: pid $old is alive but $REGISTRY_BASE does not answer; run scripts/stack/down.sh first" "$REGISTRY_HOME/registry.log"
  fi
  rm -f "$PIDS/registry.pid"
  port_open "$REGISTRY_PORT" && die "registry: port $REGISTRY_PORT is used by a process that is not ours"
  mkdir -p "$REGISTRY_HOME/tmp"
  log "registry: starting Apicurio Registry $APICURIO_VERSION on 127.0.0.1:$REGISTRY_PORT"
  : >"$REGISTRY_HOME/registry.log"
  (
    cd "$REGISTRY_HOME"
    exec nohup "$JAVA" -Xms128m -Xmx512m -Djava.io.tmpdir="$REGISTRY_HOME/tmp" \
      -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
      -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
      -Dapicurio.authn.enabled=false -Dquarkus.oidc.tenant-enabled=false \
      -Dapicurio.rules.global.compatibility=BACKWARD \
      -Dapicurio.rest.deletion.group.enabled=true \
      -Dapicurio.rest.deletion.artifact.enabled=true \
      -Dapicurio.rest.deletion.artifact-version.enabled=true \
      -Dapicurio.import.work-dir="$REGISTRY_HOME/tmp" -Dapicurio.storage.snapshot.location="$REGISTRY_HOME/tmp" \
      -Dpaysync.stack="$STACK" \
      -jar "$APICURIO_JAR"
  ) >>"$REGISTRY_HOME/registry.log" 2>&1 </dev/null &
  echo $! >"$PIDS/registry.pid"
  REGISTRY_STARTED=1
}

wait_registry() {
  [[ $REGISTRY_STARTED == 1 ]] || return 0
  local pid; pid="$(pid_of registry)"
  local deadline=$((SECONDS + 120))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDS/registry.pid"
      die "registry: process exited during start-up" "$REGISTRY_HOME/registry.log"
    fi
    if registry_ok; then break; fi
    if ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/registry.pid"
      die "registry: $REGISTRY_BASE/apis/ccompat/v7/subjects not answering 200 after 120 s (stopped it)" "$REGISTRY_HOME/registry.log"
    fi
    sleep 0.3
  done
  log "registry: ready (pid $pid)"
}

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
  # settings and access rules are (re)written every time; applied on (re)start
  as_pg tee "$PG_DATA/paysync.conf" >/dev/null <<EOF
# written by scripts/stack/up.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
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
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
host    all          all   ::1/128        scram-sha-256
host    replication  all   ::1/128        scram-sha-256
EOF

  # a server that is just starting, or just dying (e.g. after a crash), gets a few seconds to settle
  local settle=$((SECONDS + 15))
  while pg_ctl_status && ! port_open "$PG_PORT" && ((SECONDS < settle)); do sleep 0.3; done
  if pg_ctl_status && port_open "$PG_PORT"; then
    head -n1 "$PG_DATA/postmaster.pid" >"$PIDS/postgres.pid"
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

  psql_admin >"$PG_HOME/setup.log" 2>&1 <<'EOF' || die "postgres: creating role/databases failed" "$PG_HOME/setup.log"
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
EOF
}

# ---------------------------------------------------------------------------------------------
# MariaDB (own datadir in .stack/mariadb, no option files read)
# ---------------------------------------------------------------------------------------------
maria_root() { "$MARIA_CLIENT" --no-defaults -S "$MARIA_SOCK" -uroot "$@"; }
maria_user_args() {
  if [[ "$(id -u)" == 0 ]]; then echo "--user=root"; fi
}

start_mariadb() {
  mkdir -p "$MARIA_HOME" "$MARIA_HOME/tmp"
  if running mariadb "$MYSQL_PORT" && "$MARIA_ADMIN" --no-defaults -S "$MARIA_SOCK" -uroot ping >/dev/null 2>&1; then
    log "mariadb: already running (pid $(pid_of mariadb))"
  else
    local old; old="$(pid_of mariadb)"
    if ours "$old"; then
      die "mariadb: pid $old is alive but does not answer; run scripts/stack/down.sh first" "$MARIA_HOME/error.log"
    fi
    rm -f "$PIDS/mariadb.pid"
    port_open "$MYSQL_PORT" && die "mariadb: port $MYSQL_PORT is used by a process that is not ours"
    if [[ ! -d "$MARIA_DATA/mysql" ]]; then
      log "mariadb: initialising $MARIA_DATA"
      rm -rf "$MARIA_DATA"
      # shellcheck disable=SC2046
      "$MARIA_INSTALL_DB" --no-defaults --datadir="$MARIA_DATA" $(maria_user_args) \
        --auth-root-authentication-method=normal --skip-test-db >"$MARIA_HOME/install.log" 2>&1 \
        || die "mariadb: mariadb-install-db failed" "$MARIA_HOME/install.log"
    fi
    log "mariadb: starting on 127.0.0.1:$MYSQL_PORT"
    rm -f "$MARIA_SOCK" "$MARIA_HOME/mariadb.pid"
    # shellcheck disable=SC2046
    nohup "$MARIADBD" --no-defaults --datadir="$MARIA_DATA" $(maria_user_args) \
      --socket="$MARIA_SOCK" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
      --pid-file="$MARIA_HOME/mariadb.pid" --log-error="$MARIA_HOME/error.log" --tmpdir="$MARIA_HOME/tmp" \
      --skip-name-resolve --skip-log-bin --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --default-time-zone=+00:00 --max-connections=500 \
      --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
      >>"$MARIA_HOME/mariadbd.out" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$PIDS/mariadb.pid"
    local deadline=$((SECONDS + 60))
    until "$MARIA_ADMIN" --no-defaults -S "$MARIA_SOCK" -uroot ping >/dev/null 2>&1 && port_open "$MYSQL_PORT"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$PIDS/mariadb.pid"
        die "mariadb: process exited during start-up" "$MARIA_HOME/error.log"
      fi
      if ((SECONDS > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/mariadb.pid"
        die "mariadb: not answering after 60 s (stopped it)" "$MARIA_HOME/error.log"
      fi
      sleep 0.2
    done
    log "mariadb: ready (pid $pid)"
  fi

  maria_root >"$MARIA_HOME/setup.log" 2>&1 <<'EOF' || die "mariadb: creating user/database failed" "$MARIA_HOME/setup.log"
DROP USER IF EXISTS ''@'localhost';
CREATE USER IF NOT EXISTS 'paysync'@'%' IDENTIFIED BY 'paysync';
CREATE USER IF NOT EXISTS 'paysync'@'localhost' IDENTIFIED BY 'paysync';
CREATE USER IF NOT EXISTS 'paysync'@'127.0.0.1' IDENTIFIED BY 'paysync';
ALTER USER 'paysync'@'%' IDENTIFIED BY 'paysync';
ALTER USER 'paysync'@'localhost' IDENTIFIED BY 'paysync';
ALTER USER 'paysync'@'127.0.0.1' IDENTIFIED BY 'paysync';
GRANT ALL PRIVILEGES ON *.* TO 'paysync'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'paysync'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'paysync'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS paysync_target CHARACTER SET utf8mb4;
FLUSH PRIVILEGES;
EOF
}

# ---------------------------------------------------------------------------------------------
# go: the two JVMs start in the background first (slowest), the databases meanwhile
# ---------------------------------------------------------------------------------------------
start_kafka
start_registry
start_pg
start_mariadb
wait_kafka
wait_registry

cat >"$STACK/env.tmp" <<EOF
PAYSYNC_TEST_PG_URL=postgres://paysync:paysync@127.0.0.1:$PG_PORT/paysync_source
PAYSYNC_TEST_MYSQL_URL=mysql://paysync:paysync@127.0.0.1:$MYSQL_PORT/paysync_target
PAYSYNC_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
PAYSYNC_TEST_REGISTRY_URL=$REGISTRY_BASE/apis/ccompat/v7
EOF
mv "$STACK/env.tmp" "$STACK/env"
log "stack is up in $((SECONDS - T0)) s; wrote .stack/env:"
cat "$STACK/env"
