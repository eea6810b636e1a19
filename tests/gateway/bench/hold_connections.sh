#!/usr/bin/env bash
# Idle connections held at once: GATEWAYS gateway processes (gateway,api roles) on one NATS, each
# driven by two `parkchat simulate` processes of PER_SIMULATOR clients (rooms of 10, a message a
# client every 100 s), so that no process passes the 20,000 descriptors a process may have here.
# Each gateway listens on its own port, so every (gateway, client) pair has the whole ephemeral
# port range. Prints what each gateway held and the simulators' verdicts.
#
#   tests/gateway/bench/hold_connections.sh            # 5 gateways x 2 x 9,950 = 99,500 clients
#   GATEWAYS=1 tests/gateway/bench/hold_connections.sh # 19,900 on one gateway process
set -euo pipefail
cd "$(dirname "$0")/../../.."
parkchat=${PARKCHAT:-build/parkchat}
gateways=${GATEWAYS:-5}
per_simulator=${PER_SIMULATOR:-9950}
ramp=${RAMP:-150}  # seconds over which each simulator connects its clients
hold=${HOLD:-40}   # seconds they then stay
dir=$(mktemp -d /tmp/hold-XXXXXX)
chmod 755 "$dir"  # as root, the embedded PostgreSQL runs as postgres, who must enter it
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

secret=hold-secret
"$parkchat" serve --data-dir "$dir/data" --jwt-secret "$secret" --roles service,notify --listen 127.0.0.1:0 \
  >"$dir/service.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$dir/service.log" 2>/dev/null && break; sleep 0.2; done
nats=$(sed -n 's/.*"natsUrl": *"\([^"]*\)".*/\1/p' "$dir/data/serve.json")
database=$(sed -n 's/.*"databaseUrl": *"\([^"]*\)".*/\1/p' "$dir/data/serve.json")

base=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768-)
for g in $(seq 0 $((gateways - 1))); do
  "$parkchat" serve --nats-url "$nats" --database-url "$database" --jwt-secret "$secret" --roles gateway,api \
    --listen "127.0.0.1:$((base + g))" --room-create-rate 100000 --room-add-rate 1000000 >"$dir/gateway-$g.log" 2>&1 &
  pids+=($!)
done
for g in $(seq 0 $((gateways - 1))); do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$((base + g))/healthz" >/dev/null && break; sleep 0.2; done
done

cat >"$dir/hold.json" <<JSON
{"name": "hold", "clients": $per_simulator, "roomSize": 10, "rampUp": "${ramp}s", "duration": "${hold}s",
 "ratePerClient": 0.01, "messageBytes": 100}
JSON
sims=()
for g in $(seq 0 $((gateways - 1))); do
  for s in 1 2; do
    "$parkchat" simulate "$dir/hold.json" --url "http://127.0.0.1:$((base + g))" --jwt-secret "$secret" \
      --json "$dir/report-$g-$s.json" >"$dir/simulate-$g-$s.log" 2>&1 &
    sims+=($!)
  done
done
# Sample while everyone is connected: after the ramp (and the rooms made before it), within the hold.
sleep $((ramp + hold / 2 + 10))
total=0
for g in $(seq 0 $((gateways - 1))); do
  held=$(curl -s "http://127.0.0.1:$((base + g))/stats" | sed -n 's/.*"gateway":{"connections":\([0-9]*\).*/\1/p')
  echo "gateway $g: ${held:-?} connections"
  total=$((total + ${held:-0}))
done
echo "held at once: $total connections on $gateways gateway process(es)"
status=0
for pid in "${sims[@]}"; do wait "$pid" || status=1; done
node -e '
  let connected = 0, target = 0, lost = 0;
  for (const file of process.argv.slice(1)) {
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
    connected += r.clients.connected; target += r.clients.target; lost += r.messages.lost;
  }
  console.log(`simulators: ${connected} of ${target} clients connected, ${lost} deliveries lost`);
' "$dir"/report-*.json
exit $status
