#!/usr/bin/env bash
# Installs every Debian 12 package Troupe needs to build, test, fuzz and benchmark.
# Idempotent: packages already present are left as they are. Run as root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libcaf-dev liblua5.4-dev libmsgpack-cxx-dev libspdlog-dev
  nlohmann-json3-dev rapidjson-dev libtomlplusplus-dev libcli11-dev libsqlite3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libutfcpp-dev lua5.4
  libssl-dev openssl python3
  libcpp-httplib-dev prometheus-cpp-dev
  python3-pynvim python3-prometheus-client chromium
  clang libclang-rt-14-dev  # the fuzz harnesses: deploy/run-fuzz.sh, docs/fuzzing.md
  wabt lld-14               # WebAssembly plugins: libwabt's interpreter, wat2wasm; wasm-ld for C modules
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
