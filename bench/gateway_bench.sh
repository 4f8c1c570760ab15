#!/usr/bin/env bash
# The msgpack-RPC gateway against Redis 7 in one run (docs/performance.md, "Gateway"):
#  - a `troupe run` node with a [gateway] and a Lua plugin `return "ok:" .. x`, called by
#    bench/gateway_bench over one TCP connection: round trip (1 in flight) and pipelined
#    (16 in flight, written and read the way redis-benchmark -P 16 does);
#  - Redis EVALSHA of the same script (return 'ok:'..ARGV[1]) through the peers kit
#    (../shared/peers/bench-redis.sh), same machine, same run.
# Prints the figures and the ratios. Usage: bench/gateway_bench.sh [BUILD_DIR] [N] [REPS].
# Env: PIN=1 runs the node on CPU 0 and the client on CPU 1. The node is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-20000}
reps=${3:-5}
work=$(mktemp -d)
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cat > "$work/ok.lua" <<'LUA'
function execute(x) return "ok:" .. x end
LUA
cat > "$work/node.toml" <<TOML
[node]
name = "bench"
log_level = "warn"
${NODE_SETTINGS:-}
[gateway]
listen = "127.0.0.1:0"
[[plugins]]
id = "ok"
script = "$work/ok.lua"
TOML
node_cpu=() client_cpu=()
if [ "${PIN:-0}" = 1 ]; then node_cpu=(taskset -c 0); client_cpu=(taskset -c 1); fi
"${node_cpu[@]}" "$build/cli/troupe" run "$work/node.toml" --ready-file "$work/ready" 2> "$work/node.log" &
node_pid=$!
for _ in $(seq 200); do [ -f "$work/ready" ] && break; sleep 0.05; done
address=$(grep '^gateway ' "$work/ready" | cut -d' ' -f2)
out=$("${client_cpu[@]}" "$build/bench/gateway_bench" "${address%:*}" "${address##*:}" ok "$n" "$reps")
echo "$out"
kill "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
peers=${PEERS_DIR:-$(dirname "$PWD")/shared/peers}
if ! command -v redis-server > /dev/null || [ ! -x "$peers/bench-redis.sh" ]; then
  echo "redis: not measured (install redis-server and redis-tools: ../shared/peers/install-deps.sh)"
  exit 0
fi
redis=$(REDIS_REPS=3 "$peers/bench-redis.sh" 2>/dev/null | grep -E "redis_evalsha_(rt_us|pipelined_ops_per_s) ")
echo "$redis"
rt=$(echo "$out" | awk '/gateway_rt_us/ {print $2}')
pp=$(echo "$out" | awk '/gateway_pipelined_ops_per_s/ {print $2}')
rrt=$(echo "$redis" | awk '/redis_evalsha_rt_us/ {print $2}')
rpp=$(echo "$redis" | awk '/redis_evalsha_pipelined_ops_per_s/ {print $2}')
awk -v a="$rt" -v b="$rrt" 'BEGIN { printf "ratio gateway_rt / redis_rt %.2fx (target <= 1.5x)\n", a / b }'
awk -v a="$pp" -v b="$rpp" 'BEGIN { printf "ratio gateway_pipelined / redis_pipelined %.2fx (target >= 1x)\n", a / b }'
