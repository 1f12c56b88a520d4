# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

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
