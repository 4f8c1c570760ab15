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
for _ in $(seq 200); do grep -q serving "$work/node.log" 2>/dev/null && break; sleep 0.05; done
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
