#!/usr/bin/env bash
# npm run demo: a real n8n runs the text-to-image example and writes the images to demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
exec node build/scripts/demo.js "$@"
