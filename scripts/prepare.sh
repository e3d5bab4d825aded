#!/usr/bin/env bash
# What the demo, `npm run dev` and the benchmark need before they run: the package's
# dev dependencies, a fresh build, the compiled scripts and simulators, and the real n8n.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/n8n-workflow ] || npm ci --no-audit --no-fund --loglevel=error
npm run build --silent >/dev/null
npx tsc -p tsconfig.scripts.json
bash scripts/n8n-runtime.sh >/dev/null
