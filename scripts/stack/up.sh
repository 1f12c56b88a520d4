#!/usr/bin/env bash
# Brings up the local test stack without Docker (DESIGN.md section 7), idempotently:
#   PostgreSQL (wal_level=logical)  127.0.0.1:${PAYSYNC_STACK_PG_PORT:-55432}, also 127.0.0.2 (plain or TLS)
#   MariaDB                         127.0.0.1:${PAYSYNC_STACK_MYSQL_PORT:-53306} (plain or TLS; user paysync_tls needs TLS)
#   Kafka 3.9.1, KRaft single node  127.0.0.1:${PAYSYNC_STACK_KAFKA_PORT:-59092} PLAINTEXT (controller :59093),
#                                   127.0.0.1:${PAYSYNC_STACK_KAFKA_SASL_PORT:-59094} SASL_SSL, SCRAM-SHA-512,
#                                   127.0.0.1:${PAYSYNC_STACK_KAFKA_MTLS_PORT:-59096} SSL with a client certificate required
#   Apicurio Registry 3.0.9         127.0.0.1:${PAYSYNC_STACK_REGISTRY_PORT:-58081}, ccompat API /apis/ccompat/v7,
#                                   https with basic auth through nginx on 127.0.0.1:${PAYSYNC_STACK_REGISTRY_TLS_PORT:-58443}
# TLS: a private CA in .stack/tls signs the server certificate (localhost, 127.0.0.1; not 127.0.0.2)
# and a client certificate; generated passwords are in .stack/secrets. Both are made once.
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
command -v openssl >/dev/null || NEED+=(openssl)
find_nginx() { NGINX="$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)"; }
find_nginx
[[ -n "$NGINX" ]] || NEED+=(nginx)
if ((${#NEED[@]})); then
  apt_install "${NEED[@]}"
  find_pg_bin; find_maria_bin; find_java; find_nginx
  [[ -n "$PG_BIN" ]] || die "PostgreSQL binaries (initdb, pg_ctl) not found after install"
  [[ -n "$MARIADBD" && -n "$MARIA_INSTALL_DB" ]] || die "MariaDB binaries not found after install"
  [[ -n "$JAVA" ]] || die "java not found after install"
  [[ -n "$NGINX" ]] || die "nginx not found after install"
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
# TLS material and passwords, made once: a private CA, one server certificate for localhost and
# 127.0.0.1 (deliberately not 127.0.0.2, which tests use for a hostname mismatch), a client
# certificate for mutual TLS; PEM throughout (Kafka reads PEM key and trust stores itself)
# ---------------------------------------------------------------------------------------------
TLS_FILES=(ca.crt ca.key server.crt server.key client.crt client.key kafka-server.pem kafka-client.pem)
tls_complete() {
  local f
  for f in "${TLS_FILES[@]}"; do [[ -s "$TLS_DIR/$f" ]] || return 1; done
  # remade a day before they expire rather than failing handshakes later
  openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.crt" >/dev/null 2>&1 \
    && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/client.crt" >/dev/null 2>&1
}

# tls_leaf NAME CN EXTENSIONS: NAME.key and NAME.crt in $1's work dir, signed by the CA there
tls_leaf() {
  local dir="$1" name="$2" cn="$3" ext="$4"
  printf '%s\n' "$ext" >"$dir/$name.ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -subj "/O=paysync test stack/CN=$cn" \
    -out "$dir/$name.csr" >>"$dir/openssl.log" 2>&1 || return 1
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 12)" \
    -days 825 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" >>"$dir/openssl.log" 2>&1 || return 1
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

make_tls() {
  if tls_complete; then return; fi
  # running servers would keep serving the old certificates
  local name
  for name in postgres mariadb kafka nginx; do
    if ours "$(pid_of "$name")"; then
      die "tls: certificates are missing or expiring while the stack runs ($name); run scripts/stack/down.sh, then this again"
    fi
  done
  log "tls: making a private CA, server and client certificates in .stack/tls"
  local work="$STACK/tls.new"
  rm -rf "$work"
  mkdir -p "$work"
  cat >"$work/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
O = paysync test stack
CN = paysync test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  (
    umask 077
    openssl req -x509 -new -config "$work/ca.cnf" -extensions v3_ca -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$work/ca.key" -out "$work/ca.crt" >>"$work/openssl.log" 2>&1 \
      && tls_leaf "$work" server localhost "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash" \
      && tls_leaf "$work" client paysync-client "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash" \
      && cat "$work/server.key" "$work/server.crt" "$work/ca.crt" >"$work/kafka-server.pem" \
      && cat "$work/client.key" "$work/client.crt" "$work/ca.crt" >"$work/kafka-client.pem"
  ) || die "tls: openssl failed" "$work/openssl.log"
  # certificates are public, keys for us alone (PostgreSQL, run as postgres, gets its own copies)
  chmod 0644 "$work"/*.crt
  chmod 0600 "$work"/*.key "$work"/*.pem
  rm -f "$work/ca.cnf" "$work/ca.srl" "$work/openssl.log"
  rm -rf "$TLS_DIR"
  mv "$work" "$TLS_DIR"
  chmod 0755 "$TLS_DIR"
}

# secret NAME: prints the generated password kept in .stack/secrets/NAME (hex, so it needs no
# quoting in URLs, JAAS or SCRAM settings)
secret() {
  local f="$SECRETS_DIR/$1"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$SECRETS_DIR"
    chmod 0700 "$SECRETS_DIR"
    (umask 077 && openssl rand -hex 16 >"$f.tmp" && mv "$f.tmp" "$f") || die "could not make the password $f"
  fi
  cat "$f"
}

make_tls
KAFKA_SASL_USER=paysync
KAFKA_SASL_PASSWORD="$(secret kafka-sasl)"
REGISTRY_USER=paysync
REGISTRY_PASSWORD="$(secret registry)"
MYSQL_TLS_USER=paysync_tls
MYSQL_TLS_PASSWORD="$(secret mysql-tls)"

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, combined broker + controller)
# ---------------------------------------------------------------------------------------------
KAFKA_STARTED=0
start_kafka() {
  if running kafka "$KAFKA_PORT"; then
    if ! port_open "$KAFKA_SASL_PORT" || ! port_open "$KAFKA_MTLS_PORT"; then
      die "kafka: pid $(pid_of kafka) runs without the TLS listeners ($KAFKA_SASL_PORT, $KAFKA_MTLS_PORT; started by an older up.sh?); run scripts/stack/down.sh first" "$KAFKA_HOME/kafka.log"
    fi
    log "kafka: already running (pid $(pid_of kafka))"; return
  fi
  local old; old="$(pid_of kafka)"
  if ours "$old"; then
    die "kafka: pid $old is alive but port $KAFKA_PORT does not answer; run scripts/stack/down.sh first" "$KAFKA_HOME/kafka.log"
  fi
  rm -f "$PIDS/kafka.pid"
  port_open "$KAFKA_PORT" && die "kafka: port $KAFKA_PORT is used by a process that is not ours"
  port_open "$KAFKA_CONTROLLER_PORT" && die "kafka: controller port $KAFKA_CONTROLLER_PORT is used by a process that is not ours"
  port_open "$KAFKA_SASL_PORT" && die "kafka: SASL_SSL port $KAFKA_SASL_PORT is used by a process that is not ours"
  port_open "$KAFKA_MTLS_PORT" && die "kafka: mutual TLS port $KAFKA_MTLS_PORT is used by a process that is not ours"
  mkdir -p "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
# written by scripts/stack/up.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL
# TLS listeners: SASL_SSL takes SCRAM-SHA-512 users (made with ConfigCommand after start);
# MTLS takes clients with a certificate signed by the stack's CA
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/kafka-server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.crt
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.mtls.ssl.client.auth=required
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
    if grep -q 'Kafka Server started' "$KAFKA_HOME/kafka.log" && port_open "$KAFKA_PORT" \
      && port_open "$KAFKA_SASL_PORT" && port_open "$KAFKA_MTLS_PORT"; then break; fi
    if ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/kafka.pid"
      die "kafka: not ready after 90 s (stopped it)" "$KAFKA_HOME/kafka.log"
    fi
    sleep 0.3
  done
  log "kafka: ready (pid $pid)"
}

# The SCRAM user lives in the cluster metadata; the marker (cluster id + password, hashed) spares
# later runs a JVM start, and still notices a reformatted cluster or a new password.
kafka_scram_user() {
  local cid mark="$KAFKA_HOME/scram-$KAFKA_SASL_USER.done" want
  cid="$(sed -n 's/^cluster.id=//p' "$KAFKA_HOME/data/meta.properties")"
  want="$(printf '%s %s %s' "$cid" "$KAFKA_SASL_USER" "$KAFKA_SASL_PASSWORD" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$mark" && "$(cat "$mark")" == "$want" ]]; then return; fi
  log "kafka: SCRAM-SHA-512 user $KAFKA_SASL_USER"
  "$JAVA" -Xmx128m -cp "$KAFKA_CP" -Dlog4j.configuration="file:$KAFKA_HOME/tools-log4j.properties" \
    kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
    --add-config "SCRAM-SHA-512=[password=$KAFKA_SASL_PASSWORD]" --entity-type users --entity-name "$KAFKA_SASL_USER" \
    >"$KAFKA_HOME/scram.log" 2>&1 || die "kafka: creating the SCRAM user failed" "$KAFKA_HOME/scram.log"
  (umask 077 && echo "$want" >"$mark")
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
    if [[ "$(maria_root -N -B -e 'SELECT @@have_ssl' 2>/dev/null)" != YES ]]; then
      die "mariadb: pid $(pid_of mariadb) runs without TLS (started by an older up.sh?); run scripts/stack/down.sh first" "$MARIA_HOME/error.log"
    fi
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
      --ssl-ca="$TLS_DIR/ca.crt" --ssl-cert="$TLS_DIR/server.crt" --ssl-key="$TLS_DIR/server.key" \
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

  # plaintext stays accepted for paysync; paysync_tls is refused without TLS
  maria_root >"$MARIA_HOME/setup.log" 2>&1 <<EOF || die "mariadb: creating users/database failed" "$MARIA_HOME/setup.log"
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
CREATE USER IF NOT EXISTS '$MYSQL_TLS_USER'@'%' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
CREATE USER IF NOT EXISTS '$MYSQL_TLS_USER'@'localhost' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
CREATE USER IF NOT EXISTS '$MYSQL_TLS_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
ALTER USER '$MYSQL_TLS_USER'@'%' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
ALTER USER '$MYSQL_TLS_USER'@'localhost' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
ALTER USER '$MYSQL_TLS_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_TLS_USER'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_TLS_USER'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_TLS_USER'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS paysync_target CHARACTER SET utf8mb4;
FLUSH PRIVILEGES;
EOF
}

# ---------------------------------------------------------------------------------------------
# nginx: https with basic auth in front of the registry (Apicurio runs without auth), own prefix
# in .stack/nginx, not the system service; a config change is reloaded, never restarted
# ---------------------------------------------------------------------------------------------
NGINX_STARTED=0
REGISTRY_TLS_BASE="https://localhost:$REGISTRY_TLS_PORT"
# registry_tls_code USER:PASSWORD: the HTTP status nginx answers for the subjects list
registry_tls_code() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' --cacert "$TLS_DIR/ca.crt" -u "$1" \
    "$REGISTRY_TLS_BASE/apis/ccompat/v7/subjects" || true
}

write_nginx_files() {
  mkdir -p "$NGINX_HOME/tmp"
  local user_line="" group=""
  if [[ "$(id -u)" == 0 ]]; then
    # workers read the htpasswd per request and key files they do not need stay ours
    group="$(id -gn nobody)"
    user_line="user nobody $group;"
  fi
  # the htpasswd line is kept while it still matches the password (apr1 salts differ per run)
  local hp="$NGINX_HOME/htpasswd" salt
  salt="$(cut -d'$' -f3 "$hp" 2>/dev/null || true)"
  if [[ -z "$salt" || "$(cat "$hp")" != "$REGISTRY_USER:$(openssl passwd -apr1 -salt "$salt" "$REGISTRY_PASSWORD")" ]]; then
    (umask 077 && printf '%s:%s\n' "$REGISTRY_USER" "$(openssl passwd -apr1 "$REGISTRY_PASSWORD")" >"$hp.tmp") \
      || die "nginx: openssl passwd failed"
    [[ -n "$group" ]] && chgrp "$group" "$hp.tmp" && chmod 0640 "$hp.tmp"
    mv "$hp.tmp" "$hp"
  fi
  cat >"$NGINX_HOME/nginx.conf.tmp" <<EOF
# written by scripts/stack/up.sh
$user_line
daemon off;
worker_processes 1;
pid $NGINX_HOME/nginx.pid;
error_log $NGINX_HOME/error.log warn;
events { worker_connections 256; }
http {
  access_log $NGINX_HOME/access.log;
  client_body_temp_path $NGINX_HOME/tmp/body;
  proxy_temp_path $NGINX_HOME/tmp/proxy;
  fastcgi_temp_path $NGINX_HOME/tmp/fastcgi;
  uwsgi_temp_path $NGINX_HOME/tmp/uwsgi;
  scgi_temp_path $NGINX_HOME/tmp/scgi;
  default_type application/octet-stream;
  client_max_body_size 16m;
  server {
    listen 127.0.0.1:$REGISTRY_TLS_PORT ssl;
    server_name localhost;
    ssl_certificate $TLS_DIR/server.crt;
    ssl_certificate_key $TLS_DIR/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      auth_basic "paysync test registry";
      auth_basic_user_file $NGINX_HOME/htpasswd;
      proxy_pass http://127.0.0.1:$REGISTRY_PORT;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Forwarded-Port $REGISTRY_TLS_PORT;
      proxy_set_header X-Forwarded-Proto https;
      # checked here; the registry behind needs no credentials
      proxy_set_header Authorization "";
    }
  }
}
EOF
  if cmp -s "$NGINX_HOME/nginx.conf.tmp" "$NGINX_HOME/nginx.conf"; then
    rm -f "$NGINX_HOME/nginx.conf.tmp"; NGINX_CONF_CHANGED=0
  else
    mv "$NGINX_HOME/nginx.conf.tmp" "$NGINX_HOME/nginx.conf"; NGINX_CONF_CHANGED=1
  fi
}

start_nginx() {
  write_nginx_files
  if running nginx "$REGISTRY_TLS_PORT"; then
    if [[ $NGINX_CONF_CHANGED == 1 ]]; then
      "$NGINX" -t -q -p "$NGINX_HOME/" -c "$NGINX_HOME/nginx.conf" -e "$NGINX_HOME/error.log" >"$NGINX_HOME/test.log" 2>&1 \
        || die "nginx: the new configuration is invalid" "$NGINX_HOME/test.log"
      log "nginx: configuration changed, reloading (pid $(pid_of nginx))"
      kill -HUP "$(pid_of nginx)"
    else
      log "nginx: already running (pid $(pid_of nginx))"
    fi
    return
  fi
  local old; old="$(pid_of nginx)"
  if ours "$old"; then
    die "nginx: pid $old is alive but port $REGISTRY_TLS_PORT does not answer; run scripts/stack/down.sh first" "$NGINX_HOME/error.log"
  fi
  rm -f "$PIDS/nginx.pid"
  port_open "$REGISTRY_TLS_PORT" && die "nginx: port $REGISTRY_TLS_PORT is used by a process that is not ours"
  "$NGINX" -t -q -p "$NGINX_HOME/" -c "$NGINX_HOME/nginx.conf" -e "$NGINX_HOME/error.log" >"$NGINX_HOME/test.log" 2>&1 \
    || die "nginx: configuration test failed" "$NGINX_HOME/test.log"
  log "nginx: starting https://localhost:$REGISTRY_TLS_PORT -> registry"
  # daemon off: the pid we record is the master's, and TERM to it stops the workers too
  nohup "$NGINX" -p "$NGINX_HOME/" -c "$NGINX_HOME/nginx.conf" -e "$NGINX_HOME/error.log" \
    >>"$NGINX_HOME/nginx.out" 2>&1 </dev/null &
  echo $! >"$PIDS/nginx.pid"
  NGINX_STARTED=1
}

wait_nginx() {
  if [[ $NGINX_STARTED == 1 ]]; then
    local pid; pid="$(pid_of nginx)"
    local deadline=$((SECONDS + 20))
    until port_open "$REGISTRY_TLS_PORT"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$PIDS/nginx.pid"
        die "nginx: process exited during start-up" "$NGINX_HOME/error.log"
      fi
      if ((SECONDS > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/nginx.pid"
        die "nginx: port $REGISTRY_TLS_PORT not open after 20 s (stopped it)" "$NGINX_HOME/error.log"
      fi
      sleep 0.2
    done
    log "nginx: ready (pid $pid)"
  fi
  # the whole chain: TLS with our CA, the credentials, the registry behind
  local code; code="$(registry_tls_code "$REGISTRY_USER:$REGISTRY_PASSWORD")"
  [[ "$code" == 200 ]] || die "nginx: $REGISTRY_TLS_BASE/apis/ccompat/v7/subjects answered $code, not 200" "$NGINX_HOME/error.log"
}

# urlencode STRING: percent-encodes all but unreserved characters and '/' (byte-wise)
urlencode() {
  local LC_ALL=C s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~/-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# ---------------------------------------------------------------------------------------------
# go: the two JVMs start in the background first (slowest), the databases meanwhile
# ---------------------------------------------------------------------------------------------
start_kafka
start_registry
start_nginx
start_pg
start_mariadb
wait_kafka
kafka_scram_user
wait_registry
wait_nginx

# the plaintext URL says sslmode=disable: libpq's default (prefer) would otherwise take TLS now
(
  umask 077
  cat >"$STACK/env.tmp" <<EOF
PAYSYNC_TEST_PG_URL=postgres://paysync:paysync@127.0.0.1:$PG_PORT/paysync_source?sslmode=disable
PAYSYNC_TEST_MYSQL_URL=mysql://paysync:paysync@127.0.0.1:$MYSQL_PORT/paysync_target
PAYSYNC_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
PAYSYNC_TEST_REGISTRY_URL=$REGISTRY_BASE/apis/ccompat/v7
PAYSYNC_TEST_CA_FILE=$TLS_DIR/ca.crt
PAYSYNC_TEST_CLIENT_CERT_FILE=$TLS_DIR/client.crt
PAYSYNC_TEST_CLIENT_KEY_FILE=$TLS_DIR/client.key
PAYSYNC_TEST_KAFKA_SECURE_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
PAYSYNC_TEST_KAFKA_SASL_USERNAME=$KAFKA_SASL_USER
PAYSYNC_TEST_KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD
PAYSYNC_TEST_KAFKA_MTLS_BROKERS=127.0.0.1:$KAFKA_MTLS_PORT
PAYSYNC_TEST_PG_TLS_URL=postgres://paysync:paysync@localhost:$PG_PORT/paysync_source?sslmode=verify-full&sslrootcert=$(urlencode "$TLS_DIR/ca.crt")
PAYSYNC_TEST_MYSQL_TLS_URL=mysql://$MYSQL_TLS_USER:$MYSQL_TLS_PASSWORD@localhost:$MYSQL_PORT/paysync_target
PAYSYNC_TEST_REGISTRY_SECURE_URL=$REGISTRY_TLS_BASE/apis/ccompat/v7
PAYSYNC_TEST_REGISTRY_USERNAME=$REGISTRY_USER
PAYSYNC_TEST_REGISTRY_PASSWORD=$REGISTRY_PASSWORD
EOF
)
mv "$STACK/env.tmp" "$STACK/env"
log "stack is up in $((SECONDS - T0)) s; wrote .stack/env:"
cat "$STACK/env"
