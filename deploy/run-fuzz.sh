#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang (a build directory of their own) and runs
# each for a bounded time over a copy of its committed corpus (tests/ is never written). Prints
# each harness's runs; exits non-zero on any finding (crash, sanitizer report, leak, timeout,
# out-of-memory), keeping the input that caused it in BUILD-DIR/fuzz-findings/. docs/fuzzing.md.
# Usage: deploy/run-fuzz.sh [seconds-per-target] [build-dir]   (defaults: 30, build-fuzz)
# Environment: FUZZ_TARGETS="rpc_frames json_codec" runs only those; FUZZ_JOBS sets build jobs.
# Needs clang and libclang-rt-14-dev (deploy/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${2:-build-fuzz}
targets=${FUZZ_TARGETS:-"rpc_frames lua_value msgpack_json json_codec node_config mcp_message wasm_module"}

if ! command -v clang++ >/dev/null; then
  echo "run-fuzz: clang++ not found; run deploy/install-deps.sh" >&2
  exit 2
fi
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^TROUPE_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "run-fuzz: $build is not a fuzz build (TROUPE_FUZZ=ON); name another directory" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROUPE_FUZZ=ON \
  -DTROUPE_BUILD_TESTS=OFF -DTROUPE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target troupe_fuzzers -j"${FUZZ_JOBS:-$(nproc)}"

work=$(mktemp -d "${TMPDIR:-/tmp}/troupe-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=print_stacktrace=1
failed=()
for t in $targets; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/corpus/"
  options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
           -artifact_prefix="$work/$t/artifacts/")
  [ -f "tests/fuzz/fuzz_$t.dict" ] && options+=(-dict="tests/fuzz/fuzz_$t.dict")
  rc=0
  "$build/tests/fuzz/fuzz_$t" "${options[@]}" "$work/$t/corpus" >"$work/$t/log" 2>&1 || rc=$?
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/$t/log")
  speed=$(awk '/stat::average_exec_per_sec/ {print $2}' "$work/$t/log")
  if [ "$rc" -eq 0 ] && [ -z "$(ls -A "$work/$t/artifacts")" ]; then
    echo "run-fuzz: $t: ${runs:-?} runs in ${seconds} s (${speed:-?} exec/s), no finding"
    continue
  fi
  failed+=("$t")
  mkdir -p "$build/fuzz-findings/$t"
  cp "$work/$t/artifacts"/* "$build/fuzz-findings/$t/" 2>/dev/null || true
  echo "run-fuzz: $t: FINDING after ${runs:-?} runs (exit $rc); inputs kept in" \
       "$build/fuzz-findings/$t/; the end of its log:" >&2
  tail -n 60 "$work/$t/log" >&2
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "run-fuzz: no finding in $(wc -w <<<"$targets") harnesses"
