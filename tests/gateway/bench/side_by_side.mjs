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
// parkchat runs as the shape: the service and notify roles in one process (embedded
// NATS and PostgreSQL in a temporary data dir), the gateway and API in another, whose CPU is
// the one counted. Prints one table; --json FILE writes the figures too.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

async function pidOf(url) {
  return (await (await fetch(`${url}/stats`)).json()).pid;
}

function simulate(url, scenario, dir) {
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify({ name: scenario.name, clients: scenario.clients, roomSize: scenario.roomSize,
    rampUp: '5s', duration: `${opt.seconds}s`, ratePerClient: scenario.ratePerClient, messageBytes: 100 }));
  const report = join(dir, 'report.json');
  return new Promise((resolvePromise) => {
    const child = start(opt.parkchat, ['simulate', file, '--url', url, '--jwt-secret', SECRET, '--json', report,
      '--threads', opt.threads], 'simulate');
    child.on('exit', () => resolvePromise(existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : null));
  });
}

async function measure(label, url, scenario, dir) {
  const pid = await pidOf(url);
  const before = cpuSeconds(pid);
  const report = await simulate(url, scenario, dir);
  const cpu = cpuSeconds(pid) - before;
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
    connected: `${report.clients.connected}/${report.clients.target}`,
    serverCpuSeconds: cpu,
    cpuMicrosPerDelivery: delivered > 0 ? (cpu * 1e6) / delivered : null,
    simulatorSaturated: report.simulator.saturated,
    errors: report.errors,
    trouble,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'side-by-side-'));
chmodSync(dir, 0o755); // as root, the embedded PostgreSQL runs as the postgres user, who must enter it
try {
  const backend = start(opt.parkchat, ['serve', '--data-dir', join(dir, 'data'), '--jwt-secret', SECRET, '--roles',
    'service,notify'], 'service');
  const state = await waitFor(async () => {
    if (backend.exitCode !== null) throw new Error('the service process ended');
    const path = join(dir, 'data', 'serve.json');
    return existsSync(path) && backend.output().includes('ready') ? JSON.parse(readFileSync(path, 'utf8')) : null;
  }, 'the service process').catch((error) => {
    throw new Error(`${error.message}: ${backend.output()}`);
  });
  const gatewayPort = 20000 + Math.floor(Math.random() * 20000);
  start(opt.parkchat, ['serve', '--nats-url', state.natsUrl, '--database-url', state.databaseUrl, '--jwt-secret', SECRET,
    '--roles', 'gateway,api', '--listen', `127.0.0.1:${gatewayPort}`, '--room-create-rate', '100000',
    '--room-add-rate', '1000000', '--max-sockets-per-user', '100000',
    ...(opt['gateway-threads'] ? ['--threads', opt['gateway-threads']] : [])], 'gateway');
  const parkchat = `http://127.0.0.1:${gatewayPort}`;
  await waitFor(async () => (await fetch(`${parkchat}/healthz`)).ok, 'the gateway');
  const nodePort = gatewayPort + 1;
  start(process.execPath, [join(here, 'node_baseline.mjs'), '--port', String(nodePort)], 'node');
  const peer = `http://127.0.0.1:${nodePort}`;
  await waitFor(async () => (await fetch(`${peer}/stats`)).ok, 'the Node peer');

  const results = [];
  for (const scenario of scenarios) {
    const ours = await measure('parkchat', parkchat, scenario, dir);
    const theirs = await measure('Node socket.io', peer, scenario, dir);
    results.push({ scenario: scenario.name, parkchat: ours, node: theirs });
  }
  const f = (v, digits = 1) => (v === null || v === undefined ? 'n/a' : Number(v).toFixed(digits));
  console.log('\n| scenario | server | deliveries/s | p50 ms | p99 ms | lost | server CPU µs/delivery | CPU ratio |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ratio = r.parkchat.cpuMicrosPerDelivery && r.node.cpuMicrosPerDelivery
      ? `${f(r.node.cpuMicrosPerDelivery / r.parkchat.cpuMicrosPerDelivery, 2)}× less` : 'n/a';
    for (const [who, m] of [['parkchat', r.parkchat], ['Node socket.io', r.node]]) {
      const mark = m.simulatorSaturated ? ' (simulator saturated)' : '';
      console.log(`| ${r.scenario} | ${who}${mark} | ${f(m.deliveredPerSec, 0)} | ${f(m.p50, 2)} | ${f(m.p99, 2)} | ${m.lost ?? 'n/a'} | ${f(m.cpuMicrosPerDelivery, 2)} | ${who === 'parkchat' ? ratio : ''} |`);
    }
  }
  if (opt.json) writeFileSync(opt.json, JSON.stringify(results, null, 2));
  for (const r of results) {
    for (const [who, m] of [['parkchat', r.parkchat], ['Node socket.io', r.node]]) {
      if (m.errors && Object.keys(m.errors).length > 0) console.log(`${r.scenario}, ${who}: ${JSON.stringify(m.errors)}`);
      if (m.trouble?.length > 0) console.log(`${r.scenario}, ${who} metrics: ${m.trouble.join('; ')}`);
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
