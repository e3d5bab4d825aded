#!/usr/bin/env bash
# npm run dev: the n8n editor on http://127.0.0.1:5678 with the package loaded and the
# simulators' credentials and the examples imported.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
exec node build/scripts/dev.js "$@"
