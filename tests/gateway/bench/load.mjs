// Gateway load benchmark: raw Engine.IO/Socket.IO WebSocket clients (lighter than
// socket.io-client, so that one Node process can drive thousands) in rooms of --per-room,
// each sending --rate messages a second for --seconds. Prints delivered messages a second and
// delivery latency percentiles (send to receipt, same clock), and checks that every message
// acknowledged reached every other socket of its room exactly once.
//
// With --idle N it instead opens N connections that join the namespace and one room each and
// then idle, and prints the server's resident memory before and after (read from /proc for the
// pid that /stats reports: run it on the server's machine).
//
//   node tests/gateway/bench/load.mjs --url http://127.0.0.1:3003 --secret "$(cat .parkchat/jwt-secret)" \
//        --rooms 50 --per-room 10 --rate 5 --seconds 20
//   node tests/gateway/bench/load.mjs --url ... --secret ... --idle 10000

import { createHmac, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3003' },
    api: { type: 'string' }, // REST for creating rooms, when not on --url (a gateway-only process)
    secret: { type: 'string' },
    rooms: { type: 'string', default: '50' },
    'per-room': { type: 'string', default: '10' },
    rate: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '20' },
    idle: { type: 'string', default: '0' },
  },
});
if (!opt.secret) {
  console.error('--secret is required (the server\'s JWT secret)');
  process.exit(2);
}

const b64url = (data) => Buffer.from(data).toString('base64url');
function token(userId, name) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ userId, name, exp: Math.floor(Date.now() / 1000) + 3600 }));
  const sig = createHmac('sha256', opt.secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

async function createRoom(owner, members) {
  const res = await fetch(`${opt.api ?? opt.url}/api/user/chat/rooms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token(owner, `u${owner}`)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'GROUP', name: `bench ${owner}`, participant_ids: members }),
  });
  const body = await res.json();
  if (!body.success) throw new Error(`room not created: ${JSON.stringify(body)}`);
  return body.data.id;
}

// One client: connects, joins /chat, joins a room, answers pings; resolves once in the room.
class Client {
  constructor(userId, roomId) {
    this.userId = userId;
    this.roomId = roomId;
    this.nextAck = 1;
    this.acks = new Map();
    this.onMessage = () => {};
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${opt.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
      this.ws = ws;
      ws.on('error', reject);
      ws.on('message', (data) => {
        const text = data.toString();
        if (text === '2') return ws.send('3');
        if (text[0] === '0') return ws.send(`40/chat,${JSON.stringify({ token: token(this.userId, `u${this.userId}`) })}`);
        if (text.startsWith('40/chat,')) {
          this.emit('join_room', { roomId: this.roomId }).then((ack) => {
            if (ack.success) resolve();
            else reject(new Error(`join refused: ${JSON.stringify(ack)}`));
          });
          return;
        }
        if (text.startsWith('44/chat,')) return reject(new Error(`refused: ${text}`));
        if (text.startsWith('43/chat,')) {
          const bracket = text.indexOf('[');
          const id = Number(text.slice(8, bracket));
          const callback = this.acks.get(id);
          this.acks.delete(id);
          if (callback) callback(JSON.parse(text.slice(bracket))[0]);
          return;
        }
        if (text.startsWith('42/chat,["new_message"')) this.onMessage(JSON.parse(text.slice(8))[1]);
      });
    });
  }

  emit(name, payload) {
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send(`42/chat,${id}${JSON.stringify([name, payload])}`);
    });
  }
}

function serverRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}

async function openAll(clients, parallel = 200) {
  for (let i = 0; i < clients.length; i += parallel) {
    await Promise.all(clients.slice(i, i + parallel).map((c) => c.open()));
  }
}

const base = randomInt(1e9, 2 ** 40);
const perRoom = Number(opt['per-room']);

if (Number(opt.idle) > 0) {
  const n = Number(opt.idle);
  const stats = await (await fetch(`${opt.url}/stats`)).json();
  const pid = stats.pid;
  const rooms = [];
  for (let r = 0; r * perRoom < n; r++) {
    const members = Array.from({ length: perRoom }, (_, i) => base + r * perRoom + i);
    rooms.push(await createRoom(members[0], members.slice(1)));
  }
  const before = serverRss(pid);
  const clients = Array.from({ length: n }, (_, i) => new Client(base + i, rooms[Math.floor(i / perRoom)]));
  const started = Date.now();
  await openAll(clients);
  const after = serverRss(pid);
  console.log(`idle connections: ${n} in rooms of ${perRoom}, opened in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`server RSS: ${(before / 2 ** 20).toFixed(1)} MiB before, ${(after / 2 ** 20).toFixed(1)} MiB after`);
  console.log(`per idle connection: ${((after - before) / n / 1024).toFixed(2)} KiB`);
  for (const c of clients) c.ws.terminate();
  process.exit(0);
}

const roomCount = Number(opt.rooms);
const rate = Number(opt.rate);
const seconds = Number(opt.seconds);
const clients = [];
for (let r = 0; r < roomCount; r++) {
  const members = Array.from({ length: perRoom }, (_, i) => base + r * perRoom + i);
  const room = await createRoom(members[0], members.slice(1));
  for (const m of members) clients.push(new Client(m, room));
}
await openAll(clients);
console.log(`${clients.length} clients in ${roomCount} rooms of ${perRoom}, each sending ${rate}/s for ${seconds} s`);

const latencies = [];
const received = new Map(); // message id -> receipts
let delivered = 0;
let duplicates = 0;
const t0 = performance.now();
for (const c of clients) {
  c.onMessage = (m) => {
    const sentAt = Number(m.content.slice(0, m.content.indexOf(' ')));
    latencies.push(performance.now() - sentAt);
    delivered++;
    const seen = received.get(m.id) ?? new Set();
    if (seen.has(c.userId)) duplicates++;
    seen.add(c.userId);
    received.set(m.id, seen);
  };
}
let acked = 0;
let refused = 0;
const ackedIds = [];
const sends = [];
const interval = 1000 / rate;
for (const c of clients) {
  const offset = Math.random() * interval;
  let n = 0;
  const tick = () => {
    if (performance.now() - t0 > seconds * 1000) return;
    n++;
    sends.push(
      c.emit('send_message', { roomId: c.roomId, content: `${performance.now()} ${c.userId} ${n}`, type: 'TEXT' }).then((ack) => {
        if (ack.success) {
          acked++;
          ackedIds.push(ack.message.id);
        } else refused++;
      }),
    );
    setTimeout(tick, interval);
  };
  setTimeout(tick, offset);
}
await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 50));
await Promise.all(sends);
// Deliveries still in flight: wait until the count stops short of the expectation for good.
const expected = acked * (perRoom - 1);
const deadline = performance.now() + 10000;
while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(2);
let missing = 0;
for (const id of ackedIds) missing += perRoom - 1 - (received.get(id)?.size ?? 0);
console.log(`sent ${acked} acknowledged (${refused} refused), delivered ${delivered} of ${expected} expected`);
console.log(`delivered/s ${(delivered / Math.min(elapsed, seconds)).toFixed(0)}; latency ms p50 ${pct(50)} p90 ${pct(90)} p99 ${pct(99)} max ${pct(100)}`);
console.log(`missing ${missing}, duplicates ${duplicates}`);
for (const c of clients) c.ws.terminate();
process.exit(missing === 0 && duplicates === 0 ? 0 : 1);
