#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit and integration, the latter
# against real nats-server and PostgreSQL processes that the test binaries start themselves),
# then the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --tests
./scripts/build.sh
# The npm packages of the gateway tests (socket.io-client, ws), as package-lock.json pins them.
if [ ! -f tests/gateway/node_modules/.package-lock.json ] ||
   [ tests/gateway/package-lock.json -nt tests/gateway/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/gateway --no-audit --no-fund --loglevel=error
fi
# playwright-core for the browser tests (tests/web/; it drives Debian's chromium, downloads none).
if [ ! -f tests/web/node_modules/.package-lock.json ] ||
   [ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
fi
(cd build && ctest --output-on-failure -j "$(nproc)" "$@")
# The fuzzers, a bounded time each (scripts/fuzz.sh), when the whole suite ran.
[ $# -eq 0 ] && ./scripts/fuzz.sh
exit 0
