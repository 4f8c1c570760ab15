#!/usr/bin/env bash
# The main demo: plugins at work. Runs the demo config in-process, then as a node that other
# `troupe` processes talk to over CAF's network layer. Usage: deploy/demo.sh [path/to/troupe]
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-build/cli/troupe}
CFG=deploy/demo.toml
wait_for() { for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return; sleep 0.05; done; }
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

say "Lua runtime plugins: a rule engine script, configured like any plugin" "troupe exec rules '{...}'"
"$T" exec rules '{"customer":{"tier":"gold","country":"DE"},"order":{"total":1250,"items":3}}' -c "$CFG"

say "Tools with JSON schemas, for agents" "troupe tools; troupe call-tool evaluate_rules '{...}'"
"$T" tools -c "$CFG" | grep -E '"(plugin|name)"'
"$T" call-tool evaluate_rules '{"facts":{"customer":{"tier":"gold"}}}' -c "$CFG"
"$T" call-tool evaluate_rules '{"facts":"not an object"}' -c "$CFG" 2>/dev/null || echo "(exit code $?)"

say "A script on its own, and the sandbox at work" "troupe exec --script /tmp/troupe-demo.lua --limit wall_time_ms=100"
cat > /tmp/troupe-demo.lua <<'LUA'
plugin_name = "demo"
local calls = 0
function execute(input)
  calls = calls + 1
  if input == "spin" then while true do pcall(function() while true do end end) end end
  if input == "escape" then return io.open("/etc/passwd") end
  return { calls = calls, upper = upper(tostring(input)) }
end
LUA
printf '"hello"\n"spin"\n"escape"\n"still here"\n' \
  | "$T" exec --script /tmp/troupe-demo.lua --limit wall_time_ms=100

WASM=$(dirname "$T")/../tests/wasm_modules
if [ -f "$WASM/transform.wasm" ]; then
  say "WebAssembly: a module built from C, its tools, and a hostile one under fuel and memory limits" \
      "troupe exec --script transform.wasm; troupe exec --script hostile.wasm --limit fuel=1M --limit memory_pages=8"
  "$T" exec --script "$WASM/transform.wasm" '"webassembly in the sandbox"'
  # hostile.wasm's selectors: 5 loops forever, 6 grows its memory without end, 2 stores out of
  # bounds, 0 answers nil: each failure names its limit or trap, and the module serves on.
  printf '5\n6\n2\n0\n' \
    | "$T" exec --script "$WASM/hostile.wasm" --limit fuel=1M --limit memory_pages=8 2>/dev/null
fi

AGENT=deploy/agent.toml
say "Agent hooks around every tool call: rate limiter, cache, redactor, audit log" "troupe hooks -c $AGENT"
"$T" hooks -c "$AGENT" | grep -E '"(plugin|hook_priority)"'
say "A tool call passes the pipeline; the redactor masks personal data" "troupe call-tool multiply; troupe exec redactor"
"$T" call-tool multiply '{"a": 17, "b": 23}' -c "$AGENT"
"$T" exec redactor '{"note": "mail ann@example.com, card 4111 1111 1111 1111"}' -c "$AGENT"
echo "(scripts/agent.lua runs a whole agent turn against any OpenAI-compatible server: see README)"

port=$(( 20000 + RANDOM % 20000 ))
say "A node: troupe run publishes the manager; other processes use --node" "troupe run $CFG --port $port &"
"$T" run "$CFG" --port "$port" 2> /tmp/troupe-demo-node.log &
node=$!
trap 'kill -INT $node 2>/dev/null || true' EXIT
wait_for /tmp/troupe-demo-node.log serving
for i in 1 2 3; do "$T" exec echo "{\"request\":$i}" --node "127.0.0.1:$port"; done

say "Doors: msgpack-RPC for any language, MCP for agents, Prometheus metrics, a live view" "python3 (pynvim) -> 127.0.0.1:4720; troupe mcp; GET 127.0.0.1:4721/metrics"
/usr/bin/python3 - <<'PY'
from pynvim.msgpack_rpc import tcp_session
s = tcp_session("127.0.0.1", 4720)
print("execute echo ->", s.request("execute", "echo", {"from": "python"}))
print("tools ->", [t["name"] for t in s.request("tools")])
PY
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"demo","version":"1"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"evaluate_rules","arguments":{"facts":{"customer":{"tier":"gold"}}}}}' \
  | "$T" mcp -c "$CFG" | tail -1
/usr/bin/python3 -c 'import urllib.request as u; print("".join(l for l in u.urlopen("http://127.0.0.1:4721/metrics").read().decode().splitlines(True) if l.startswith("troupe_plugin_calls_total")), end="")'
echo "(the live view: http://127.0.0.1:4721/ while the node runs)"

say "Supervision: a script crashes, is restarted, and keeps its state" "troupe events --node ... & troupe exec tally '{\"op\":\"leak\"}' --node ..."
"$T" --log-level info events --node "127.0.0.1:$port" --count 2 --for 20 2> /tmp/troupe-demo-events.log &
events=$!
wait_for /tmp/troupe-demo-events.log listening
"$T" exec tally '{"op":"add","key":"deploys","by":41}' --node "127.0.0.1:$port"
"$T" exec tally '{"op":"leak"}' --node "127.0.0.1:$port" 2>/dev/null || echo "(exit code $?)"
wait $events
"$T" exec tally '{"op":"add","key":"deploys"}' --node "127.0.0.1:$port"
"$T" stats tally --node "127.0.0.1:$port" | grep -E '"(id|restarts|state)"'

say "Hot reload: the tally script is rebuilt from its file beside the running one, counts kept" "troupe reload tally --node ..."
"$T" reload tally --node "127.0.0.1:$port" | grep -E '"(id|version)"'
"$T" exec tally '{"op":"get","key":"deploys"}' --node "127.0.0.1:$port"
"$T" stats echo --node "127.0.0.1:$port"
"$T" health --node "127.0.0.1:$port" | grep -E '"(id|healthy)"'

say "A cluster: a second node joins the first; plugins are called wherever they run" "troupe run second.toml (seeds = [the first node]) & troupe nodes --node ..."
cat > /tmp/troupe-demo-second.toml <<TOML
[node]
name = "second"
[cluster]
listen = "127.0.0.1:0"
seeds = ["127.0.0.1:$port"]
[[plugins]]
id = "shout"
script = "$PWD/tests/cluster/deployed_v1.lua"
TOML
rm -f /tmp/troupe-demo-second.addr
"$T" run /tmp/troupe-demo-second.toml --ready-file /tmp/troupe-demo-second.addr 2> /tmp/troupe-demo-second.log &
second=$!
trap 'kill -INT $node $second 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -f /tmp/troupe-demo-second.addr ] && break; sleep 0.05; done
for _ in $(seq 100); do "$T" nodes --node "127.0.0.1:$port" | grep -q '"up"' && break; sleep 0.05; done
"$T" nodes --node "127.0.0.1:$port" | grep -E '"(name|state)"'
"$T" exec shout '"called through the first node"' --node "127.0.0.1:$port"
say "Deploy: a script sent to the second node through the first" "troupe deploy tally.lua --node FIRST --on second --id tally2"
"$T" deploy scripts/tally.lua --node "127.0.0.1:$port" --on second --id tally2 | grep -E '"(id|version)"'
"$T" exec tally2 '{"op":"add","key":"remote","by":2}' --node "127.0.0.1:$port"
"$T" list --node "127.0.0.1:$port" | grep -E '"(id|node)"'
"$T" undeploy tally2 --node "127.0.0.1:$port"
kill -INT $second
wait $second
rm -rf /tmp/troupe-data
kill -INT $node
wait $node
trap - EXIT
echo
echo "Node log:"
cat /tmp/troupe-demo-node.log
