#!/usr/bin/env bash
# What `serve --ack-after stored` costs: the same steady load (RATE messages a second, default
# 5,000: 500 clients in rooms of 2 at 10 messages a second each) against one serve with the
# embedded NATS and PostgreSQL, first acknowledging once the stream has a message (published),
# then once its row is committed (stored). Prints each mode's ack latency p50/p99 from
# `parkchat simulate` and its verdict.
#
#   tests/gateway/bench/ack_after.sh
#   SECONDS_EACH=30 tests/gateway/bench/ack_after.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
parkchat=${PARKCHAT:-build/parkchat}
clients=${CLIENTS:-500}
per_client=${PER_CLIENT:-10}
seconds_each=${SECONDS_EACH:-20}
dir=$(mktemp -d /tmp/ack-after-XXXXXX)
chmod 755 "$dir"  # as root, the embedded PostgreSQL runs as postgres, who must enter it
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

cat >"$dir/steady.json" <<JSON
{"name": "steady", "clients": $clients, "roomSize": 2, "rampUp": "5s", "duration": "${seconds_each}s",
 "ratePerClient": $per_client, "messageBytes": 100}
JSON
port=$((20000 + RANDOM % 10000))
secret=ack-after-secret
for mode in published stored; do
  "$parkchat" serve --data-dir "$dir/data" --jwt-secret "$secret" --listen "127.0.0.1:$port" --ack-after "$mode" \
    --room-create-rate 100000 --room-add-rate 1000000 >"$dir/serve-$mode.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  "$parkchat" simulate "$dir/steady.json" --url "http://127.0.0.1:$port" --jwt-secret "$secret" \
    --json "$dir/$mode.json" >"$dir/simulate-$mode.log" 2>&1 || true
  jq -r --arg mode "$mode" '"\($mode): \(.rate.ackedPerSec | floor) acks/s, ack p50 \(.latency_ms.ack.p50) ms, p99 \(.latency_ms.ack.p99) ms, lost \(.messages.lost), passed \(.passed)"' \
    "$dir/$mode.json"
  kill "$serve_pid"
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=
done
