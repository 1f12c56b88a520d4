#!/usr/bin/env bash
# Fetches the peers of bench/end-to-end-peers.ts (DESIGN.md section 8) into the git-ignored
# .stack/cache, idempotently (each part only when missing or when its pin file changed):
#   Kafka Connect 3.9.1, the Debezium PostgreSQL connector + JDBC sink and Apicurio's Avro converter
#                                                                        (maven, bench/peers/debezium/pom.xml)
#       -> .stack/cache/peers/connect/*.jar, .stack/cache/peers/plugins/<plugin>/
#   pgstream                                                             (go install, bench/peers/pgstream/go.mod)
#       -> .stack/cache/bin/pgstream
#   wal2json for the stack's PostgreSQL (pgstream decodes the WAL with it) (apt, when root)
# `fetch.sh debezium` fetches Kafka Connect and Debezium only (what test/integration/compat runs).
set -euo pipefail

# shellcheck source=../../scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/stack/lib.sh"

PART="${1:-all}"
[[ "$PART" == all || "$PART" == debezium ]] || die "usage: bench/peers/fetch.sh [debezium]"

PEERS_DIR="$REPO_ROOT/bench/peers"
PEERS_CACHE="$CACHE/peers"
mkdir -p "$PEERS_CACHE" "$CACHE/bin"

# --- Kafka Connect and Debezium -------------------------------------------------------------
POM="$PEERS_DIR/debezium/pom.xml"
MARK="$PEERS_CACHE/.fetched-$(cat "$POM" "$PEERS_DIR"/debezium/*/pom.xml | sha256sum | cut -c1-16)"
if [[ ! -f "$MARK" ]]; then
  command -v mvn >/dev/null || die "maven is missing (npm run stack:up installs it)"
  log "fetching Kafka Connect and Debezium through bench/peers/debezium/pom.xml (maven) into .stack/cache/peers"
  rm -rf "$PEERS_CACHE/connect" "$PEERS_CACHE/plugins" "$PEERS_CACHE/download" "$PEERS_CACHE"/.fetched-*
  mvn -B -q -f "$POM" generate-resources -Dpeers.cache="$PEERS_CACHE" >"$PEERS_CACHE/mvn.log" 2>&1 \
    || die "maven could not fetch the Debezium peer" "$PEERS_CACHE/mvn.log"
  mkdir -p "$PEERS_CACHE/plugins"
  for archive in "$PEERS_CACHE"/download/*-plugin.tar.gz; do
    tar -xzf "$archive" -C "$PEERS_CACHE/plugins" --no-same-owner || die "could not unpack $archive"
  done
  rm -rf "$PEERS_CACHE/download"
  touch "$MARK"
fi
if [[ "$PART" == debezium ]]; then
  log "Kafka Connect and Debezium ready: .stack/cache/peers"
  exit 0
fi

# --- pgstream ---------------------------------------------------------------------------------
# go.mod pins the version as a tool: `go install pkg@version` would also ask the module proxy for
# the module's version list, which it may refuse, so the tool is installed from the pinned module.
GOMOD="$PEERS_DIR/pgstream/go.mod"
MARK="$CACHE/bin/.pgstream-$(cat "$GOMOD" "$PEERS_DIR/pgstream/go.sum" | sha256sum | cut -c1-16)"
if [[ ! -f "$MARK" || ! -x "$CACHE/bin/pgstream" ]]; then
  command -v go >/dev/null || die "go is missing: pgstream needs the Go toolchain named in bench/peers/pgstream/go.mod"
  log "building pgstream (go install, bench/peers/pgstream/go.mod) into .stack/cache/bin"
  rm -f "$CACHE/bin"/.pgstream-*
  (cd "$PEERS_DIR/pgstream" && GOBIN="$CACHE/bin" GOFLAGS=-mod=readonly go install tool) >"$CACHE/bin/go.log" 2>&1 \
    || die "go install of pgstream failed" "$CACHE/bin/go.log"
  touch "$MARK"
fi

# --- wal2json ---------------------------------------------------------------------------------
PG_LIB="$(ls -d /usr/lib/postgresql/*/lib 2>/dev/null | sort -V -r | head -n1 || true)"
[[ -n "$PG_LIB" ]] || die "no PostgreSQL under /usr/lib/postgresql (npm run stack:up installs it)"
if [[ ! -f "$PG_LIB/wal2json.so" ]]; then
  [[ "$(id -u)" == 0 ]] || die "wal2json is missing for $(dirname "$PG_LIB") and not root: install postgresql-$(basename "$(dirname "$PG_LIB")")-wal2json"
  log "apt-get install postgresql-$(basename "$(dirname "$PG_LIB")")-wal2json"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "postgresql-$(basename "$(dirname "$PG_LIB")")-wal2json"; } >"$PEERS_CACHE/apt.log" 2>&1 \
    || die "could not install wal2json" "$PEERS_CACHE/apt.log"
fi
log "peers ready: .stack/cache/peers (Kafka Connect, Debezium), .stack/cache/bin/pgstream, wal2json"
