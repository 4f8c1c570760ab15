#!/usr/bin/env bash
# End-to-end test of the `troupe` binary on a real config file, in-process and against a node.
# Usage: cli_end_to_end.sh PATH/TO/troupe. Prints "N passed, N failed"; exits non-zero on failure.
set -uo pipefail
T=$1
work=$(mktemp -d)
trap '[ "$node" -gt 0 ] && kill -INT $node 2>/dev/null; rm -rf "$work"' EXIT
node=0
passed=0
failed=0

check() { # check NAME EXPECTED-SUBSTRING ACTUAL
  if [[ "$3" == *"$2"* ]]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $1: expected to find [$2] in [$3]"; fi
}
wait_for() { # wait_for FILE PATTERN: until FILE holds PATTERN (at most 10 s); another process writes it
  for _ in $(seq 200); do grep -q -- "$2" "$1" 2>/dev/null && return; sleep 0.05; done
}
check_rc() { # check_rc NAME EXPECTED ACTUAL
  if [ "$2" -eq "$3" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $1: exit code $3, expected $2"; fi
}

cat > "$work/node.toml" <<TOML
[node]
name = "e2e"
log_level = "warn"

[[plugins]]
id = "store"
kind = "native"
class = "kv_store"
[plugins.settings]
path = "{config_dir}/store.db"

[[plugins]]
id = "echo"
class = "echo"
dependencies = ["store"]

[[plugins]]
id = "words"
library = "troupe_word_count"
TOML
cfg=(-c "$work/node.toml")

out=$("$T" exec echo '{"a":[1,2.5,"x",null,true]}' "${cfg[@]}" 2>/dev/null); rc=$?
check_rc ExecPrintsResultAndExitsZero 0 $rc
check ExecRoundTripsJson '{"a":[1,2.5,"x",null,true]}' "$out"

out=$("$T" exec store '{"op":"put","key":"k","value":[1,2,3]}' "${cfg[@]}" 2>/dev/null)
check KvPut '{"ok":true}' "$out"
out=$("$T" exec store '{"op":"get","key":"k"}' "${cfg[@]}" 2>/dev/null)
check KvValuePersistsAcrossProcesses '[1,2,3]' "$out"

out=$("$T" exec words '"one two\nthree"' "${cfg[@]}" 2>/dev/null)
check LibraryPluginCountsWords '"words":3' "$out"

out=$("$T" exec ghost '1' "${cfg[@]}" 2>/dev/null); rc=$?
check_rc UnknownPluginExitsOne 1 $rc
check UnknownPluginErrorNamesIt '"plugin":"ghost"' "$out"

out=$("$T" exec echo '{bad json' "${cfg[@]}" 2>/dev/null); rc=$?
check_rc BadJsonExitsOne 1 $rc
check BadJsonIsBadInput '"code":"bad_input"' "$out"

out=$(printf '{"op":"put","key":"n","value":7}\n\n{"op":"get","key":"n"}\nnope\n{"op":"boom"}\n' \
      | "$T" exec store "${cfg[@]}" 2>/dev/null); rc=$?
check_rc StdinModeExitsZero 0 $rc
check_rc StdinModeOneLinePerInput 4 "$(printf '%s\n' "$out" | wc -l)"
check StdinModeKeepsState '{"ok":7}' "$out"
check StdinModeBadLineIsError '"code":"bad_input"' "$out"

out=$("$T" list "${cfg[@]}" 2>/dev/null)
check ListShowsRunning '"state": "Running"' "$out"
check ListShowsDependencies '"store"' "$out"
out=$("$T" list --type storage "${cfg[@]}" 2>/dev/null)
check ListFiltersByType '"id": "store"' "$out"
[[ "$out" == *'"id": "echo"'* ]] && { failed=$((failed + 1)); echo "FAIL ListFilterExcludesOthers"; } || passed=$((passed + 1))

out=$("$T" health "${cfg[@]}" 2>/dev/null); rc=$?
check_rc HealthyNodeExitsZero 0 $rc

cat > "$work/broken.toml" <<TOML
[[plugins]]
id = "x"
kind = "teleport"
TOML
out=$("$T" list -c "$work/broken.toml" 2>&1); rc=$?
check_rc BadConfigExitsTwo 2 $rc
check BadConfigNamesFileAndLine "broken.toml:1" "$out"

cat > "$work/cycle.toml" <<TOML
[[plugins]]
id = "a"
class = "echo"
dependencies = ["b"]
[[plugins]]
id = "b"
class = "echo"
dependencies = ["a"]
TOML
out=$("$T" list -c "$work/cycle.toml" 2>/dev/null); rc=$?
check CycleIsReported '"code":"dependency_cycle"' "$out"

cat > "$work/missing-lib.toml" <<TOML
[[plugins]]
id = "gone"
library = "./no-such-lib.so"
TOML
out=$("$T" list -c "$work/missing-lib.toml" 2>/dev/null); rc=$?
check MissingLibraryIsNotFound '"code":"not_found"' "$out"

# A node: publish on a free port, then talk to it from other processes.
port=$(( 30000 + RANDOM % 20000 ))
"$T" --log-level info run "$work/node.toml" --port "$port" 2> "$work/node.log" &
node=$!
wait_for "$work/node.log" serving
check NodeStarts "serving 3 plugin(s)" "$(cat "$work/node.log")"
out=$("$T" exec echo '"remote"' --node "127.0.0.1:$port" 2>/dev/null)
check RemoteExec '"remote"' "$out"
out=$("$T" stats echo --node "127.0.0.1:$port" 2>/dev/null)
check RemoteStatsCountCalls '"calls": 1' "$out"
out=$("$T" exec ghost '1' --node "127.0.0.1:$port" 2>/dev/null)
check RemoteErrorsNameThePlugin '"plugin":"ghost"' "$out"
kill -INT $node; wait $node; rc=$?
check_rc NodeStopsCleanlyOnSigint 0 $rc
node=0
out=$("$T" list --node "127.0.0.1:$port" 2>/dev/null); rc=$?
check_rc StoppedNodeIsUnreachable 2 $rc

# Supervision: [[groups]] in the config, a crash answered and restarted, `troupe events`.
cat > "$work/hoarder.lua" <<'LUA'
count = 0
hoard = {}
function execute(x)
  if x == "hoard" then while true do hoard[#hoard + 1] = {} end end
  count = count + 1
  return count
end
function snapshot() return count end
function restore(n) count = n end
LUA
cat > "$work/supervised.toml" <<TOML
[[groups]]
name = "scripts"
strategy = "one_for_one"
backoff_min_ms = 0
max_restarts = 3
within_ms = 60000

[[plugins]]
id = "hoarder"
script = "hoarder.lua"
group = "scripts"
[plugins.limits]
memory = 2000000
TOML
out=$(printf '"a"\n"b"\n"hoard"\n"c"\n' | "$T" exec hoarder -c "$work/supervised.toml" 2>/dev/null)
check CrashIsAnsweredCrashed '"code":"crashed"' "$out"
check CrashNamesTheReason 'the Lua state cannot recover' "$out"
check RestartedPluginKeepsItsSnapshot '{"ok":3}' "$(printf '%s\n' "$out" | tail -1)"

cat > "$work/bad-group.toml" <<TOML
[[groups]]
name = "g"
stratgy = "one_for_all"
TOML
out=$("$T" list -c "$work/bad-group.toml" 2>&1); rc=$?
check_rc UnknownGroupKeyExitsTwo 2 $rc
check UnknownGroupKeyIsNamed "unknown key 'stratgy' in [[groups]]" "$out"
cat > "$work/orphan.toml" <<TOML
[[plugins]]
id = "echo"
group = "nowhere"
TOML
out=$("$T" list -c "$work/orphan.toml" 2>&1); rc=$?
check_rc UndefinedGroupExitsTwo 2 $rc
check UndefinedGroupIsNamed "its group 'nowhere' is not defined" "$out"
cat > "$work/bad-strategy.toml" <<TOML
[[groups]]
name = "g"
strategy = "all_for_one"
TOML
out=$("$T" list -c "$work/bad-strategy.toml" 2>&1)
check BadStrategyListsTheChoices "one_for_one, one_for_all, rest_for_one" "$out"

port=$(( 30000 + RANDOM % 20000 ))
"$T" --log-level info run "$work/supervised.toml" --port "$port" 2> "$work/snode.log" &
node=$!
wait_for "$work/snode.log" serving
"$T" --log-level info events --node "127.0.0.1:$port" --count 2 --for 30 --json \
  > "$work/events.out" 2> "$work/events.log" &
events=$!
wait_for "$work/events.log" listening
out=$("$T" exec hoarder '"hoard"' --node "127.0.0.1:$port" 2>/dev/null); rc=$?
check_rc RemoteCrashExitsOne 1 $rc
check RemoteCrashIsCrashed '"code":"crashed"' "$out"
wait $events
check EventsPrintsTheCrash '"kind":"crashed","plugin":"hoarder"' "$(cat "$work/events.out")"
check EventsPrintsTheRestart '"kind":"restarted","plugin":"hoarder"' "$(cat "$work/events.out")"
out=$("$T" stats hoarder --node "127.0.0.1:$port" 2>/dev/null)
check StatsCountRestarts '"restarts": 1' "$out"
kill -INT $node; wait $node
node=0

# Hot reload: exec --script --watch reloads the script between two input lines, state kept;
# troupe reload and SIGHUP reload a node's script; a broken script leaves the old one serving.
mkdir -p "$work/hot"
printf "plugin_version='1.0.0'\ncount=0\nfunction execute(x) count=count+1 return {v=1,count=count} end\n" > "$work/hot/w.lua"
mkfifo "$work/hot/in"
"$T" --log-level info exec --script "$work/hot/w.lua" --watch < "$work/hot/in" > "$work/hot/out" 2> "$work/hot/err" &
watcher=$!
exec 3> "$work/hot/in"
echo '"a"' >&3
wait_for "$work/hot/out" ok
printf "plugin_version='2.0.0'\ncount=0\nfunction execute(x) count=count+1 return {v=2,count=count} end\n" > "$work/hot/w.lua"
wait_for "$work/hot/err" reload_completed
echo '"b"' >&3
exec 3>&-
wait $watcher
check WatchFirstLineOldVersion '{"ok":{"count":1,"v":1}}' "$(head -1 "$work/hot/out")"
check WatchReloadKeepsState '{"ok":{"count":2,"v":2}}' "$(tail -1 "$work/hot/out")"

cat > "$work/hot/node.toml" <<TOML
[[plugins]]
id = "w"
script = "w.lua"
TOML
port=$(( 30000 + RANDOM % 20000 ))
"$T" --log-level info run "$work/hot/node.toml" --port "$port" 2> "$work/hot/node.log" &
node=$!
wait_for "$work/hot/node.log" serving
"$T" exec w '"x"' --node "127.0.0.1:$port" > /dev/null 2>&1
printf "plugin_version='3.0.0'\ncount=0\nfunction execute(x) count=count+1 return {v=3,count=count} end\n" > "$work/hot/w.lua"
out=$("$T" reload w --node "127.0.0.1:$port" 2>/dev/null); rc=$?
check_rc ReloadCommandExitsZero 0 $rc
check ReloadCommandPrintsNewVersion '"version": "3.0.0"' "$out"
out=$("$T" exec w '"x"' --node "127.0.0.1:$port" 2>/dev/null)
check ReloadedNodeKeepsState '{"count":2,"v":3}' "$out"
printf "function execute(x) return x +\nend\n" > "$work/hot/w.lua"
out=$("$T" reload w --node "127.0.0.1:$port" 2>/dev/null); rc=$?
check_rc BrokenReloadExitsOne 1 $rc
check BrokenReloadSaysOldServes 'the old version serves on' "$out"
printf "plugin_version='4.0.0'\ncount=0\nfunction execute(x) count=count+1 return {v=4,count=count} end\n" > "$work/hot/w.lua"
kill -HUP $node
wait_for "$work/hot/node.log" "SIGHUP: 'w' reloaded"
out=$("$T" exec w '"x"' --node "127.0.0.1:$port" 2>/dev/null)
check SighupReloads '{"count":3,"v":4}' "$out"
out=$("$T" stats w --node "127.0.0.1:$port" 2>/dev/null)
check StatsCountReloads '"reloads": 2' "$out"
kill -INT $node; wait $node
node=0

# The example Lua plugins in scripts/, run with exec --script.
scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/../scripts" && pwd)
facts='{"customer":{"tier":"gold","verified":true},"order":{"total":250,"items":12,"coupon":"SAVE5"}}'
out=$("$T" exec --script "$scripts/rule_engine.lua" "$facts" 2>/dev/null); rc=$?
check_rc ScriptExecExitsZero 0 $rc
check ScriptExecPrintsResult '{"matched":["vip_customer","bulk_order","free_shipping","promo_code"],"result":{"discount":20,"shipping":"free"},"tags":["vip","bulk","promo"]}' "$out"
out=$("$T" exec --script "$scripts/rule_engine.lua" '"gold"' 2>/dev/null); rc=$?
check_rc ScriptFailureExitsOne 1 $rc
check ScriptFailurePrintsError '{"error":{"code":"plugin_failed"' "$out"
check ScriptFailureSaysWhy 'facts must be an object, got string' "$out"

record='{"id":"p","email":"a@b.co","country":"de","weight":1}'
out=$(printf '{"records":[%s]}\n{"records":[%s,{"id":"q"}]}\n' "$record" "$record" \
      | "$T" exec --script "$scripts/data_processor.lua" 2>/dev/null); rc=$?
check_rc ScriptStdinExitsZero 0 $rc
check_rc ScriptStdinOneLinePerInput 2 "$(printf '%s\n' "$out" | wc -l)"
check ScriptStdinKeepsStateFirst '"calls":1' "$(printf '%s\n' "$out" | head -1)"
check ScriptStdinKeepsStateSecond '"calls":2,"errors":{"bad_format":0,"missing":3' "$(printf '%s\n' "$out" | tail -1)"
check ScriptStdinCountersAddUp '"invalid":1,"processed":3,"rejected_inputs":0,"valid":2' "$out"

heavy='{"records":['$(for i in $(seq 40); do printf '%s,' "$record"; done)"$record]}"
out=$(printf '%s\n{"records":[%s]}\n' "$heavy" "$record" \
      | "$T" exec --script "$scripts/data_processor.lua" --limit instructions=1000 2>/dev/null); rc=$?
check_rc ScriptLimitExitsZero 0 $rc
check ScriptLimitStopsHeavyInput '"code":"limit_exceeded"' "$(printf '%s\n' "$out" | head -1)"
check ScriptLimitNamesTheLimit 'instruction limit exceeded (1000 per call)' "$(printf '%s\n' "$out" | head -1)"
check ScriptLimitNextLineWorks '{"ok":{"counters":' "$(printf '%s\n' "$out" | tail -1)"

order='{"id":"B-1","currency":"EUR","items":[{"sku":"tv","quantity":2,"unit_price":"999.99"}]}'
out=$(printf '%s\n{"action":"pending"}\n{"action":"approve","order_id":"B-1","approver":"bob"}\n' "$order" \
      | "$T" exec --script "$scripts/order_processor.lua" 2>/dev/null)
check ScriptOrderWaitsForApproval '"status":"pending_approval","submitted_at"' "$out"
check ScriptOrderIsPending '{"ok":[{"currency":"EUR","order_id":"B-1","submitted_at"' "$out"
check ScriptOrderIsApproved '"approved_by":"bob"' "$out"

out=$("$T" validate "$scripts/rule_engine.lua" "$scripts/data_processor.lua" "$scripts/order_processor.lua" 2>&1); rc=$?
check_rc ValidateGoodScriptsExitsZero 0 $rc
[ -z "$out" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL ValidateGoodScriptsIsQuiet: [$out]"; }
printf 'function execute(input)\n  return input +\nend\n' > "$work/broken.lua"
out=$("$T" validate "$work/broken.lua" 2>/dev/null); rc=$?
check_rc ValidateBrokenScriptExitsOne 1 $rc
check ValidateBrokenScriptNamesLine '"line":3' "$out"
check ValidateBrokenScriptIsError '"severity":"error"' "$out"

# Issue 10: bytes that are not UTF-8 never abort the CLI, and a first call longer than a watchdog
# tick is not a hang.
cat > "$work/bytes.lua" <<'LUA'
function execute(x)
  if x == "bytes" then return {["\xff\xfe"] = "\xc0\xaf\x00\xed\xa0\x80"} end
  if x == "raise" then error("bad \xff\xfe bytes") end
  return "served " .. x
end
LUA
out=$("$T" exec --script "$work/bytes.lua" '"bytes"' 2>/dev/null); rc=$?
check_rc NonUtf8ResultExitsZero 0 $rc
check NonUtf8ResultRendersBytes '{"{\"bytes\":[255,254],\"subtype\":null}":{"bytes":[192,175,0,237,160,128],"subtype":null}}' "$out"
out=$(printf '"bytes"\n"raise"\n"next"\n' | "$T" exec --script "$work/bytes.lua" 2>/dev/null); rc=$?
check_rc NonUtf8LinesExitZero 0 $rc
check NonUtf8ErrorIsPrinted '"code":"plugin_failed"' "$(printf '%s\n' "$out" | sed -n 2p)"
check NonUtf8ErrorBytesReplaced $'bad \xef\xbf\xbd\xef\xbf\xbd bytes' "$(printf '%s\n' "$out" | sed -n 2p)"
check NonUtf8NextLineServed '{"ok":"served next"}' "$(printf '%s\n' "$out" | sed -n 3p)"
printf 'function execute(ms) local t0 = now() while now() - t0 < ms do end return "done" end\n' > "$work/busy.lua"
out=$("$T" exec --script "$work/busy.lua" 800 2>/dev/null); rc=$?
check_rc LongFirstCallExitsZero 0 $rc
check LongFirstCallIsAnswered '"done"' "$out"
printf 'function execute(x) while true do end end\n' > "$work/spin.lua"
out=$("$T" exec --script "$work/spin.lua" --limit instructions=0 1 2>/dev/null); rc=$?
check_rc EndlessFirstCallExitsOne 1 $rc
check EndlessFirstCallHitsWallTime 'wall-time limit exceeded (1000 ms per call)' "$out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
