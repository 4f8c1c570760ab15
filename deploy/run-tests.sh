#!/usr/bin/env bash
# Installs what is needed, builds everything and runs every test through ctest.
# Usage: deploy/run-tests.sh [build-dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
./deploy/install-deps.sh
./deploy/install-test-clients.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 300
