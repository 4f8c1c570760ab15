#!/usr/bin/env bash
# Installs the test clients the team did not write (tests/clients/package.json, versions pinned
# in its package-lock.json): msgpack5rpc, the MCP TypeScript SDK and playwright-core (which
# drives Debian's chromium). Needs Node.js and npm (installed from Debian if missing).
# Idempotent. Run as root on a fresh machine (deploy/run-tests.sh calls it).
set -euo pipefail
cd "$(dirname "$0")/../tests/clients"
if ! command -v npm > /dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "install-test-clients: up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "install-test-clients: installed $(ls node_modules | wc -l) packages"
