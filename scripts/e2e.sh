#!/usr/bin/env bash
# npm run test:e2e: the real-n8n end-to-end suite (test/e2e) on each n8n line:
#   2             n8n 2.41.1 on Node 24 (e2e/n8n), its default binary mode (filesystem)
#   1             the newest n8n 1.x on Node 22 (e2e/n8n-1x), its default mode (in memory)
#   1:filesystem  1.x again with N8N_DEFAULT_BINARY_DATA_MODE=filesystem, the examples only
# Prints how long each run's runtime install (first run only) and tests take, and does
# every run even when one fails. Choose runs with ZIMAGE_N8N_LINES, e.g. "1" or "2 1";
# extra arguments go to jest (e.g. a test file).
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
bash scripts/chromium.sh >/dev/null || echo "e2e: Debian chromium (apt-get install chromium) is missing: the browser suite (editor.e2e) will fail" >&2
for run in ${ZIMAGE_N8N_LINES:-2 1 1:filesystem}; do
  line="${run%%:*}"
  mode=""
  [ "$run" = "$line" ] || mode="${run#*:}"
  start=$SECONDS
  if ! node_bin="$(bash scripts/n8n-runtime.sh "$line" | tail -n 1)"; then
    echo "e2e on n8n line $line: the runtime did not install" >&2
    failed+=("$run")
    continue
  fi
  installed=$SECONDS
  args=("$@")
  # The binary mode matters to the examples, which write and read images; not to the rest.
  if [ -n "$mode" ] && [ $# -eq 0 ]; then args=(test/e2e/examples.e2e.test.ts); fi
  # The queue-mode cluster (scripts/queue-cluster.sh) is the pinned 2.x: its tests (*queue.e2e.*) run with line 2 only.
  if [ "$line" != 2 ] && [ $# -eq 0 ]; then args+=(--testPathIgnorePatterns 'queue\.e2e\.'); fi
  ZIMAGE_N8N_LINE="$line" ZIMAGE_N8N_BINARY_MODE="$mode" npx jest -c jest.e2e.config.js "${args[@]}"
  status=$?
  n8n_version="$(node -p "require('$(dirname "$node_bin")/../../n8n/package.json').version")"
  echo "e2e on n8n $n8n_version, Node $("$node_bin" --version), binary mode ${mode:-of the line} (run $run): runtime ready in $((installed - start)) s, tests took $((SECONDS - installed)) s, exit code $status"
  [ "$status" -eq 0 ] || failed+=("$run")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "e2e failed on: ${failed[*]}" >&2
  exit 1
fi
