#!/usr/bin/env bash
# Node 22 LTS for CI and the scripts, in the git-ignored cache: Node 20 reached its end of life
# (2026-04-30). The npm registry ships the runtime as the package `node` (its install script
# fetches the platform's binary package), so the machine's own Node only bootstraps this.
# Prints the directory to put first on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=22
dir=.stack/cache/node$version
bin="$dir/node_modules/node/bin"
if ! "$bin/node" --version 2>/dev/null | grep -q "^v$version\."; then
  mkdir -p "$dir"
  echo "[runtime] installing node@$version into $dir" >&2
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node@$version" >&2
fi
"$bin/node" --version | grep -q "^v$version\." || { echo "[runtime] $bin/node is not Node $version" >&2; exit 1; }
echo "$PWD/$bin"
