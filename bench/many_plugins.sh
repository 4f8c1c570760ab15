#!/usr/bin/env bash
# bench/many_plugins.sh: N Lua plugins in one config (one script, N [[plugins]] entries), run by
# `troupe exec` in-process: the time from the process's start until the last plugin answered its
# first call, and the process's peak memory per plugin. The target: 10,000 plugins answering
# within 1 s at <= 64 KB each.
# Usage: bench/many_plugins.sh [path/to/troupe] [N] [runs]
set -euo pipefail
T=${1:-build/cli/troupe}
N=${2:-10000}
runs=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'function execute(x) return x end\n' > "$work/s.lua"
{
  printf '[node]\nname = "many"\nlog_level = "warn"\n'
  for ((i = 0; i < N; i++)); do
    printf '[[plugins]]\nid = "p%d"\nkind = "lua"\nscript = "s.lua"\n' "$i"
  done
} > "$work/many.toml"
last="p$((N - 1))"
for ((r = 1; r <= runs; r++)); do
  start=$(date +%s%N)
  # The answer line is printed before the process shuts its plugins down.
  answer_ns=$( { /usr/bin/time -f "%M" -o "$work/rss" "$T" exec "$last" '"ping"' -c "$work/many.toml" 2>/dev/null \
                 | { read -r line; [ "$line" = '"ping"' ] || exit 1; echo $(( $(date +%s%N) - start )); cat > /dev/null; }; } )
  rss_kb=$(cat "$work/rss")
  printf 'run %d: %d plugins answering %.0f ms after the start; peak RSS %d KB = %.1f KB per plugin\n' \
    "$r" "$N" "$(awk "BEGIN { print $answer_ns / 1000000 }")" "$rss_kb" "$(awk "BEGIN { print $rss_kb / $N }")"
done
