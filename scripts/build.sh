#!/usr/bin/env bash
# Configures and builds parkchat and its tests in ./build. Warnings are errors when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DPARKCHAT_WERROR="$werror" \
  ${PARKCHAT_SANITIZE:+-DPARKCHAT_SANITIZE=$PARKCHAT_SANITIZE} >/dev/null
cmake --build build
