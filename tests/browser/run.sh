#!/usr/bin/env bash
# Browser tests of the respondent pages: axe (WCAG 2.1 A/AA), keyboard only, without
# JavaScript, large text on a narrow screen. Run from anywhere, e.g. from the repo root:
#
#   bash tests/browser/run.sh                      # every *.test.mjs here
#   bash tests/browser/run.sh axe.test.mjs         # some of them
#
# Installs Debian's Chromium if /usr/bin/chromium is missing (never a downloaded
# browser), installs the npm packages from package-lock.json, builds svar-local and runs
# the tests with Node's test runner. Each test file starts its own server on a free port
# of 127.0.0.1 with a fresh data folder. Screenshots go to target/browser-screenshots/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() {
  echo "tests/browser/run.sh: $*" >&2
  exit 1
}

# Node 20 or later: the test runner is built in.
command -v node >/dev/null || fail "node is not installed (Node.js 20 or later is needed)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "Node.js 20 or later is needed, found $(node --version)"

# Debian's Chromium.
if [ ! -x /usr/bin/chromium ]; then
  echo "tests/browser/run.sh: /usr/bin/chromium is missing: installing Debian's chromium" >&2
  command -v apt-get >/dev/null || fail "/usr/bin/chromium is missing and apt-get is not available to install it"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "/usr/bin/chromium is missing and installing it needs root (or sudo)"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update || fail "apt-get update failed: cannot install chromium"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends chromium \
    || fail "apt-get install chromium failed"
  [ -x /usr/bin/chromium ] || fail "chromium was installed but /usr/bin/chromium is still missing"
fi
/usr/bin/chromium --version || fail "/usr/bin/chromium does not run"

# npm packages: exactly what package-lock.json says.
cd "$here"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

# The server.
cd "$root"
cargo build -p svar-local

# The tests, one file at a time (each starts a server and a browser).
cd "$here"
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(*.test.mjs)
fi
mkdir -p "$root/target/browser-screenshots"
node --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
