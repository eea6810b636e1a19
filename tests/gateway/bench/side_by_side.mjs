// The same `parkchat simulate` scenarios against parkchat and against the Node socket.io peer
// (node_baseline.mjs), in one run, with each server's CPU time read from /proc before and after:
// a figure and its peer, measured on the same machine at the same moment.
//
//   node tests/gateway/bench/side_by_side.mjs [--parkchat build/parkchat] [--threads 1] [--seconds 15]
//       [--gateway-threads N]
//
// --threads is the simulator's; --gateway-threads the gateway's (serve --threads; default: one
// per core).
//
// parkchat runs as the issue's shape: the service and notify roles in one process (embedded
// NATS and PostgreSQL in a temporary data dir), the gateway and API in another, whose CPU is
// the one counted. Prints one table; --json FILE writes the figures too.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const { values: opt } = parseArgs({
  options: {
    parkchat: { type: 'string', default: join(root, 'build/parkchat') },
    threads: { type: 'string', default: '1' },
    'gateway-threads': { type: 'string' },
    seconds: { type: 'string', default: '15' },
    json: { type: 'string' },
  },
});

const SECRET = 'side-by-side-secret';
const only = process.env.SIDE_BY_SIDE_ONLY; // a scenario name's first word, to run one
const allScenarios = [
  { name: 'fanout: rooms of 500, 2,000 clients, 100 msg/s in', clients: 2000, roomSize: 500, ratePerClient: 0.05 },
  { name: 'rooms of 10, 2,000 clients, 2 msg/s each', clients: 2000, roomSize: 10, ratePerClient: 2 },
  { name: 'firehose: 1 room of 1,000, 500 msg/s in', clients: 1000, roomSize: 1000, ratePerClient: 0.5 },
];
const scenarios = allScenarios.filter((s) => !only || s.name.startsWith(only));

const children = [];
function start(command, args, log) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  child.output = () => output;
  child.label = log;
  children.push(child);
  return child;
}
function stopAll() {
  for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('exit', stopAll);

async function waitFor(probe, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch((error) => {
      if (error.message.endsWith('ended')) throw error;
      return null;
    });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(200);
  }
}

// utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat, in clock ticks).
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// The same for a process and all its descendants (the service process with its embedded
// nats-server and PostgreSQL, whose backends are the postmaster's children).
function treeCpuSeconds(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    try {
      total += cpuSeconds(p);
    } catch {}
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

async function pidOf(url) {
  return (await (await fetch(`${url}/stats`)).json()).pid;
}

// Runs one simulate process; `tag` keeps the files of simulate processes that run together apart.
function simulate(url, scenario, dir, tag = 'run') {
  const file = join(dir, `scenario-${tag}.json`);
  writeFileSync(file, JSON.stringify({ name: scenario.name, clients: scenario.clients, roomSize: scenario.roomSize,
    rampUp: scenario.rampUp ?? '5s', duration: scenario.duration ?? `${opt.seconds}s`,
    ratePerClient: scenario.ratePerClient, messageBytes: 100 }));
  const report = join(dir, `report-${tag}.json`);
  rmSync(report, { force: true });
  return new Promise((resolvePromise) => {
    const child = start(opt.parkchat, ['simulate', file, '--url', url, '--jwt-secret', SECRET, '--json', report,
      '--threads', opt.threads], 'simulate');
    child.on('exit', () => resolvePromise(existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : null));
  });
}

// Everything else parkchat's messages cost the machine: the service process, NATS, PostgreSQL
// (the Node peer has nothing behind it). Set once the service process is up.
let backendPid = null;

async function measure(label, url, scenario, dir) {
  const pid = await pidOf(url);
  scenario = { ...scenario, duration: scenario.duration ?? `${opt.seconds}s` };
  const before = cpuSeconds(pid);
  const backendBefore = backendPid && label === 'parkchat' ? treeCpuSeconds(backendPid) : null;
  const report = await simulate(url, scenario, dir);
  const cpu = cpuSeconds(pid) - before;
  const backendCpu = backendBefore === null ? 0 : treeCpuSeconds(backendPid) - backendBefore;
  if (!report) return { label, failed: true };
  // parkchat's own account of trouble during the run.
  const metrics = await fetch(`${url}/metrics`).then((r) => (r.ok ? r.text() : '')).catch(() => '');
  const trouble = metrics.split('\n').filter((line) =>
    /^parkchat_(nats_slow_consumer_total|overload_refusals_total|connection_failures_total|nats_reconnects_total)\S* [1-9]/.test(line));
  const delivered = report.messages.delivered;
  return {
    label,
    deliveredPerSec: report.rate.deliveredPerSec,
    p50: report.latency_ms.delivery.p50,
    p99: report.latency_ms.delivery.p99,
    lost: report.messages.lost,
    lostOn: report.messages.lost > 0 ? `${report.messages.lostMessages} messages, ${report.messages.lostRecipients} recipients` : null,
    connected: `${report.clients.connected}/${report.clients.target}`,
    serverCpuSeconds: cpu,
    cpuMicrosPerDelivery: delivered > 0 ? (cpu * 1e6) / delivered : null,
    machineCpuMicrosPerDelivery: delivered > 0 ? ((cpu + backendCpu) * 1e6) / delivered : null,
    simulatorSaturated: report.simulator.saturated,
    errors: report.errors,
    trouble,
  };
}


// The highest deliveries/s with delivery p99 <= 50 ms and nothing lost, in rooms of 10: 2,000
// clients, the rate per client doubled from 0.5 a second until a step misses (or the simulator,
// not the server, was the limit: such a step does not count).
async function rateRamp(label, url, dir) {
  const steps = [];
  for (const rate of [0.5, 1, 2, 4, 8]) {
    const m = await measure(label, url, { name: `ramp ${rate}/s`, clients: 2000, roomSize: 10, ratePerClient: rate, duration: '10s' }, dir);
    steps.push({ rate, ...m });
    if (!passes(m)) break;
  }
  return { best: steps.filter(passes).at(-1) ?? null, missed: steps.find((m) => !passes(m)) ?? null };
}
const passes = (m) => !m.failed && m.p99 <= 50 && m.lost === 0 && !m.simulatorSaturated;

// 5,000 clients connect within 1 s while 2,000 others chat (rooms of 10, 1 message a second
// each): the connect times of the storm, and the delivery latency of the clients already there
// over their whole run (the storm falls in its middle).
async function connectStorm(label, url, dir) {
  const pid = await pidOf(url);
  const before = cpuSeconds(pid);
  const base = simulate(url, { name: 'chatting through a storm', clients: 2000, roomSize: 10, ratePerClient: 1,
    rampUp: '5s', duration: '20s' }, dir, 'base');
  await delay(10_000);
  const storm = await simulate(url, { name: 'storm', clients: 5000, roomSize: 10, ratePerClient: 0, rampUp: '1s',
    duration: '8s' }, dir, 'storm');
  const chatting = await base;
  if (!storm || !chatting) return { label, failed: true };
  return {
    label,
    connected: `${storm.clients.connected}/${storm.clients.target}`,
    connectP50: storm.clients.connectMs.p50,
    connectP99: storm.clients.connectMs.p99,
    deliveryP50: chatting.latency_ms.delivery.p50,
    deliveryP99: chatting.latency_ms.delivery.p99,
    lost: chatting.messages.lost,
    serverCpuSeconds: cpuSeconds(pid) - before,
    // How busy the storm's own client loops were: near 100 %, the connect times are the
    // simulator's, not the server's.
    stormSimulatorBusy: storm.simulator.busiestLoopShare,
  };
}

// Peak RSS growth of a fresh server process per connection: from before the first connection to
// 30 s after the last of 10,000 clients (rooms of 10, sending nothing) joined.
async function idleMemory(label, launch, dir) {
  const { url, child } = await launch();
  const pid = await pidOf(url);
  const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  const before = kib('VmRSS');
  let peak = before;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, kib('VmHWM'));
    } catch {}
  }, 250);
  const report = await simulate(url, { name: 'idle', clients: 10000, roomSize: 10, ratePerClient: 0, rampUp: '10s',
    duration: '30s' }, dir, 'idle');
  clearInterval(sampler);
  child.kill('SIGTERM');
  if (!report) return { label, failed: true };
  const connected = report.clients.connected;
  return { label, connected: `${connected}/${report.clients.target}`, rssBeforeKiB: before, peakKiB: peak,
    kibPerConnection: connected > 0 ? (peak - before) / connected : null };
}

const dir = mkdtempSync(join(tmpdir(), 'side-by-side-'));
chmodSync(dir, 0o755); // as root, the embedded PostgreSQL runs as the postgres user, who must enter it
try {
  const backend = start(opt.parkchat, ['serve', '--data-dir', join(dir, 'data'), '--jwt-secret', SECRET, '--roles',
    'service,notify'], 'service');
  backendPid = backend.pid;
  const state = await waitFor(async () => {
    if (backend.exitCode !== null) throw new Error('the service process ended');
    const path = join(dir, 'data', 'serve.json');
    return existsSync(path) && backend.output().includes('ready') ? JSON.parse(readFileSync(path, 'utf8')) : null;
  }, 'the service process').catch((error) => {
    throw new Error(`${error.message}: ${backend.output()}`);
  });
  let nextPort = 20000 + Math.floor(Math.random() * 10000); // below the ephemeral range (32768-)
  const launchParkchat = async () => {
    const port = nextPort++;
    const child = start(opt.parkchat, ['serve', '--nats-url', state.natsUrl, '--database-url', state.databaseUrl,
      '--jwt-secret', SECRET, '--roles', 'gateway,api', '--listen', `127.0.0.1:${port}`, '--room-create-rate', '100000',
      '--room-add-rate', '1000000', '--max-sockets-per-user', '100000',
      ...(opt['gateway-threads'] ? ['--threads', opt['gateway-threads']] : [])], 'gateway');
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, 'the gateway');
    return { url, child };
  };
  const launchNode = async () => {
    const port = nextPort++;
    const child = start(process.execPath, [join(here, 'node_baseline.mjs'), '--port', String(port)], 'node');
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/stats`)).ok, 'the Node peer');
    return { url, child };
  };
  const parkchat = (await launchParkchat()).url;
  const peer = (await launchNode()).url;
  const extras = (process.env.SIDE_BY_SIDE_EXTRAS ?? 'ramp,storm,idle').split(',').filter((x) => x && (!only || x.startsWith(only)));

  const results = [];
  for (const scenario of scenarios) {
    const ours = await measure('parkchat', parkchat, scenario, dir);
    const theirs = await measure('Node socket.io', peer, scenario, dir);
    results.push({ scenario: scenario.name, parkchat: ours, node: theirs });
  }
  const f = (v, digits = 1) => (v === null || v === undefined ? 'n/a' : Number(v).toFixed(digits));
  console.log('\n| scenario | server | deliveries/s | p50 ms | p99 ms | lost | server CPU µs/delivery | CPU ratio | with service, NATS, PostgreSQL |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ratio = r.parkchat.cpuMicrosPerDelivery && r.node.cpuMicrosPerDelivery
      ? `${f(r.node.cpuMicrosPerDelivery / r.parkchat.cpuMicrosPerDelivery, 2)}× less` : 'n/a';
    for (const [who, m] of [['parkchat', r.parkchat], ['Node socket.io', r.node]]) {
      const mark = m.simulatorSaturated ? ' (simulator saturated)' : '';
      console.log(`| ${r.scenario} | ${who}${mark} | ${f(m.deliveredPerSec, 0)} | ${f(m.p50, 2)} | ${f(m.p99, 2)} | ${m.lost ?? 'n/a'} | ${f(m.cpuMicrosPerDelivery, 2)} | ${who === 'parkchat' ? ratio : ''} | ${who === 'parkchat' ? f(m.machineCpuMicrosPerDelivery, 2) : ''} |`);
    }
  }
  const extra = {};
  if (extras.includes('ramp')) {
    extra.ramp = { parkchat: await rateRamp('parkchat', parkchat, dir), node: await rateRamp('Node socket.io', peer, dir) };
  }
  if (extras.includes('storm')) {
    extra.storm = { parkchat: await connectStorm('parkchat', parkchat, dir), node: await connectStorm('Node socket.io', peer, dir) };
  }
  if (extras.includes('idle')) {
    extra.idle = { parkchat: await idleMemory('parkchat', launchParkchat, dir), node: await idleMemory('Node socket.io', launchNode, dir) };
  }
  const both = (row) => [['parkchat', row.parkchat], ['Node socket.io', row.node]];
  if (extra.ramp) {
    console.log('\n| rate ramp, rooms of 10, 2,000 clients | server | best deliveries/s (p99 <= 50 ms, none lost) | at msg/s per client | p50 ms | p99 ms | next step: deliveries/s, p99 ms, lost |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [who, r] of both(extra.ramp)) {
      const b = r.best;
      const m = r.missed;
      console.log(`| | ${who} | ${b ? f(b.deliveredPerSec, 0) : 'none'} | ${b?.rate ?? 'n/a'} | ${f(b?.p50, 2)} | ${f(b?.p99, 2)} | ${m ? `${f(m.deliveredPerSec, 0)} at ${m.rate}/s, ${f(m.p99, 1)}, ${m.lost}${m.simulatorSaturated ? ' (simulator saturated)' : ''}` : 'n/a'} |`);
    }
  }
  if (extra.storm) {
    console.log('\n| 5,000 connects in 1 s beside 2,000 chatting | server | connected | connect p50 ms | connect p99 ms | storm simulator busiest loop | chatting: delivery p50 ms | p99 ms | lost |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [who, m] of both(extra.storm)) {
      console.log(`| | ${who} | ${m.connected ?? 'failed'} | ${f(m.connectP50, 1)} | ${f(m.connectP99, 1)} | ${f(100 * (m.stormSimulatorBusy ?? NaN), 0)} % | ${f(m.deliveryP50, 2)} | ${f(m.deliveryP99, 2)} | ${m.lost ?? 'n/a'} |`);
    }
  }
  if (extra.idle) {
    console.log('\n| idle, 10,000 clients in rooms of 10 | server | connected | RSS before MiB | peak MiB | KiB per connection |');
    console.log('|---|---|---|---|---|---|');
    for (const [who, m] of both(extra.idle)) {
      console.log(`| | ${who} | ${m.connected ?? 'failed'} | ${f(m.rssBeforeKiB / 1024, 1)} | ${f(m.peakKiB / 1024, 1)} | ${f(m.kibPerConnection, 1)} |`);
    }
  }
  if (opt.json) writeFileSync(opt.json, JSON.stringify({ results, ...extra }, null, 2));
  for (const r of results) {
    for (const [who, m] of [['parkchat', r.parkchat], ['Node socket.io', r.node]]) {
      if (m.errors && Object.keys(m.errors).length > 0) console.log(`${r.scenario}, ${who}: ${JSON.stringify(m.errors)}`);
      if (m.trouble?.length > 0) console.log(`${r.scenario}, ${who} metrics: ${m.trouble.join('; ')}`);
      if (m.lostOn) console.log(`${r.scenario}, ${who}: the losses fall on ${m.lostOn}`);
    }
  }
  // What the servers warned about during the runs (slow consumers, dropped sockets).
  for (const child of children.filter((c) => c.label !== 'simulate')) {
    const warnings = child.output().split('\n').filter((line) => / (warning|error) /.test(line));
    if (warnings.length > 0) console.log(`\n${child.label}: ${warnings.length} warnings, the first:\n${warnings.slice(0, 5).join('\n')}`);
  }
} finally {
  stopAll();
  await delay(1000);
  rmSync(dir, { recursive: true, force: true });
}
