// The gateway under bad input and past its limits (CONTRACT §4, §7.4), on the /chat namespace.
//
// Every test has the same shape: a victim and a witness, two socket.io-client sockets in a room,
// go on exchanging messages while an attacker misbehaves next to them; the attacker gets an
// error or loses its connection, and no other socket notices anything: the victim gets every
// message of the witness exactly once and in order, nobody is disconnected, nobody else gets an
// `error` event. Environment as for chat.test.mjs (see lib/chat.mjs), plus
// PARKCHAT_ALLOWED_ORIGIN, the one Origin that gateway 1 was started to admit.
//
// No test sleeps to synchronise: every wait is for an event, a frame or a close, with a deadline.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  NAMESPACE,
  SOCKET_IO_PATH,
  Session,
  WAIT_MS,
  assertRefused,
  createGroupRoom,
  expiredToken,
  forgedToken,
  newUser,
  restOk,
  secondServerUrl,
  serverUrl,
  signToken,
  tag,
  withDeadline,
} from './lib/chat.mjs';
import { SEP, expectWebSocketRefused, poll, push, request } from './lib/eio.mjs';

const TEST_TIMEOUT = { timeout: 60_000 };
const MAX_PAYLOAD = 1_000_000; // serve's default --max-payload

// ---------------------------------------------------------------------------------------------
// The bystanders of an attack

class Bystanders {
  constructor(room, victim, witness) {
    this.room = room;
    this.victim = victim;
    this.witness = witness;
    this.sent = []; // the witness's messages, in order
  }

  // The witness says something and the victim hears it. With `patient: false` the witness's send
  // must be accepted at its first attempt (nothing the attacker did may count against it).
  async exchange(what, { patient = true } = {}) {
    const content = tag(`witness: ${what}`);
    const message = patient
      ? await this.witness.sendPatiently(this.room.id, content)
      : await this.witness.mustSend(this.room.id, content);
    this.sent.push(message);
    await this.victim.waitForMessage(this.room.id, content);
  }

  // The last exchanges, both ways, then the proof that nobody noticed the attack.
  async assertUndisturbed(attack) {
    await this.exchange(`after ${attack}`);
    const reply = await this.victim.sendPatiently(this.room.id, tag(`victim: after ${attack}`));
    await this.witness.waitForMessage(this.room.id, reply.content);
    assert.deepEqual(
      this.victim.chatMessages(this.room.id).map((m) => m.content),
      this.sent.map((m) => m.content),
      `through ${attack}, the victim got every message of the witness, exactly once and in order, and nothing else`,
    );
    for (const client of [this.victim, this.witness]) {
      assert.deepEqual(client.disconnects, [], `${client.label} was disconnected during ${attack}`);
      assert.deepEqual(client.received('error'), [], `${client.label} got error events during ${attack}`);
      assert.ok(client.socket.connected, `${client.label} is still connected after ${attack}`);
    }
  }
}

// A victim and a witness connected to `url` and joined to a GROUP room that also has `members`
// (attackers that will join it), and a first exchange between them.
async function bystanders(s, { members = [], url = serverUrl(), transports } = {}) {
  const victimUser = s.user('victim');
  const witnessUser = s.user('witness');
  const room = await createGroupRoom(victimUser, [witnessUser, ...members]);
  const options = transports ? { url, transports } : { url };
  const victim = await s.connect(victimUser, { ...options, label: 'the victim' });
  const witness = await s.connect(witnessUser, { ...options, label: 'the witness' });
  await victim.mustJoin(room.id);
  await witness.mustJoin(room.id);
  const by = new Bystanders(room, victim, witness);
  await by.exchange('before the attack');
  return by;
}

// An attacker over a raw WebSocket, connected to /chat and in the bystanders' room.
async function rawAttackerInRoom(s, user, by, options = {}) {
  const attacker = await s.raw(user, { label: `attacker ${user.id}`, ...options });
  await attacker.mustJoin(by.room.id);
  // Its join is announced; once the victim has seen it, the attacker is fully in the room.
  await by.victim.waitFor('user_joined', (e) => e?.userId === user.id, `for attacker ${user.id}`);
  return attacker;
}

// After the attacker's connection ended: the server took it out of the room, as for any leaver.
function attackerLeft(by, user) {
  return by.victim.waitFor('user_left', (e) => e?.userId === user.id && e?.roomId === by.room.id, `for attacker ${user.id}`);
}

// Ends polling session `sid` (a close packet) when the test ends, if it is still open.
function closeWhenDone(t, sid) {
  t.after(() => push(SOCKET_IO_PATH, sid, '1'));
  return sid;
}

// A polling session connected to /chat as `user` (raw Engine.IO over HTTP), closed when the
// test ends. Returns its sid.
async function pollingChatSession(t, user) {
  const handshake = await request(SOCKET_IO_PATH, { EIO: 4, transport: 'polling' });
  assert.equal(handshake.status, 200, `polling handshake: ${handshake.status} ${handshake.body}`);
  const sid = closeWhenDone(t, JSON.parse(handshake.body.slice(1)).sid);
  const connect = await push(SOCKET_IO_PATH, sid, `40${NAMESPACE},${JSON.stringify({ token: user.token })}`);
  assert.equal(connect.status, 200, `POST CONNECT: ${connect.status} ${connect.body}`);
  const { packets } = await pollFor(sid, (packet) => packet.startsWith(`42${NAMESPACE},["connected"`), 'the connected event over polling');
  assert.ok(packets.some((p) => p.startsWith(`40${NAMESPACE},{"sid"`)), `no CONNECT reply over polling: ${JSON.stringify(packets)}`);
  return sid;
}

// Polls session `sid` (answering pings) until a packet satisfies `matches`, and returns
// {closed: false, packets} with every packet polled. With `orClose`, the end of the session (a
// poll refused with 400, or a close packet) ends the wait as well: {closed: true, packets}.
async function pollFor(sid, matches, what, { orClose = false } = {}) {
  const packets = [];
  const deadline = Date.now() + WAIT_MS;
  while (!packets.some(matches)) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `timed out after ${WAIT_MS} ms polling for ${what}; got ${JSON.stringify(packets)}`);
    const response = await withDeadline(poll(SOCKET_IO_PATH, sid), left, `a poll for ${what}`);
    if (orClose && response.status === 400) return { closed: true, packets };
    assert.equal(response.status, 200, `poll for ${what}: ${response.status} ${response.body}`);
    for (const packet of response.body.split(SEP)) {
      if (packet === '2') await push(SOCKET_IO_PATH, sid, '3');
      else packets.push(packet);
    }
    if (orClose && packets.includes('1')) return { closed: true, packets };
  }
  return { closed: false, packets };
}

// The polling session `sid` is over, or ends without anything else coming first.
async function assertPollingSessionClosed(sid, what) {
  const { packets } = await pollFor(sid, () => true, `the end of the session after ${what}`, { orClose: true });
  assert.deepEqual(packets.filter((p) => p !== '1'), [], `after ${what}, the polling session is still open`);
}

// ---------------------------------------------------------------------------------------------
// 1. Malformed packets

const MALFORMED = [
  ['an unknown Socket.IO packet type', () => '4abc'],
  ['an event whose payload is an object (main namespace)', () => '42{}'],
  ['an event whose payload is an object (/chat)', () => '42/chat,{}'],
  ['garbage after the namespace', () => '42/chat,abc['],
  ['truncated JSON', (roomId) => `42/chat,1["send_message",{"roomId":"${roomId}","content":"cut sh`],
  ['JSON with a trailing comma', (roomId) => `42/chat,["send_message",{"roomId":"${roomId}"},]`],
  ['an event without a name', () => '42/chat,[]'],
  ['a binary event whose attachment count is not a number', () => '45x-/chat,["x"]'],
  ['an unknown Engine.IO packet type', () => '9'],
  ['an empty text frame', () => ''],
  ['a ping from the client (in Engine.IO 4 only the server pings)', () => '2'],
];

test('malformed packets close the attacker\'s connection and nobody else notices', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const attackers = MALFORMED.map(() => newUser('mallory'));
  const by = await bystanders(s, { members: attackers });

  for (const [index, [what, packet]] of MALFORMED.entries()) {
    const user = attackers[index];
    const attacker = await rawAttackerInRoom(s, user, by);
    attacker.sendText(packet(by.room.id));
    // The victim keeps hearing the witness while the server deals with the bad packet.
    const [closed] = await Promise.all([
      attacker.waitClose(`the server to close the connection that sent ${what} (${JSON.stringify(packet(by.room.id))})`),
      by.exchange(`while ${what} is handled`),
    ]);
    t.diagnostic(`${what}: closed with code ${closed.code}`);
    await attackerLeft(by, user);
  }
  await by.assertUndisturbed('malformed packets');
});

test('a malformed packet over long-polling ends the attacker\'s session and nobody else notices', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const mallory = newUser('mallory');
  const by = await bystanders(s);
  const sid = await pollingChatSession(t, mallory);

  const pushed = await push(SOCKET_IO_PATH, sid, `42${NAMESPACE},abc[`);
  assert.ok([200, 400].includes(pushed.status), `POST of a malformed packet answered ${pushed.status} ${pushed.body}`);
  await Promise.all([assertPollingSessionClosed(sid, 'a malformed packet'), by.exchange('while the malformed packet is handled')]);

  // A payload that is not even Engine.IO (an unknown packet type) is refused outright.
  const other = await pollingChatSession(t, newUser('mallory'));
  const refused = await push(SOCKET_IO_PATH, other, `9garbage${SEP}4abc`);
  assert.ok([200, 400].includes(refused.status), `POST of an invalid payload answered ${refused.status} ${refused.body}`);
  await assertPollingSessionClosed(other, 'an invalid Engine.IO payload');
  await by.assertUndisturbed('malformed packets over polling');
});

// ---------------------------------------------------------------------------------------------
// 2. Invalid UTF-8

const utf8 = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

const INVALID_UTF8 = [
  ['a lone 0xFF byte', () => utf8('42/chat,["typing",', [0xff], ']')],
  ['a truncated two-byte sequence in a message', (roomId) => utf8(`42/chat,1["send_message",{"roomId":"${roomId}","type":"TEXT","content":"`, [0xc3, 0x28], '"}]')],
  ['an overlong encoding of "/"', (roomId) => utf8(`42/chat,2["send_message",{"roomId":"${roomId}","type":"TEXT","content":"`, [0xc0, 0xaf], '"}]')],
  ['an encoded UTF-16 surrogate', (roomId) => utf8(`42/chat,3["send_message",{"roomId":"${roomId}","type":"TEXT","content":"`, [0xed, 0xa0, 0x80], '"}]')],
];

test('a text frame of invalid UTF-8 closes the attacker\'s connection and nobody else notices', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const attackers = INVALID_UTF8.map(() => newUser('mallory'));
  const by = await bystanders(s, { members: attackers });

  for (const [index, [what, frame]] of INVALID_UTF8.entries()) {
    const user = attackers[index];
    const attacker = await rawAttackerInRoom(s, user, by);
    attacker.sendText(frame(by.room.id));
    const [closed] = await Promise.all([
      attacker.waitClose(`the server to close the connection that sent ${what} in a text frame`),
      by.exchange(`while ${what} is handled`),
    ]);
    // RFC 6455 §8.1 says 1007; any close will do, as long as the connection ends.
    t.diagnostic(`${what}: closed with code ${closed.code}${closed.code === 1007 ? '' : ' (1007 expected by RFC 6455)'}`);
    await attackerLeft(by, user);
    assert.deepEqual(attacker.events('error'), [], `${what}: the attacker's frame was never taken for a message`);
  }
  await by.assertUndisturbed('invalid UTF-8');
});

test('invalid UTF-8 in a long-polling POST is refused and stores nothing', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const mallory = newUser('mallory');
  const by = await bystanders(s, { members: [mallory] });
  const sid = await pollingChatSession(t, mallory);
  const join = await push(SOCKET_IO_PATH, sid, `42${NAMESPACE},1${JSON.stringify(['join_room', { roomId: by.room.id }])}`);
  assert.equal(join.status, 200);
  await pollFor(sid, (p) => p.startsWith(`43${NAMESPACE},1[`), 'the ack of join_room');

  const body = utf8(`42${NAMESPACE},2["send_message",{"roomId":"${by.room.id}","type":"TEXT","content":"bad `, [0xff, 0xfe], ' bytes"}]');
  const pushed = await request(SOCKET_IO_PATH, { EIO: 4, transport: 'polling', sid }, { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  // Refused one way or another: the POST itself (4xx), the session closed, or a refusal of the
  // send. Never a stored message.
  if (pushed.status === 200) {
    const isAck = (p) => p.startsWith(`43${NAMESPACE},2[`);
    const { closed, packets } = await pollFor(sid, isAck, 'the refusal of the invalid send or the end of the session', { orClose: true });
    if (!closed) {
      const ack = JSON.parse(packets.find(isAck).slice(`43${NAMESPACE},2`.length))[0];
      assertRefused(ack, 'send_message with invalid UTF-8 over polling', ['VALIDATION']);
    }
    t.diagnostic(`invalid UTF-8 over polling: POST 200, then ${closed ? 'the session was closed' : 'the send was refused'}`);
  } else {
    assert.ok(pushed.status >= 400 && pushed.status < 500, `POST of invalid UTF-8 answered ${pushed.status} ${pushed.body}`);
  }
  await by.assertUndisturbed('invalid UTF-8 over polling');
});

// ---------------------------------------------------------------------------------------------
// 3. Binary where text is expected

const PLACEHOLDER = '{"_placeholder":true,"num":0}';
const UNEXPECTED_BINARY = [
  ['a binary frame with no attachment due', (a) => a.sendBinary([1, 2, 3])],
  [
    'a text packet where an announced attachment is due',
    (a, roomId) => {
      a.sendText(`451-/chat,["send_message",{"roomId":"${roomId}","type":"TEXT","content":${PLACEHOLDER}}]`);
      a.sendText(`42/chat,["typing",{"roomId":"${roomId}","isTyping":true}]`);
    },
  ],
  [
    'an attachment for a placeholder out of range',
    (a) => {
      a.sendText('451-/chat,["send_message",{"_placeholder":true,"num":7}]');
      a.sendBinary([4, 5, 6]);
    },
  ],
];

test('binary frames where text is expected close the attacker\'s connection and nobody else notices', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const attackers = UNEXPECTED_BINARY.map(() => newUser('mallory'));
  const by = await bystanders(s, { members: attackers });

  for (const [index, [what, attack]] of UNEXPECTED_BINARY.entries()) {
    const user = attackers[index];
    const attacker = await rawAttackerInRoom(s, user, by);
    attack(attacker, by.room.id);
    const [closed] = await Promise.all([
      attacker.waitClose(`the server to close the connection that sent ${what}`),
      by.exchange(`while ${what} is handled`),
    ]);
    t.diagnostic(`${what}: closed with code ${closed.code}`);
    await attackerLeft(by, user);
  }
  await by.assertUndisturbed('unexpected binary frames');
});

// ---------------------------------------------------------------------------------------------
// 4. Oversized payloads

test('a WebSocket frame over maxPayload closes the attacker\'s connection; one just under is only refused', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const attackers = [newUser('mallory'), newUser('mallory'), newUser('mallory')];
  const by = await bystanders(s, { members: attackers });
  const sendFrame = (roomId, id, size) => {
    const head = `42/chat,${id}["send_message",{"roomId":"${roomId}","type":"TEXT","content":"`;
    const tail = '"}]';
    return head + 'x'.repeat(size - head.length - tail.length) + tail;
  };

  // Just under the limit: a valid frame, whose content is far too long for a message.
  const [near] = attackers;
  const nearAttacker = await rawAttackerInRoom(s, near, by);
  const ackId = nearAttacker.nextAckId++;
  const almost = sendFrame(by.room.id, ackId, MAX_PAYLOAD - 100);
  assert.ok(Buffer.byteLength(almost) < MAX_PAYLOAD);
  nearAttacker.sendText(almost);
  const ack = await nearAttacker.waitForFrame((f) => f.data.startsWith(`43/chat,${ackId}[`), 'the ack of a send just under maxPayload');
  assertRefused(JSON.parse(ack.data.slice(`43/chat,${ackId}`.length))[0], 'a 999,900-byte send_message', ['VALIDATION']);
  assert.equal(nearAttacker.closed, null, 'a frame under maxPayload does not close the connection');
  await by.exchange('after a frame just under maxPayload');

  // Over the limit, as text and as binary.
  const oversized = [
    ['a text frame of maxPayload + 100 bytes', (a) => a.sendText(sendFrame(by.room.id, a.nextAckId++, MAX_PAYLOAD + 100))],
    ['a binary frame of 2 MB', (a) => a.sendBinary(Buffer.alloc(2 * MAX_PAYLOAD, 0x61))],
  ];
  for (const [index, [what, attack]] of oversized.entries()) {
    const user = attackers[index + 1];
    const attacker = await rawAttackerInRoom(s, user, by);
    attack(attacker);
    const [closed] = await Promise.all([
      attacker.waitClose(`the server to close the connection that sent ${what}`),
      by.exchange(`while ${what} is handled`),
    ]);
    t.diagnostic(`${what}: closed with code ${closed.code}${closed.code === 1009 ? '' : ' (1009 expected by RFC 6455)'}`);
    await attackerLeft(by, user);
  }
  await by.assertUndisturbed('oversized frames');
});

test('a long-polling POST over maxPayload is refused with 413 and nobody else notices', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const by = await bystanders(s);

  for (const size of [MAX_PAYLOAD + 1, 4 * MAX_PAYLOAD]) {
    const sid = await pollingChatSession(t, newUser('mallory'));
    const body = `42${NAMESPACE},["typing",{"pad":"${'x'.repeat(size)}"}]`.slice(0, size);
    const [pushed] = await Promise.all([
      push(SOCKET_IO_PATH, sid, body),
      by.exchange(`while a POST of ${size} bytes is handled`),
    ]);
    assert.equal(
      pushed.status,
      413,
      `a POST of ${size} bytes answered ${pushed.status || `no response (${pushed.error?.cause?.code ?? pushed.error?.message})`} ${pushed.body}: ` +
        'a client must be able to read the 413, so the server may not drop the connection while the body is still coming',
    );
  }
  await by.assertUndisturbed('oversized POSTs');
});

// ---------------------------------------------------------------------------------------------
// 5. Unknown events

test('unknown events answer an error event with a code and the socket stays connected', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const mallory = s.user('mallory');
  const by = await bystanders(s, { members: [mallory] });
  const attacker = await s.connect(mallory, { label: 'mallory' });
  await attacker.mustJoin(by.room.id);

  // Names nobody serves, including the server's own events sent the wrong way.
  const names = ['no_such_event', 'new_message', 'connected', 'user_joined', 'error', '__proto__', 'x'.repeat(1000)];
  for (const name of names) {
    const before = attacker.received('error').length;
    const ack = await attacker.request(name, { roomId: by.room.id, content: 'hello', isTyping: true });
    assertRefused(ack, `the acknowledgement of unknown event ${JSON.stringify(name.slice(0, 40))}`);
    const error = await attacker.waitFor(
      'error',
      (e) => attacker.received('error').indexOf(e) >= before,
      `after unknown event ${JSON.stringify(name.slice(0, 40))}`,
    );
    assert.equal(typeof error?.message, 'string', `error event without a message: ${JSON.stringify(error)}`);
    assert.ok(typeof error?.code === 'string' && error.code.length > 0, `error event without a code: ${JSON.stringify(error)}`);
    assert.equal(error.code, ack.error.code, 'the error event and the acknowledgement carry the same code');
  }

  // Without an ack: the error event alone.
  const before = attacker.received('error').length;
  attacker.socket.emit('no_such_event_without_ack', 1, 2, 3);
  await attacker.waitFor('error', (e) => attacker.received('error').indexOf(e) >= before && typeof e?.code === 'string', 'after an unknown event without ack');
  await by.exchange('after the unknown events');

  // The attacker's socket is still a working member of the room.
  assert.ok(attacker.socket.connected);
  assert.deepEqual(attacker.disconnects, []);
  const fromAttacker = await attacker.mustSend(by.room.id, tag('mallory, still connected'));
  await by.victim.waitForMessage(by.room.id, fromAttacker.content);
  by.sent.push(fromAttacker); // the victim hears the room, mallory included
  await by.assertUndisturbed('unknown events');
});

// ---------------------------------------------------------------------------------------------
// 6. Forged and expired tokens on the raw protocol

test('CONNECT with a forged, expired or garbage token answers CONNECT_ERROR Unauthorized', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const mallory = newUser('mallory');
  const by = await bystanders(s, { members: [mallory] });
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const UNAUTHORIZED = `44${NAMESPACE},{"message":"Unauthorized"}`;

  const cases = [
    ['a garbage token', { token: 'garbage' }],
    ['a token signed with another secret', { token: forgedToken(mallory) }],
    ['a token expired an hour ago', { token: expiredToken(mallory) }],
    ['a token with alg "none"', { token: signToken({ userId: mallory.id, name: mallory.name, exp }, { alg: 'none' }) }],
    ['a token without a user id', { token: signToken({ name: mallory.name, exp }) }],
    ['a token that is a number', { token: 42 }],
    ['no auth at all', undefined],
  ];
  for (const [what, auth] of cases) {
    const attacker = await s.raw(undefined, { label: `attacker with ${what}` });
    const reply = await attacker.connect(auth);
    assert.equal(reply, UNAUTHORIZED, `CONNECT with ${what}`);
  }
  // A forged token in the query string, with an empty CONNECT.
  const byQuery = await s.raw(undefined, { label: 'attacker with a forged token in the query', query: { token: forgedToken(mallory) } });
  assert.equal(await byQuery.connect(undefined), UNAUTHORIZED, 'CONNECT with a forged token in the query');
  await by.exchange('after the refused CONNECTs');

  // A refused socket may CONNECT again, with a valid token.
  const retrying = await s.raw(undefined, { label: 'attacker trying again' });
  assert.equal(await retrying.connect({ token: 'garbage' }), UNAUTHORIZED);
  const reply = await retrying.connect({ token: mallory.token });
  assert.match(reply, /^40\/chat,\{"sid":"[^"]+"\}$/, 'a CONNECT with a valid token after a refused one');

  // A refused socket is nowhere: events sent for /chat after the refusal close the connection,
  // as any packet for a namespace not joined does, and none is served.
  const attacker = await s.raw(undefined, { label: 'attacker sending while refused' });
  assert.equal(await attacker.connect({ token: 'garbage' }), UNAUTHORIZED);
  attacker.sendText(`42${NAMESPACE},1${JSON.stringify(['join_room', { roomId: by.room.id }])}`);
  attacker.sendText(`42${NAMESPACE},2${JSON.stringify(['send_message', { roomId: by.room.id, content: 'sneaked in', type: 'TEXT' }])}`);
  await attacker.waitClose('the server to close the connection that sent events for /chat after a refused CONNECT');
  const frames = attacker.frames.map((f) => (f.binary ? `<${f.data.length} binary bytes>` : f.data));
  assert.deepEqual(
    frames.filter((f) => f.startsWith(`43${NAMESPACE},`)),
    [],
    `events sent while refused were served: ${JSON.stringify(frames)}`,
  );
  await by.assertUndisturbed('forged tokens');
});

// ---------------------------------------------------------------------------------------------
// 7. The Origin allow-list

test('the Origin allow-list refuses other browser origins and admits the allowed one and non-browsers', TEST_TIMEOUT, async (t) => {
  const allowed = process.env.PARKCHAT_ALLOWED_ORIGIN;
  assert.ok(allowed, 'PARKCHAT_ALLOWED_ORIGIN is not set: the Origin that gateway 1 admits (--allowed-origins)');
  const s = new Session(t);
  const by = await bystanders(s);
  const forbidden = (response, what) => {
    assert.equal(response.status, 403, `${what}: HTTP ${response.status} ${response.body}`);
    let body;
    try {
      body = JSON.parse(response.body);
    } catch {
      assert.fail(`${what}: the refusal's body is not JSON: ${JSON.stringify(response.body)}`);
    }
    assert.deepEqual(body, { code: 4, message: 'Forbidden' }, `${what}: body`);
  };
  const wsHandshake = `${serverUrl().replace(/^http/, 'ws')}${SOCKET_IO_PATH}?EIO=4&transport=websocket`;
  const handshake = { EIO: 4, transport: 'polling' };

  // Refused: another origin, lookalikes of the allowed one, and the opaque origin "null".
  const { host } = new URL(allowed);
  const evil = ['http://evil.example', `${allowed}.evil.example`, `${allowed.replace(/^http:/, 'https:')}`, `http://${host}:8080`, 'null'];
  for (const origin of evil) {
    forbidden(await request(SOCKET_IO_PATH, handshake, { headers: { Origin: origin } }), `a polling handshake from ${origin}`);
    const upgrade = await expectWebSocketRefused(wsHandshake, WAIT_MS, { headers: { Origin: origin } });
    assert.equal(upgrade.refused, 'http', `a WebSocket from ${origin} must be refused at the upgrade: ${JSON.stringify(upgrade)}`);
    forbidden({ status: upgrade.status, body: upgrade.body }, `a WebSocket upgrade from ${origin}`);
  }
  const preflight = { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } };
  forbidden(
    await request(SOCKET_IO_PATH, handshake, { ...preflight, headers: { ...preflight.headers, Origin: 'http://evil.example' } }),
    'a CORS preflight from http://evil.example',
  );
  // socket.io-client, as a page on the wrong origin would run it.
  await s.connectRefused({ extraHeaders: { Origin: 'http://evil.example' }, auth: { token: s.user('mallory').token } }, 'socket.io-client from http://evil.example');
  await by.exchange('after the refused origins');

  // Admitted: the allowed origin, with CORS headers naming it on every polling answer.
  const corsOf = (response) => response.headers.get('access-control-allow-origin');
  const pre = await request(SOCKET_IO_PATH, handshake, { ...preflight, headers: { ...preflight.headers, Origin: allowed } });
  assert.ok([200, 204].includes(pre.status), `a CORS preflight from ${allowed}: HTTP ${pre.status}`);
  assert.equal(corsOf(pre), allowed, 'the preflight names the allowed origin');
  const opened = await request(SOCKET_IO_PATH, handshake, { headers: { Origin: allowed } });
  assert.equal(opened.status, 200, `a polling handshake from ${allowed}: ${opened.status} ${opened.body}`);
  assert.equal(corsOf(opened), allowed, 'Access-Control-Allow-Origin of the handshake');
  const sid = closeWhenDone(t, JSON.parse(opened.body.slice(1)).sid);
  const alice = s.user('alice');
  const pushed = await push(SOCKET_IO_PATH, sid, `40${NAMESPACE},${JSON.stringify({ token: alice.token })}`, { headers: { Origin: allowed } });
  assert.equal(pushed.status, 200);
  assert.equal(corsOf(pushed), allowed, 'Access-Control-Allow-Origin of a POST');
  const polled = await request(SOCKET_IO_PATH, { EIO: 4, transport: 'polling', sid }, { headers: { Origin: allowed } });
  assert.equal(polled.status, 200);
  assert.equal(corsOf(polled), allowed, 'Access-Control-Allow-Origin of a GET');
  assert.match(polled.body, /40\/chat,\{"sid"/, 'the CONNECT reply reached the allowed origin');
  // A session opened from the allowed origin cannot be driven from another one.
  forbidden(await push(SOCKET_IO_PATH, sid, '42/chat,["typing",{}]', { headers: { Origin: 'http://evil.example' } }), 'a POST into the session from http://evil.example');

  const ws = await s.raw(alice, { label: `a WebSocket from ${allowed}`, headers: { Origin: allowed } });
  assert.equal(ws.closed, null);

  // socket.io-client from the allowed origin: polling, then the upgrade, then chat.
  const bob = s.user('bob');
  const room = await createGroupRoom(alice, [bob]);
  let upgraded;
  const fromPage = await s.connect(alice, {
    label: `alice from ${allowed}`,
    extraHeaders: { Origin: allowed },
    onEngine(engine) {
      upgraded = new Promise((resolve) => engine.once('upgrade', (transport) => resolve(transport.name)));
    },
  });
  assert.equal(await withDeadline(upgraded, WAIT_MS, 'the upgrade of a client from the allowed origin'), 'websocket');
  await fromPage.mustJoin(room.id);

  // No Origin at all (not a browser): admitted, and no CORS headers needed.
  const native = await request(SOCKET_IO_PATH, handshake);
  assert.equal(native.status, 200, `a polling handshake without Origin: ${native.status} ${native.body}`);
  closeWhenDone(t, JSON.parse(native.body.slice(1)).sid);
  const bobClient = await s.connect(bob, { label: 'bob without an Origin' });
  await bobClient.mustJoin(room.id);
  const hello = await fromPage.mustSend(room.id, tag('from the allowed origin'));
  await bobClient.waitForMessage(room.id, hello.content);

  await by.assertUndisturbed('refused origins');
});

// ---------------------------------------------------------------------------------------------
// 8. Flooding send_message

test('a send_message flood is answered RATE_LIMITED and a victim in another room is unaffected', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const by = await bystanders(s, { transports: ['websocket'] });
  const mallory = s.user('mallory');
  const accomplice = s.user('accomplice');
  const floodRoom = await createGroupRoom(mallory, [accomplice]);
  const attacker = await s.connect(mallory, { label: 'mallory', transports: ['websocket'] });
  const listener = await s.connect(accomplice, { label: 'accomplice', transports: ['websocket'] });
  await attacker.mustJoin(floodRoom.id);
  await listener.mustJoin(floodRoom.id);

  const FLOOD = 400;
  const prefix = tag('flood');
  const started = Date.now();
  const flood = Promise.all(Array.from({ length: FLOOD }, (_, i) => attacker.send(floodRoom.id, `${prefix} ${i}`)));
  // While the flood is on, the witness talks at its own pace and is never limited.
  for (let i = 0; i < 5; i++) await by.exchange(`during the flood (${i})`, { patient: false });
  const acks = await flood;
  const seconds = (Date.now() - started) / 1000;

  const accepted = acks.filter((ack) => ack?.success === true);
  const refused = acks.filter((ack) => ack?.success !== true);
  t.diagnostic(`${FLOOD} sends in ${seconds.toFixed(2)} s: ${accepted.length} accepted, ${refused.length} refused`);
  assert.ok(refused.length > 0, `a flood of ${FLOOD} sends without waiting was not limited at all`);
  for (const ack of refused) assertRefused(ack, 'a send of the flood', ['RATE_LIMITED']);
  // Each refusal is also an error event with the code; they precede the ack of a later request.
  assert.deepEqual(await attacker.join(floodRoom.id), { success: true });
  const errors = attacker.received('error');
  assert.equal(errors.length, refused.length, 'one error event per refused send');
  for (const error of errors) assert.equal(error?.code, 'RATE_LIMITED', `error event ${JSON.stringify(error)}`);
  assert.ok(attacker.socket.connected, 'the flooding socket is limited, not disconnected');

  // The accepted ones reached the flood room, and nothing of the flood reached the victim's room.
  const marker = await attacker.sendPatiently(floodRoom.id, tag('after the flood'));
  await listener.waitForMessage(floodRoom.id, marker.content);
  assert.deepEqual(
    listener.chatMessages(floodRoom.id).map((m) => m.id),
    [...accepted.map((ack) => ack.message.id), marker.id],
    'the accomplice got exactly the accepted sends of the flood, in order',
  );
  await by.assertUndisturbed('a send_message flood in another room');
});

// ---------------------------------------------------------------------------------------------
// 9. Too many rooms

test('a socket may join at most 200 rooms: the 201st is FORBIDDEN', { timeout: 120_000 }, async (t) => {
  const s = new Session(t);
  const by = await bystanders(s);
  const hog = s.user('hog');

  const ROOMS = 201;
  const started = Date.now();
  const rooms = [];
  const queue = Array.from({ length: ROOMS }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (queue.length > 0) {
        const i = queue.shift();
        rooms[i] = await restOk(hog, 'POST', '/rooms', { type: 'GROUP', name: `hog room ${i}`, participant_ids: [] }, 201);
      }
    }),
  );
  const creation = (Date.now() - started) / 1000;
  t.diagnostic(`created ${ROOMS} GROUP rooms through REST in ${creation.toFixed(1)} s`);
  if (creation > 20) t.diagnostic(`creating ${ROOMS} rooms took more than 20 s`);

  const client = await s.connect(hog, { label: 'hog', transports: ['websocket'] });
  const first = rooms.slice(0, 200);
  const acks = await Promise.all(first.map((room) => client.join(room.id)));
  acks.forEach((ack, i) => assert.deepEqual(ack, { success: true }, `join ${i + 1} of 200`));
  await by.exchange('after 200 joins');

  const extra = rooms[200];
  const error = assertRefused(await client.join(extra.id), 'the 201st room of one socket', ['FORBIDDEN']);
  t.diagnostic(`201st join: ${error.code} ${error.message}`);
  await client.waitFor('error', (e) => e?.code === 'FORBIDDEN', 'after the 201st join');
  // The refusal let nothing in: the socket cannot send to the 201st room.
  assertRefused(await client.send(extra.id, tag('not joined')), 'a send to the refused room');
  // Joining a room it is already in is still fine at the cap.
  assert.deepEqual(await client.join(first[17].id), { success: true }, 'a repeated join at the cap');
  assert.ok(client.socket.connected, 'the capped socket stays connected');

  // The cap is per socket: another socket of the same user joins the 201st room, and once the
  // first socket leaves a room, it may join the 201st too.
  const second = await s.connect(hog, { label: 'hog, second socket', transports: ['websocket'] });
  await second.mustJoin(extra.id);
  assert.deepEqual(await client.leave(first[0].id), { success: true });
  await client.mustJoin(extra.id);
  const sent = await second.mustSend(extra.id, tag('to the 201st room'));
  await client.waitForMessage(extra.id, sent.content);
  await by.assertUndisturbed('joining 201 rooms');
});

// ---------------------------------------------------------------------------------------------
// 10. A consumer that does not read

test('a client that stops reading is closed once 4 MiB wait for it; the room\'s readers get everything', { timeout: 120_000 }, async (t) => {
  const s = new Session(t);
  const SENDERS = 10; // each socket may send 20 a second (40 at once): ten make a flood
  const senders = Array.from({ length: SENDERS }, () => s.user('sender'));
  const slowUser = newUser('slowpoke');
  const readerUser = s.user('reader');
  const room = await createGroupRoom(readerUser, [slowUser, ...senders]);

  const reader = await s.connect(readerUser, { label: 'the reader', transports: ['websocket'] });
  await reader.mustJoin(room.id);
  const slow = await s.raw(slowUser, { label: 'the slow consumer' });
  await slow.mustJoin(room.id);
  await reader.waitFor('user_joined', (e) => e?.userId === slowUser.id, 'for the slow consumer');
  const clients = [];
  for (const [i, user] of senders.entries()) {
    const client = await s.connect(user, { label: `sender ${i}`, transports: ['websocket'] });
    await client.mustJoin(room.id);
    clients.push(client);
  }

  // The slow consumer stops reading. The server's writes to it pile up: in the kernel's buffers
  // first, then in the server's own queue, which must not grow past 4 MiB. When the server drops
  // the socket, the room hears that it left.
  slow.pause();
  const framesBeforePause = slow.frames.length;
  const DROP_WAIT_MS = 30_000;
  let flooding = true;
  const dropped = reader
    .waitFor('user_left', (e) => e?.userId === slowUser.id, 'for the slow consumer, dropped by the server', DROP_WAIT_MS)
    .then(
      () => null,
      (error) => error,
    )
    .finally(() => (flooding = false));

  const content = (i, n) => `${'🏌'.repeat(3_880)} ${i}.${n}`; // 3,900 characters, ~15.5 KB of UTF-8
  const frameBytes = Buffer.byteLength(content(0, 0)) + 250; // with the message's other fields
  const acked = clients.map(() => []);
  const ackedCount = () => acked.reduce((sum, list) => sum + list.length, 0);
  const mib = () => ((ackedCount() * frameBytes) / 2 ** 20).toFixed(1);
  const GIVE_UP_BYTES = 64 * 2 ** 20; // far past any plausible buffering
  const started = Date.now();
  await Promise.all(
    clients.map(async (client, i) => {
      for (let n = 0; flooding && ackedCount() * frameBytes < GIVE_UP_BYTES; n++) {
        const ack = await client.send(room.id, content(i, n));
        if (ack?.success === true) {
          acked[i].push(ack.message);
        } else {
          assertRefused(ack, `sender ${i}'s message ${n}`, ['RATE_LIMITED']);
          // Throttling, not synchronisation: the bucket gives a token back every 50 ms.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }),
  );
  const failure = await dropped;
  if (failure) {
    assert.fail(`the server did not drop the slow consumer after ~${mib()} MiB were sent to it unread: ${failure.message}`);
  }
  t.diagnostic(`dropped after ${ackedCount()} messages (~${mib()} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Reading again, the slow consumer finds its connection closed: the close frame after what was
  // buffered, or the end of the TCP connection.
  slow.resume();
  const closed = await slow.waitClose('the slow consumer, reading again, to find its connection closed', DROP_WAIT_MS);
  const readAfter = slow.frames.slice(framesBeforePause).filter((f) => !f.binary && f.data.startsWith(`42${NAMESPACE},["new_message"`));
  t.diagnostic(`the slow consumer then read ${readAfter.length} more messages and the close (code ${closed.code} ${JSON.stringify(closed.reason)})`);

  // The reader got every acknowledged message, once, each sender's in order. A marker after the
  // flood: it follows every acknowledged message in the room.
  const marker = await clients[0].sendPatiently(room.id, tag('after the flood'));
  await reader.waitForMessage(room.id, marker.content, DROP_WAIT_MS);
  const got = reader.chatMessages(room.id);
  assert.equal(new Set(got.map((m) => m.id)).size, got.length, 'no message twice on the reader');
  for (const [i, list] of acked.entries()) {
    assert.deepEqual(
      got.filter((m) => m.senderId === senders[i].id).map((m) => m.id),
      (i === 0 ? [...list, marker] : list).map((m) => m.id),
      `the reader got every message of sender ${i}, in order`,
    );
  }
  for (const client of [reader, ...clients]) {
    assert.deepEqual(client.disconnects, [], `${client.label} was disconnected`);
    // The senders are throttled on purpose; any other error is a fault.
    const errors = client.received('error').filter((e) => e?.code !== 'RATE_LIMITED');
    assert.deepEqual(errors, [], `${client.label} got error events`);
  }
});

// ---------------------------------------------------------------------------------------------
// 11. Deeply nested JSON (CONTRACT §7.4: bad input never crashes the process, never disturbs
// another user's connection). Last in the file: a gateway that fails these may stop serving.

// What answered the attacker: the first frame from index `from` on that satisfies `matches`, or
// the close of its connection.
async function frameOrClose(attacker, matches, what, from) {
  try {
    return (await attacker.waitForFrame(matches, what, { from })).data;
  } catch (error) {
    if (!attacker.closed) throw error;
    return `the close of the connection (code ${attacker.closed.code})`;
  }
}

// The gateway at `url` still answers HTTP.
async function assertGatewayAlive(url, after) {
  let status;
  try {
    status = (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(WAIT_MS) })).status;
  } catch (error) {
    assert.fail(`the gateway at ${url} stopped answering after ${after} (crashed or stalled): ${error.cause?.code ?? error.message}`);
  }
  assert.equal(status, 200, `GET ${url}/healthz after ${after}`);
}

test('a CONNECT whose auth is deeply nested JSON is refused and the gateway carries on', TEST_TIMEOUT, async (t) => {
  // Against gateway 2: should it go down, the REST API on gateway 1 and the next test survive.
  const url = secondServerUrl();
  const s = new Session(t);
  const by = await bystanders(s, { url });
  const DEPTH = 200_000; // 400 KB, well under maxPayload
  const attacker = await s.raw(undefined, { label: 'attacker', url });
  const from = attacker.frames.length;
  attacker.sendText(`40${NAMESPACE},{"token":"garbage","x":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`);
  const outcome = await frameOrClose(attacker, (f) => f.data.startsWith(`44${NAMESPACE},`), 'the refusal of a deeply nested CONNECT', from);
  t.diagnostic(`a CONNECT nested ${DEPTH} deep: ${outcome}`);
  await assertGatewayAlive(url, `a CONNECT whose auth was nested ${DEPTH} deep`);
  await by.assertUndisturbed('a deeply nested CONNECT');
});

test('a binary event with deeply nested placeholders does not stall the gateway', TEST_TIMEOUT, async (t) => {
  const s = new Session(t);
  const mallory = newUser('mallory');
  const by = await bystanders(s, { members: [mallory] });
  const attacker = await rawAttackerInRoom(s, mallory, by);
  const DEPTH = 20_000; // 40 KB
  const from = attacker.frames.length;
  attacker.sendText(`451-${NAMESPACE},["typing",${'['.repeat(DEPTH)}${PLACEHOLDER}${']'.repeat(DEPTH)}]`);
  attacker.sendBinary([1, 2, 3]);
  // The victim goes on hearing the witness at the usual pace, not once the gateway is done.
  const started = Date.now();
  try {
    await by.exchange(`right after a binary event nested ${DEPTH} deep`);
  } catch (error) {
    assert.fail(`after a binary event nested ${DEPTH} deep (${Math.round((2 * DEPTH) / 1024)} KB), the gateway stopped delivering to the room: ${error.message}`);
  }
  t.diagnostic(`the exchange after the nested binary event took ${Date.now() - started} ms`);
  const outcome = await frameOrClose(attacker, (f) => f.data.startsWith(`42${NAMESPACE},["error"`), 'an error event answering the nested binary event', from);
  t.diagnostic(`the attacker: ${outcome}`);
  await by.assertUndisturbed('a deeply nested binary event');
});
