#!/usr/bin/env bash
# Remote calls against their floors, in one run (docs/performance.md, "Across nodes"):
#  - bench/remote_bench: a bare CAF echo actor and a Troupe node, each in its own process, called
#    from a third over loopback with the same transport settings;
#  - Redis 7 EVALSHA of the same Lua script (return 'ok:'..ARGV[1]), pipelined 16 deep on one
#    connection, through the peers kit (../shared/peers/bench-redis.sh; skipped without redis).
# Usage: bench/cluster_bench.sh [BUILD_DIR] [N]. Every process started is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-5000}
bin="$build/bench/remote_bench"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkfifo "$work/hold"
exec 3<> "$work/hold" # the servers serve until this closes
"$bin" serve-bare "$work/bare.port" <&3 & pids+=($!)
"$bin" serve-node "$work/node.port" <&3 & pids+=($!)
for _ in $(seq 200); do [ -f "$work/bare.port" ] && [ -f "$work/node.port" ] && break; sleep 0.05; done
"$bin" client "$(cat "$work/bare.port")" "$(cat "$work/node.port")" "$n"
exec 3>&-
peers=${PEERS_DIR:-$(dirname "$PWD")/shared/peers}
if command -v redis-server > /dev/null && [ -x "$peers/bench-redis.sh" ]; then
  REDIS_REPS=3 "$peers/bench-redis.sh" 2>/dev/null | grep -E "redis_evalsha_(rt_us|pipelined)" || true
else
  echo "redis: not measured (install redis-server and redis-tools: ../shared/peers/install-deps.sh)"
fi
