#!/usr/bin/env bash
# Installs the Debian 12 packages parkchat needs to build, run and test, if any are missing.
# Uses sudo for apt-get unless already root. With --tests, also what only the tests need: the
# browser of the web client's tests (Debian's chromium) and a font for its Korean text.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache
  libcli11-dev libboost-dev libwebsocketpp-dev libnats-dev libpq-dev libpqxx-dev
  libspdlog-dev nlohmann-json3-dev libjwt-dev libexpected-dev libssl-dev uuid-dev libgtest-dev
  nats-server postgresql
  clang libclang-rt-dev  # the libFuzzer targets of fuzz/
  zsh fish man-db  # the completion and man page tests
)
[ "${1:-}" = "--tests" ] && packages+=(chromium fonts-noto-cjk)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# The gateway's tests drive the npm socket.io-client: Node.js and npm, from Debian unless the
# machine already has them.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
