#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds tests/install (find_package(troupe) and
# docs/examples/embedding.cpp) against it and runs the program; then runs the installed `troupe`
# binary on a config that names the installed example library plugin.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR. Exits non-zero on the first failure.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
cmake -S "$src/tests/install" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" -DTROUPE_EMBEDDING_SOURCE="$src/docs/examples/embedding.cpp" \
      > "$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer" > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/consumer/embedding"

# The core does not bring the example plugins' SQLite along.
if ldd "$tmp/consumer/embedding" | grep -q sqlite; then
  echo "FAIL: the embedding program links SQLite"; exit 1
fi

# The installed binary finds the example library plugin in <prefix>/lib/troupe/plugins.
cat > "$tmp/node.toml" <<TOML
[[plugins]]
id = "words"
library = "troupe_word_count"
TOML
out=$("$prefix/bin/troupe" exec words '"one two"' -c "$tmp/node.toml" 2>&1)
[[ "$out" == *'"words":2'* ]] || { echo "FAIL: installed troupe: $out"; exit 1; }
echo "install_consumer: passed"
