// Helpers for the gateway's integration tests: tokens, REST calls, and chat clients built on the
// unmodified socket.io-client that record every event they receive, so that a test can wait for
// one event (with a deadline) and afterwards look at everything that arrived, in order.
//
// The C++ test wrapper provides the servers through the environment:
//   PARKCHAT_URL         gateway process 1 (REST is served there too)
//   PARKCHAT_URL_2       a second gateway process on the same NATS and database
//   PARKCHAT_JWT_SECRET  the HS256 secret the servers verify tokens with

import assert from 'node:assert/strict';
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

// How long any single wait may take before the test fails with a message saying what it waited for.
export const WAIT_MS = Number(process.env.PARKCHAT_TEST_WAIT_MS ?? 10_000);
// How long history may take to catch up: the persister writes it asynchronously.
export const HISTORY_WAIT_MS = Number(process.env.PARKCHAT_TEST_HISTORY_WAIT_MS ?? 30_000);

export const API_PREFIX = '/api/user/chat';
export const NAMESPACE = '/chat';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the gateway tests run against servers that the C++ test wrapper starts`);
  return value;
}

export const serverUrl = () => required('PARKCHAT_URL').replace(/\/+$/, '');
export const secondServerUrl = () => required('PARKCHAT_URL_2').replace(/\/+$/, '');
export const jwtSecret = () => required('PARKCHAT_JWT_SECRET');

// ---------------------------------------------------------------------------------------------
// Identity (CONTRACT §2)

const base64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

// A JWT over `claims`. HS256 with the servers' secret unless told otherwise; alg "none" gets an
// empty signature, as such tokens carry.
export function signToken(claims, { secret = jwtSecret(), alg = 'HS256' } = {}) {
  const signed = `${base64url({ alg, typ: 'JWT' })}.${base64url(claims)}`;
  const signature = alg === 'none' ? '' : createHmac('sha256', secret).update(signed).digest('base64url');
  return `${signed}.${signature}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// A user nobody else in the test run has: a random id in a range far above any seeded one.
export function newUser(label = 'user') {
  const id = randomInt(1_000_000_000, 2 ** 47);
  const name = `${label}-${id} 골퍼`;
  return { id, name, token: signToken({ userId: id, name, exp: nowSeconds() + 3600 }) };
}

export const expiredToken = (user) => signToken({ userId: user.id, name: user.name, exp: nowSeconds() - 3600 });
export const forgedToken = (user) =>
  signToken({ userId: user.id, name: user.name, exp: nowSeconds() + 3600 }, { secret: `not-${jwtSecret()}` });

// ---------------------------------------------------------------------------------------------
// REST (CONTRACT §3)

// One REST call as `user`; resolves to {status, body} whatever the status.
export async function rest(user, method, path, body) {
  const headers = { authorization: `Bearer ${user.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${serverUrl()}${API_PREFIX}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

// A REST call that must succeed with `status`; returns the envelope's data.
export async function restOk(user, method, path, body, status = 200) {
  const reply = await rest(user, method, path, body);
  assert.equal(reply.status, status, `${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body?.success, true, `${method} ${path} envelope: ${JSON.stringify(reply.body)}`);
  return reply.body.data;
}

// A GROUP room created by `owner` (member and admin) with `others` as members.
export async function createGroupRoom(owner, others = [], name = `room ${randomUUID().slice(0, 8)}`) {
  const room = await restOk(
    owner,
    'POST',
    '/rooms',
    {
      type: 'GROUP',
      name,
      participant_ids: others.map((u) => u.id),
      member_names: others.map((u) => u.name),
    },
    201,
  );
  assert.match(room?.id ?? '', /^[0-9a-f-]{36}$/i, `POST /rooms returned no room id: ${JSON.stringify(room)}`);
  return room;
}

// The room's whole history, oldest first, read page by page as `user`.
export async function readHistory(user, roomId) {
  const messages = [];
  let cursor;
  for (let page = 0; page < 1000; page++) {
    const query = new URLSearchParams({ limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const data = await restOk(user, 'GET', `/rooms/${roomId}/messages?${query}`);
    messages.push(...data.messages);
    if (!data.hasMore) return messages.reverse();
    assert.ok(data.nextCursor, `history page ${page} has more but no nextCursor`);
    cursor = data.nextCursor;
  }
  throw new Error(`history of room ${roomId} did not end after 1000 pages`);
}

// ---------------------------------------------------------------------------------------------
// Waiting

// Resolves with `promise`, or fails after `ms` saying what was awaited.
export async function withDeadline(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

// Polls `probe` until it returns a truthy value, which it resolves with; fails at the deadline
// with `what` and the last value seen. For conditions that nothing announces (history is written
// asynchronously), never as a substitute for an event.
export async function pollUntil(probe, { timeout = WAIT_MS, interval = 100, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last seen: ${describe(last)}`);
    }
    await delay(interval);
  }
}

function describe(value) {
  const text = JSON.stringify(value);
  return text && text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Chat clients (CONTRACT §4)

// Every server event a client records, in arrival order.
const SERVER_EVENTS = ['connected', 'new_message', 'typing', 'user_joined', 'user_left', 'notification', 'error'];

export class ChatClient {
  constructor(user, socket, label) {
    this.user = user;
    this.socket = socket;
    this.label = label;
    this.log = []; // {event, payload} in arrival order, including 'disconnect'
    this.waiters = new Set();
    for (const event of SERVER_EVENTS) socket.on(event, (payload) => this.#record(event, payload));
    socket.on('disconnect', (reason) => this.#record('disconnect', reason));
  }

  #record(event, payload) {
    const entry = { event, payload };
    this.log.push(entry);
    for (const waiter of this.waiters) {
      if (waiter.event === event && waiter.matches(payload)) waiter.resolve(payload);
    }
  }

  // The payloads of `event` received so far, in order.
  received(event) {
    return this.log.filter((e) => e.event === event).map((e) => e.payload);
  }

  // The chat messages (not SYSTEM notices of membership changes) received so far in a room.
  chatMessages(roomId) {
    return this.received('new_message').filter((m) => m?.roomId === roomId && m?.type !== 'SYSTEM');
  }

  // The first `event` whose payload satisfies `matches`, including one already received.
  waitFor(event, matches, what, timeout = WAIT_MS) {
    const seen = this.received(event).find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    let waiter;
    const arrived = new Promise((resolve) => {
      waiter = { event, matches, resolve };
      this.waiters.add(waiter);
    });
    return withDeadline(arrived, timeout, `${event} ${what} on ${this.label}'s socket`).finally(() =>
      this.waiters.delete(waiter),
    );
  }

  // The new_message with this content in the room.
  waitForMessage(roomId, content, timeout = WAIT_MS) {
    return this.waitFor(
      'new_message',
      (m) => m?.roomId === roomId && m?.content === content,
      `with content ${JSON.stringify(content)} in room ${roomId}`,
      timeout,
    );
  }

  // Emits and resolves with the server's acknowledgement.
  async request(event, ...args) {
    try {
      return await this.socket.timeout(WAIT_MS).emitWithAck(event, ...args);
    } catch (error) {
      throw new Error(`no acknowledgement of ${event} ${describe(args)} on ${this.label}'s socket within ${WAIT_MS} ms (${error.message})`);
    }
  }

  join(roomId) {
    return this.request('join_room', { roomId });
  }

  async mustJoin(roomId) {
    const ack = await this.join(roomId);
    assert.deepEqual(ack, { success: true }, `${this.label} could not join room ${roomId}`);
  }

  leave(roomId) {
    return this.request('leave_room', { roomId });
  }

  send(roomId, content, { id, type = 'TEXT' } = {}) {
    const payload = { roomId, content, type };
    if (id !== undefined) payload.id = id;
    return this.request('send_message', payload);
  }

  // A send that must succeed; returns the stored message.
  async mustSend(roomId, content, options) {
    const ack = await this.send(roomId, content, options);
    assert.equal(ack?.success, true, `${this.label} could not send ${JSON.stringify(content)}: ${describe(ack)}`);
    return ack.message;
  }

  // A send that must eventually succeed even against the rate limit: refused as RATE_LIMITED, it
  // is retried with the same message id (which the contract makes idempotent) until the deadline.
  async sendPatiently(roomId, content, { id = randomUUID(), type = 'TEXT', timeout = WAIT_MS } = {}) {
    const ack = await pollUntil(
      async () => {
        const reply = await this.send(roomId, content, { id, type });
        if (reply?.success === false && reply.error?.code === 'RATE_LIMITED') return null;
        return reply;
      },
      { timeout, interval: 100, what: `${this.label}'s send of ${JSON.stringify(content)} to get past the rate limit` },
    );
    assert.equal(ack?.success, true, `${this.label} could not send ${JSON.stringify(content)}: ${describe(ack)}`);
    return ack.message;
  }

  get disconnects() {
    return this.received('disconnect');
  }

  close() {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}

// A socket.io-client socket to the /chat namespace, not yet connecting. Each has its own
// Engine.IO connection (forceNew) and never reconnects by itself, so that a drop shows in a test.
export function createSocket({ url = serverUrl(), ...options } = {}) {
  return io(`${url}${NAMESPACE}`, { forceNew: true, reconnection: false, timeout: WAIT_MS, ...options, autoConnect: false });
}

// Starts the socket's connection and waits for its outcome: {} once connected, {error} on
// connect_error. `onEngine` sees the Engine.IO socket as soon as it exists, before any packet.
export async function startConnection(socket, { onEngine } = {}) {
  const outcome = new Promise((resolve) => {
    socket.once('connect', () => resolve({}));
    socket.once('connect_error', (error) => resolve({ error }));
  });
  socket.connect();
  onEngine?.(socket.io.engine);
  return withDeadline(outcome, WAIT_MS, `the outcome of a connection to the ${NAMESPACE} namespace`);
}

// One test's clients and users; everything it opens is closed when the test ends, passed or not.
export class Session {
  constructor(t) {
    this.clients = [];
    this.sockets = [];
    t.after(() => this.closeAll());
  }

  user(label) {
    return newUser(label);
  }

  // A connected client for `user`, recording events from before its first packet on; its
  // `connected` event is awaited too, so that a test starts from a socket the gateway has
  // fully registered. Socket options pass through to socket.io-client.
  // The token goes in the handshake's auth, or with tokenIn: 'query' in its query string.
  async connect(user, { url = serverUrl(), label = `user ${user.id}`, tokenIn = 'auth', onEngine, ...options } = {}) {
    const credentials = tokenIn === 'query' ? { query: { token: user.token } } : { auth: { token: user.token } };
    const socket = this.#socket({ url, ...credentials, ...options });
    const client = new ChatClient(user, socket, label);
    this.clients.push(client);
    const { error } = await startConnection(socket, { onEngine });
    if (error) throw new Error(`${label} could not connect to ${url}: ${error.message}`);
    await client.waitFor('connected', () => true, 'after connecting');
    return client;
  }

  // A raw client (RawChatClient.open) for `user`, closed when the test ends.
  async raw(user, options = {}) {
    const client = await RawChatClient.open(user, { label: `raw ${user?.id ?? 'client'}`, ...options, track: (c) => this.clients.push(c) });
    return client;
  }

  // A connection that is expected to be refused; resolves with its connect_error.
  async connectRefused(options, what) {
    const socket = this.#socket(options);
    const { error } = await startConnection(socket);
    assert.ok(error, `${what}: the connection was accepted (socket ${socket.id}), not refused`);
    return error;
  }

  #socket(options) {
    const socket = createSocket(options);
    this.sockets.push(socket);
    return socket;
  }

  closeAll() {
    for (const client of this.clients) client.close();
    for (const socket of this.sockets) socket.disconnect();
    this.clients = [];
    this.sockets = [];
  }
}

// Checks a refusal in an acknowledgement: {success:false, error:{code, message}}, with a code
// among `codes` when given.
export function assertRefused(ack, what, codes) {
  assert.equal(ack?.success, false, `${what}: expected a refusal, got ${describe(ack)}`);
  const { error } = ack;
  assert.ok(error !== null && typeof error === 'object', `${what}: error should be an object {code, message}, got ${describe(error)}`);
  assert.ok(typeof error.code === 'string' && error.code.length > 0, `${what}: error without a code: ${describe(error)}`);
  assert.equal(typeof error.message, 'string', `${what}: error without a message: ${describe(error)}`);
  if (codes) assert.ok(codes.includes(error.code), `${what}: code ${error.code}, expected ${codes.join(' or ')}`);
  return error;
}

// ---------------------------------------------------------------------------------------------
// Raw Socket.IO over a WebSocket (the ws package), for what socket.io-client never sends:
// malformed packets, invalid UTF-8, oversized or unexpected binary frames, forged CONNECTs.

export const SOCKET_IO_PATH = '/socket.io/';

// The /chat namespace as a Socket.IO packet prefix: `${CHAT}` + JSON is a packet for /chat.
const CHAT = `${NAMESPACE},`;

// One Engine.IO session over a WebSocket, spoken by hand. Every frame received is kept in
// `frames` ({data: string|Buffer, binary}) in arrival order; Engine.IO pings are answered (and
// not kept) unless the client is paused. A test waits for a frame matching a predicate, or for
// the close, each with a deadline.
export class RawChatClient {
  // Opens the WebSocket (with `headers`, an Origin say, and `query` added to the URL) and reads
  // the open packet; with `user`, also joins /chat with the user's token (CONNECT with auth) and
  // waits for the `connected` event. `track` is told of the client before anything can fail.
  static async open(user, { url = serverUrl(), label = 'raw client', headers, query = {}, track } = {}) {
    const params = new URLSearchParams({ EIO: '4', transport: 'websocket', ...query });
    const wsUrl = `${url.replace(/^http/, 'ws')}${SOCKET_IO_PATH}?${params}`;
    const client = new RawChatClient(new WebSocket(wsUrl, headers ? { headers } : undefined), label);
    track?.(client);
    await withDeadline(client.opened, WAIT_MS, `${label}'s WebSocket to ${wsUrl} to open`);
    const open = await client.waitForFrame((f) => f.data.startsWith('0{'), 'the Engine.IO open packet');
    client.handshake = JSON.parse(open.data.slice(1));
    if (user) {
      const reply = await client.connect({ token: user.token });
      assert.match(reply, /^40\/chat,\{"sid":"[^"]+"\}$/, `${label}: CONNECT to ${NAMESPACE} refused: ${reply}`);
      await client.waitForEvent('connected', `${label}'s connected event`);
    }
    return client;
  }

  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.frames = [];
    this.closed = null; // {code, reason} once the WebSocket closed
    this.waiters = new Set();
    this.nextAckId = 1;
    ws.binaryType = 'nodebuffer';
    ws.on('error', (error) => {
      this.error = error;
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        reject(new Error(`${label}: the WebSocket upgrade was refused with HTTP ${res.statusCode}`));
      });
      ws.once('close', () => reject(new Error(`${label}: the WebSocket closed before opening (${this.error?.message ?? 'no error'})`)));
    });
    this.opened.catch(() => {});
    ws.on('message', (data, binary) => {
      const frame = binary ? { data: Buffer.from(data), binary: true } : { data: data.toString('utf8'), binary: false };
      if (!binary && frame.data === '2' && ws.readyState === WebSocket.OPEN) {
        ws.send('3');
        return;
      }
      this.frames.push(frame);
      this.#notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#notify();
    });
  }

  #notify() {
    for (const waiter of this.waiters) waiter.check();
  }

  // Resolves once `condition()` is truthy, with its value; re-checked on every frame and on the close.
  #until(condition, what, timeout) {
    const now = condition();
    if (now) return Promise.resolve(now);
    let waiter;
    const done = new Promise((resolve) => {
      waiter = { check: () => { const value = condition(); if (value) resolve(value); } };
      this.waiters.add(waiter);
    });
    return withDeadline(done, timeout, `${what} on ${this.label}`).finally(() => this.waiters.delete(waiter));
  }

  // The first text frame from index `from` on that satisfies `matches`. Fails at once, saying
  // so, when the WebSocket closes first.
  async waitForFrame(matches, what, { from = 0, timeout = WAIT_MS } = {}) {
    const find = () => this.frames.slice(from).find((f) => !f.binary && matches(f));
    const outcome = await this.#until(() => find() ?? (this.closed && { closedFirst: true }), what, timeout);
    if (outcome.closedFirst) {
      throw new Error(`${this.label}'s WebSocket closed (code ${this.closed.code}) before ${what}; frames: ${summary(this.frames)}`);
    }
    return outcome;
  }

  // The arguments of the first /chat event `name` (from index `from` on).
  async waitForEvent(name, what, options) {
    const prefix = `42${CHAT}[${JSON.stringify(name)}`;
    const frame = await this.waitForFrame((f) => f.data.startsWith(prefix), what, options);
    return JSON.parse(frame.data.slice(2 + CHAT.length)).slice(1);
  }

  // The /chat events `name` received so far, as argument lists.
  events(name) {
    const prefix = `42${CHAT}[${JSON.stringify(name)}`;
    return this.frames.filter((f) => !f.binary && f.data.startsWith(prefix)).map((f) => JSON.parse(f.data.slice(2 + CHAT.length)).slice(1));
  }

  // Sends CONNECT to /chat with `auth` (omitted when undefined) and resolves with the reply frame:
  // `40/chat,{"sid":…}` or `44/chat,{…}`.
  async connect(auth) {
    const from = this.frames.length;
    this.sendText(auth === undefined ? `40${CHAT}` : `40${CHAT}${JSON.stringify(auth)}`);
    const reply = await this.waitForFrame((f) => f.data.startsWith(`40${CHAT}`) || f.data.startsWith(`44${CHAT}`), 'the reply to CONNECT', { from });
    return reply.data;
  }

  // Emits a /chat event asking for an acknowledgement; resolves with the ack's first argument.
  async request(event, payload) {
    const id = this.nextAckId++;
    this.sendText(`42${CHAT}${id}${JSON.stringify([event, payload])}`);
    const ack = await this.waitForFrame((f) => f.data.startsWith(`43${CHAT}${id}[`), `the acknowledgement of ${event} (ack id ${id})`);
    return JSON.parse(ack.data.slice(2 + CHAT.length + String(id).length))[0];
  }

  async mustJoin(roomId) {
    const ack = await this.request('join_room', { roomId });
    assert.deepEqual(ack, { success: true }, `${this.label} could not join room ${roomId}`);
  }

  // A text frame; `data` may be a Buffer, sent as is (invalid UTF-8 included).
  sendText(data) {
    assert.equal(this.ws.readyState, WebSocket.OPEN, `${this.label}: sending on a WebSocket that is not open`);
    this.ws.send(data, { binary: false });
  }

  sendBinary(bytes) {
    assert.equal(this.ws.readyState, WebSocket.OPEN, `${this.label}: sending on a WebSocket that is not open`);
    this.ws.send(Buffer.from(bytes), { binary: true });
  }

  // Resolves with {code, reason} once the WebSocket is closed (by a close frame or the TCP
  // connection ending).
  waitClose(what = 'the server to close the WebSocket', timeout = WAIT_MS) {
    return this.#until(() => this.closed, what, timeout);
  }

  // Stops reading from the TCP connection (the server's writes pile up), and starts again.
  pause() {
    this.ws.pause();
  }

  resume() {
    this.ws.resume();
  }

  close() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

function summary(frames) {
  return describe(frames.slice(-5).map((f) => (f.binary ? `<${f.data.length} binary bytes>` : f.data.slice(0, 200))));
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Content unique to one test, so that a message can be found among everything a socket got.
export const tag = (text) => `${text} #${randomUUID().slice(0, 8)}`;

export { randomUUID };
