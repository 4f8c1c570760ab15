#!/usr/bin/env bash
# The main demo: plugins at work. Runs the demo config in-process, then as a node that other
# `troupe` processes talk to over CAF's network layer. Usage: deploy/demo.sh [path/to/troupe]
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-build/cli/troupe}
CFG=deploy/demo.toml
say() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

say "Three plugins: two compiled in, one a shared library loaded at run time" "troupe list -c $CFG"
"$T" list -c "$CFG" | grep -E '"(id|state|type)"'

say "Execute: msgpack in, msgpack out (JSON on the command line)" "troupe exec echo '{...}'"
"$T" exec echo '{"agent":"planner","step":3,"score":0.75}' -c "$CFG"

say "A word count from the shared-library plugin" "troupe exec words '\"...\"'"
"$T" exec words '"the quick brown fox\njumps over the lazy dog"' -c "$CFG"

say "A SQLite key-value store that persists across processes" "troupe exec kv (put, then get in a new process)"
"$T" exec kv "{\"op\":\"put\",\"key\":\"last-demo\",\"value\":\"$(date -u +%FT%TZ)\"}" -c "$CFG"
"$T" exec kv '{"op":"get","key":"last-demo"}' -c "$CFG"

say "Errors are values that name the plugin" "troupe exec kv '{\"op\":\"explode\"}'"
"$T" exec kv '{"op":"explode"}' -c "$CFG" 2>/dev/null || echo "(exit code $?)"

say "JSON lines on stdin against one plugin instance" "printf ... | troupe exec kv"
printf '{"op":"put","key":"n","value":1}\n{"op":"get","key":"n"}\nnot json\n{"op":"count"}\n' \
  | "$T" exec kv -c "$CFG"

port=$(( 20000 + RANDOM % 20000 ))
say "A node: troupe run publishes the manager; other processes use --node" "troupe run $CFG --port $port &"
"$T" run "$CFG" --port "$port" 2> /tmp/troupe-demo-node.log &
node=$!
trap 'kill -INT $node 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q serving /tmp/troupe-demo-node.log 2>/dev/null && break; sleep 0.05; done
for i in 1 2 3; do "$T" exec echo "{\"request\":$i}" --node "127.0.0.1:$port"; done
"$T" stats echo --node "127.0.0.1:$port"
"$T" health --node "127.0.0.1:$port" | grep -E '"(id|healthy)"'
kill -INT $node
wait $node
trap - EXIT
echo
echo "Node log:"
cat /tmp/troupe-demo-node.log
