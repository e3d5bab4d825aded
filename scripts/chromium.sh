#!/usr/bin/env bash
# Makes sure Debian's chromium is there for the browser e2e suite (test/e2e/editor.e2e.test.ts),
# which drives it with playwright-core: installs it with apt-get when /usr/bin/chromium is
# missing (no browser download from elsewhere). Prints the browser's path on its last line.
set -euo pipefail
browser="${ZIMAGE_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ]; then
  echo "Installing Debian's chromium for the browser e2e suite (first run only)..." >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Two callers at once wait for one apt run rather than failing on dpkg's lock.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >&2
fi
"$browser" --version >&2
echo "$browser"
