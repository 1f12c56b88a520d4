# shellcheck shell=bash
# Shared settings and helpers of scripts/stack/{up,down,kafka-tool}.sh (sourced, not run).

STACK_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_SCRIPTS/../.." && pwd)"
STACK="$REPO_ROOT/.stack"
CACHE="$STACK/cache"
PIDS="$STACK/pids"

PG_PORT="${PAYSYNC_STACK_PG_PORT:-55432}"
MYSQL_PORT="${PAYSYNC_STACK_MYSQL_PORT:-53306}"
KAFKA_PORT="${PAYSYNC_STACK_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${PAYSYNC_STACK_KAFKA_CONTROLLER_PORT:-59093}"
REGISTRY_PORT="${PAYSYNC_STACK_REGISTRY_PORT:-58081}"
# the TLS endpoints beside the plaintext ones
KAFKA_SASL_PORT="${PAYSYNC_STACK_KAFKA_SASL_PORT:-59094}"
KAFKA_MTLS_PORT="${PAYSYNC_STACK_KAFKA_MTLS_PORT:-59096}"
REGISTRY_TLS_PORT="${PAYSYNC_STACK_REGISTRY_TLS_PORT:-58443}"

APICURIO_VERSION=3.0.9
APICURIO_JAR="$CACHE/apicurio/apicurio-registry-app-${APICURIO_VERSION}-runner.jar"

PG_HOME="$STACK/pg"
PG_DATA="$PG_HOME/data"
PG_SOCK="$PG_HOME/run"
MARIA_HOME="$STACK/mariadb"
MARIA_DATA="$MARIA_HOME/data"
MARIA_SOCK="$MARIA_HOME/mysqld.sock"
KAFKA_HOME="$STACK/kafka"
REGISTRY_HOME="$STACK/registry"
# the registry keeps its schemas in this PostgreSQL database, owned by a role of the same name
REGISTRY_DB=paysync_registry
REGISTRY_DB_USER=paysync_registry
NGINX_HOME="$STACK/nginx"
TLS_DIR="$STACK/tls"
SECRETS_DIR="$STACK/secrets"

log() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }

# die MESSAGE [LOGFILE]: print the message and the tail of LOGFILE, exit 1
die() {
  printf '[stack] ERROR: %s\n' "$1" >&2
  if [[ -n "${2:-}" && -f "$2" ]]; then
    printf '[stack] ---- last lines of %s ----\n' "$2" >&2
    tail -n 40 "$2" >&2 || true
    printf '[stack] ----\n' >&2
  fi
  exit 1
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# pid_of NAME: the pid recorded in .stack/pids/NAME.pid (empty if none)
pid_of() {
  local f="$PIDS/$1.pid"
  [[ -f "$f" ]] && tr -dc '0-9' <"$f" || true
}

# ours PID: the process is alive and its command line mentions our .stack dir
# (guards against a recycled pid belonging to something else)
ours() {
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STACK"
}

# running NAME PORT: pid file + live process + port answering
running() {
  local pid
  pid="$(pid_of "$1")"
  ours "$pid" && port_open "$2"
}

# find_java: sets JAVA
find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="$(command -v java || true)"; fi
}

# kafka_classpath: the java -cp value for Kafka classes
kafka_classpath() { printf '%s' "$CACHE/kafka/*"; }

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
