#!/usr/bin/env bash
# npm run test:e2e: the real-n8n end-to-end suite (test/e2e), once on each n8n line:
# 2 (n8n 2.41.1 on Node 24, e2e/n8n) and 1 (the newest n8n 1.x on Node 22, e2e/n8n-1x).
# Prints how long each line's install (first run only) and tests take, and runs every
# line even when one fails. Other lines: ZIMAGE_N8N_LINES="1" npm run test:e2e.
# Extra arguments go to jest (e.g. a test file).
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
for line in ${ZIMAGE_N8N_LINES:-2 1}; do
  start=$SECONDS
  if ! node_bin="$(bash scripts/n8n-runtime.sh "$line" | tail -n 1)"; then
    echo "e2e on n8n line $line: the runtime did not install" >&2
    failed+=("$line")
    continue
  fi
  installed=$SECONDS
  ZIMAGE_N8N_LINE="$line" npx jest -c jest.e2e.config.js "$@"
  status=$?
  n8n_version="$(node -p "require('$(dirname "$node_bin")/../../n8n/package.json').version")"
  echo "e2e on n8n $n8n_version, Node $("$node_bin" --version) (line $line): runtime ready in $((installed - start)) s, tests took $((SECONDS - installed)) s, exit code $status"
  [ "$status" -eq 0 ] || failed+=("$line")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "e2e failed on n8n line(s): ${failed[*]}" >&2
  exit 1
fi
