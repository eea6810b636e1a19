#!/usr/bin/env bash
# Installs what is missing, builds, and runs `parkchat serve` on its embedded default: its own
# nats-server and PostgreSQL in ./.parkchat. Extra arguments go to `parkchat serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/build.sh parkchat  # the server alone; the tests build with scripts/test.sh

args=()
# As root, the embedded servers run as the `postgres` user, who must be able to reach the data
# dir. A checkout under a private home (/root) is out of its reach: use a data dir it can reach.
if [ "$(id -u)" -eq 0 ] && [ -z "${PARKCHAT_DATA_DIR:-}" ] && ! su -s /bin/sh postgres -c "test -x '$PWD'" 2>/dev/null; then
  data_dir="/var/lib/parkchat/$(basename "$PWD")"
  echo "note: the postgres user cannot reach $PWD; using --data-dir $data_dir" >&2
  args=(--data-dir "$data_dir")
fi
exec ./build/parkchat serve "${args[@]}" "$@"
