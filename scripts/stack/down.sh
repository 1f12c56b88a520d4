#!/usr/bin/env bash
# Stops the local test stack started by scripts/stack/up.sh: only the processes recorded in
# .stack/pids/*.pid (never by process name). Data stays, unless --purge is given: then everything
# in .stack except the jar cache (.stack/cache) is removed.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PURGE=0
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    -h|--help) echo "usage: $0 [--purge]"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done

# wait_gone PID SECONDS: true once the process is gone
wait_gone() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

stop_one() {
  local name="$1" f="$PIDS/$1.pid" pid
  pid="$(pid_of "$name")"
  if [[ -z "$pid" ]]; then rm -f "$f"; return; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    log "$name: pid $pid not running"
    rm -f "$f"; return
  fi
  if ! ours "$pid"; then
    warn "$name: pid $pid is not a process of this stack (pid reused?); leaving it alone"
    rm -f "$f"; return
  fi
  log "$name: stopping pid $pid"
  if [[ "$name" == postgres && -f "$PG_DATA/postmaster.pid" && "$(head -n1 "$PG_DATA/postmaster.pid")" == "$pid" ]]; then
    local pg_ctl
    pg_ctl="$(dirname "$(readlink -f "/proc/$pid/exe")")/pg_ctl"
    if [[ -x "$pg_ctl" ]]; then
      if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 || true
      else
        "$pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 || true
      fi
    fi
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" 20; then
    warn "$name: pid $pid still alive after 20 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || warn "$name: pid $pid survived SIGKILL"
  fi
  rm -f "$f"
}

if [[ -d "$PIDS" ]]; then
  # nginx (the registry's proxy), registry and kafka first (clients of nothing here), then the databases
  for name in nginx registry kafka mariadb postgres; do stop_one "$name"; done
  for f in "$PIDS"/*.pid; do
    [[ -e "$f" ]] || continue
    stop_one "$(basename "$f" .pid)"
  done
fi

if [[ $PURGE == 1 && -d "$STACK" ]]; then
  log "purging .stack (keeping .stack/cache)"
  find "$STACK" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +
fi
log "stack is down"
