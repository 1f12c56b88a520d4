#!/usr/bin/env bash
# Brings up the local test stack without Docker (DESIGN.md section 7), idempotently:
#   PostgreSQL (wal_level=logical)  127.0.0.1:${PAYSYNC_STACK_PG_PORT:-55432}, also 127.0.0.2 (plain or TLS)
#   MariaDB                         127.0.0.1:${PAYSYNC_STACK_MYSQL_PORT:-53306} (plain or TLS; user paysync_tls needs TLS)
#   Kafka 3.9.1, KRaft single node  127.0.0.1:${PAYSYNC_STACK_KAFKA_PORT:-59092} PLAINTEXT (controller :59093),
#                                   127.0.0.1:${PAYSYNC_STACK_KAFKA_SASL_PORT:-59094} SASL_SSL, SCRAM-SHA-512,
#                                   127.0.0.1:${PAYSYNC_STACK_KAFKA_MTLS_PORT:-59096} SSL with a client certificate required
#   Apicurio Registry 3.0.9         127.0.0.1:${PAYSYNC_STACK_REGISTRY_PORT:-58081}, ccompat API /apis/ccompat/v7,
#                                   https with basic auth through nginx on 127.0.0.1:${PAYSYNC_STACK_REGISTRY_TLS_PORT:-58443},
#                                   schemas kept in PostgreSQL (database paysync_registry)
# TLS: a private CA in .stack/tls signs the server certificate (localhost, 127.0.0.1; not 127.0.0.2)
# and a client certificate; generated passwords are in .stack/secrets. Both are made once.
# Everything lives in <repo>/.stack (jars in .stack/cache); pids in .stack/pids; addresses in .stack/env.
# Each part's functions are in its own file beside this one (tls, kafka, registry, postgres, mariadb,
# nginx .sh); this script checks packages and jars, then starts them, and builds the chart tests' helm
# (deploy/helm/tool/build.sh). Takes down with scripts/stack/down.sh.
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
# Prometheus and promtool for the tests of deploy/prometheus: the stack starts no Prometheus, each
# test runs its own on a port of its own (the package's system service is not used).
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then NEED+=(prometheus); fi
# The Pushgateway for the drill's test (paysync drill pushes its metrics at its end).
command -v prometheus-pushgateway >/dev/null || NEED+=(prometheus-pushgateway)
if ((${#NEED[@]})); then
  apt_install "${NEED[@]}"
  find_pg_bin; find_maria_bin; find_java; find_nginx
  [[ -n "$PG_BIN" ]] || die "PostgreSQL binaries (initdb, pg_ctl) not found after install"
  [[ -n "$MARIADBD" && -n "$MARIA_INSTALL_DB" ]] || die "MariaDB binaries not found after install"
  [[ -n "$JAVA" ]] || die "java not found after install"
  [[ -n "$NGINX" ]] || die "nginx not found after install"
  command -v promtool >/dev/null || die "promtool not found after installing prometheus"
  command -v prometheus-pushgateway >/dev/null || die "prometheus-pushgateway not found after installing it"
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

# shellcheck source=tls.sh
source "$STACK_SCRIPTS/tls.sh"
# shellcheck source=kafka.sh
source "$STACK_SCRIPTS/kafka.sh"
# shellcheck source=registry.sh
source "$STACK_SCRIPTS/registry.sh"
# shellcheck source=postgres.sh
source "$STACK_SCRIPTS/postgres.sh"
# shellcheck source=mariadb.sh
source "$STACK_SCRIPTS/mariadb.sh"
# shellcheck source=nginx.sh
source "$STACK_SCRIPTS/nginx.sh"

make_tls
KAFKA_SASL_USER=paysync
KAFKA_SASL_PASSWORD="$(secret kafka-sasl)"
REGISTRY_USER=paysync
REGISTRY_PASSWORD="$(secret registry)"
MYSQL_TLS_USER=paysync_tls
MYSQL_TLS_PASSWORD="$(secret mysql-tls)"
REGISTRY_DB_PASSWORD="$(secret registry-db)"

# ---------------------------------------------------------------------------------------------
# go: Kafka's JVM starts in the background first (slowest); the registry's once PostgreSQL, which
# holds its schemas, is up (start_pg returns when it answers); MariaDB meanwhile
# ---------------------------------------------------------------------------------------------
start_kafka
start_pg
start_registry
start_nginx
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
# Not a service: the pinned helm the chart's tests run (quick once built). A failed build leaves the
# stack up; those tests then say how to build it.
bash "$REPO_ROOT/deploy/helm/tool/build.sh" || warn "helm was not built: the Helm chart's tests fail until bash deploy/helm/tool/build.sh succeeds"
log "stack is up in $((SECONDS - T0)) s; wrote .stack/env:"
cat "$STACK/env"
