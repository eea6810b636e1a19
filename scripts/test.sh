#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit and integration, the latter
# against real nats-server and PostgreSQL processes that the test binaries start themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
