#!/usr/bin/env bash
# Configures and builds parkchat in ./build: the targets given (for example `parkchat`), or
# everything, tests included. Both README commands configure the tree the same way (warnings are
# errors, as in CI), so switching between them rebuilds nothing that is already built.
set -euo pipefail
cd "$(dirname "$0")/.."

# ccache with paths relative to the checkout: another clone of the same tree (CI's fresh clone)
# hits the cache too.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# The web client's library files, compiled into the binary, as web/package-lock.json pins them.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  npm ci --prefix web --no-audit --no-fund --loglevel=error
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DPARKCHAT_WERROR=ON \
  ${PARKCHAT_SANITIZE:+-DPARKCHAT_SANITIZE=$PARKCHAT_SANITIZE} >/dev/null
if [ $# -gt 0 ]; then
  targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build build "${targets[@]}"
else
  cmake --build build
fi
