# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

# ---------------------------------------------------------------------------------------------
# Apicurio Registry, its schemas in the stack's PostgreSQL (database and role paysync_registry, made
# by start_pg, which runs first); the options it shares with the tests' private registries (no auth,
# global compatibility BACKWARD, deletes allowed) are in registry.args
# ---------------------------------------------------------------------------------------------
REGISTRY_STARTED=0
REGISTRY_BASE="http://127.0.0.1:$REGISTRY_PORT"
REGISTRY_ARGS="$STACK_SCRIPTS/registry.args"
registry_ok() {
  [[ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$REGISTRY_BASE/apis/ccompat/v7/subjects" || true)" == 200 ]]
}
start_registry() {
  local old; old="$(pid_of registry)"
  if running registry "$REGISTRY_PORT" && registry_ok; then
    # one started by an older up.sh keeps its schemas in memory (H2): they would go with it
    grep -qxF "@$REGISTRY_ARGS" < <(tr '\0' '\n' <"/proc/$old/cmdline") \
      || die "registry: pid $old was not started with $REGISTRY_ARGS (an older up.sh, schemas in memory?); run scripts/stack/down.sh first"
    log "registry: already running (pid $old)"
    return
  fi
  if ours "$old"; then
    die "registry: pid $old is alive but $REGISTRY_BASE does not answer; run scripts/stack/down.sh first" "$REGISTRY_HOME/registry.log"
  fi
  rm -f "$PIDS/registry.pid"
  port_open "$REGISTRY_PORT" && die "registry: port $REGISTRY_PORT is used by a process that is not ours"
  mkdir -p "$REGISTRY_HOME/tmp"
  log "registry: starting Apicurio Registry $APICURIO_VERSION on 127.0.0.1:$REGISTRY_PORT (schemas in PostgreSQL database $REGISTRY_DB)"
  : >"$REGISTRY_HOME/registry.log"
  (
    cd "$REGISTRY_HOME" || exit 1
    export APICURIO_DATASOURCE_PASSWORD="$REGISTRY_DB_PASSWORD"
    exec nohup "$JAVA" "@$REGISTRY_ARGS" -Djava.io.tmpdir="$REGISTRY_HOME/tmp" \
      -Dquarkus.http.port="$REGISTRY_PORT" \
      -Dapicurio.datasource.url="jdbc:postgresql://127.0.0.1:$PG_PORT/$REGISTRY_DB" \
      -Dapicurio.datasource.username="$REGISTRY_DB_USER" \
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
