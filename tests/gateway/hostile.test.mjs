// What a hostile user tries against a running serve (the findings of the input review, README
// "Input rules" and "Limits"): every attempt is refused with a code or handled faithfully, and a
// bystander pair in a room of its own keeps chatting through each one; at the end of each test
// the bystanders' every acknowledged message was delivered once, in order, and is in history.
//
// Environment as for chat.test.mjs (see lib/chat.mjs); the server runs with --dedupe-window 2s
// and the default limits.
//
// No test sleeps to synchronise; the one wait is for the duplicate window to pass, which is
// time itself.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import {
  API_PREFIX,
  HISTORY_WAIT_MS,
  Session,
  assertRefused,
  createGroupRoom,
  pollUntil,
  randomUUID,
  readHistory,
  rest,
  restOk,
  serverUrl,
  signToken,
  tag,
} from './lib/chat.mjs';

const TEST_TIMEOUT = { timeout: 90_000 };
const DEDUPE_WINDOW_MS = 2_000; // serve --dedupe-window 2s

// ---------------------------------------------------------------------------------------------
// The bystanders

// Two users in a room of their own: the talker sends a message every 100 ms (by socket, every
// fifth by REST), the listener hears each; they go on until finish().
class Bystanders {
  static async start(s) {
    const talkerUser = s.user('talker');
    const listenerUser = s.user('listener');
    const room = await createGroupRoom(talkerUser, [listenerUser]);
    const talker = await s.connect(talkerUser, { label: 'the talker' });
    const listener = await s.connect(listenerUser, { label: 'the listener' });
    await talker.mustJoin(room.id);
    await listener.mustJoin(room.id);
    const by = new Bystanders(room, talker, listener);
    by.running = by.#talk();
    return by;
  }

  constructor(room, talker, listener) {
    this.room = room;
    this.talker = talker;
    this.listener = listener;
    this.acked = []; // the talker's acknowledged messages, in order
    this.stopped = false;
  }

  async #talk() {
    for (let n = 0; !this.stopped; n++) {
      const content = tag(`bystander ${n}`);
      let message;
      if (n % 5 === 4) {
        message = await restOk(this.talker.user, 'POST', `/rooms/${this.room.id}/messages`, { content }, 201);
      } else {
        message = await this.talker.mustSend(this.room.id, content);
      }
      this.acked.push(message);
      await this.listener.waitForMessage(this.room.id, content);
      await delay(100); // a person's pace, well inside every limit
    }
  }

  // Stops talking; then every acknowledged message was heard once, in order, and is stored.
  async finish(what) {
    this.stopped = true;
    await this.running;
    assert.ok(this.acked.length > 0, `the bystanders said nothing during ${what}`);
    const ids = this.acked.map((m) => m.id);
    assert.deepEqual(
      this.listener.chatMessages(this.room.id).map((m) => m.id),
      ids,
      `through ${what}, the listener heard every acknowledged message once and in order`,
    );
    const history = await pollUntil(
      async () => {
        const stored = (await readHistory(this.talker.user, this.room.id)).filter((m) => m.type !== 'SYSTEM');
        return stored.length >= ids.length ? stored : null;
      },
      { timeout: HISTORY_WAIT_MS, what: `the bystanders' ${ids.length} messages in history after ${what}` },
    );
    assert.deepEqual(history.map((m) => m.id), ids, `through ${what}, history holds every acknowledged message once`);
    for (const client of [this.talker, this.listener]) {
      assert.deepEqual(client.disconnects, [], `${client.label} was disconnected during ${what}`);
      assert.deepEqual(client.received('error'), [], `${client.label} got error events during ${what}`);
    }
  }
}

// A test of one attack, run while bystanders chat; when it ends they must have lost nothing.
function attack(name, body) {
  test(name, TEST_TIMEOUT, async (t) => {
    const s = new Session(t);
    const by = await Bystanders.start(s);
    await body(s, t);
    await by.finish(`"${name}"`);
  });
}

// A user in a room of its own with a friend, connected and joined: the attacker's seat.
async function seated(s, label) {
  const user = s.user(label);
  const friend = s.user(`${label}'s friend`);
  const room = await createGroupRoom(user, [friend]);
  const socket = await s.connect(user, { label });
  await socket.mustJoin(room.id);
  return { user, friend, room, socket };
}

// A REST refusal: status, code, and for RATE_LIMITED a retry hint.
function assertRestRefused(reply, status, code, what) {
  assert.equal(reply.status, status, `${what}: status ${reply.status}, body ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body?.success, false, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body?.error?.code, code, `${what}: ${JSON.stringify(reply.body)}`);
  if (code === 'RATE_LIMITED') {
    assert.ok(Number.isInteger(reply.body.error.retryAfterMs) && reply.body.error.retryAfterMs >= 0,
      `${what}: RATE_LIMITED without retryAfterMs: ${JSON.stringify(reply.body)}`);
  }
  return reply.body.error;
}

// Runs `count` calls of `make(i)`, `parallel` at a time; their results in order.
async function flood(count, parallel, make) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await make(i);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// 1. What is acknowledged can be stored

attack('NUL and other control characters are VALIDATION on every path; tabs, newlines and bidi marks are kept', async (s, t) => {
  const { user: mallory, friend, room, socket } = await seated(s, 'mallory');
  for (const content of ['a\u0000b', 'bell\u0007', 'escape \u001b[31m']) {
    const label = JSON.stringify(content);
    assertRestRefused(await rest(mallory, 'POST', `/rooms/${room.id}/messages`, { content }), 400, 'VALIDATION', `REST content ${label}`);
    assertRefused(await socket.send(room.id, content), `socket content ${label}`, ['VALIDATION']);
  }
  assertRestRefused(await rest(mallory, 'POST', '/rooms', { type: 'GROUP', name: 'evil\u0000room', participant_ids: [friend.id] }),
    400, 'VALIDATION', 'a room name with NUL');
  assertRestRefused(await rest(mallory, 'POST', '/rooms', { type: 'GROUP', name: 'ok', participant_ids: [friend.id], member_names: ['x\u0000y'] }),
    400, 'VALIDATION', 'a member name with NUL');
  assertRestRefused(await rest(mallory, 'POST', '/rooms', { type: 'GROUP', name: 'n'.repeat(101), participant_ids: [friend.id] }),
    400, 'VALIDATION', 'a room name of 101 characters');

  // Right-to-left text and layout characters are text.
  const kept = await socket.mustSend(room.id, 'שלום\u200f\tline\r\nnext');
  assert.equal(kept.content, 'שלום\u200f\tline\r\nnext');
  const history = await pollUntil(async () => (await readHistory(mallory, room.id)).find((m) => m.id === kept.id),
    { timeout: HISTORY_WAIT_MS, what: 'the bidi message in history' });
  assert.equal(history.content, kept.content, 'stored exactly as sent');
  // Nothing refused reached the room.
  assert.deepEqual((await readHistory(mallory, room.id)).filter((m) => m.type !== 'SYSTEM').map((m) => m.id), [kept.id]);
});

attack('a token name of 5,000 characters is cleaned and cut to 100: create and leave work', async (s, t) => {
  const id = 1_000_000_000 + Math.floor(Math.random() * 1e9);
  const longName = { id, token: signToken({ userId: id, name: `\u0001${'n'.repeat(2500)}\u0007${'m'.repeat(2500)}`, exp: Math.floor(Date.now() / 1000) + 3600 }) };
  const other = s.user('other');
  const room = await restOk(longName, 'POST', '/rooms', { type: 'GROUP', name: 'long names', participant_ids: [other.id] }, 201);
  const me = room.members.find((m) => m.userId === id);
  assert.equal(me?.userName, 'n'.repeat(100), 'control characters dropped, cut to 100 characters');
  await restOk(longName, 'DELETE', `/rooms/${room.id}/leave`);
});

// ---------------------------------------------------------------------------------------------
// 3. One id, one message

attack('a message id is one message: CONFLICT elsewhere on every path, a retry is the stored copy, delivered once', async (s, t) => {
  const alice = s.user('alice');
  const bob = s.user('bob');
  const roomA = await createGroupRoom(alice, [bob]);
  const roomB = await createGroupRoom(alice, [bob]);
  const aliceSocket = await s.connect(alice, { label: 'alice' });
  const bobSocket = await s.connect(bob, { label: 'bob' });
  for (const room of [roomA, roomB]) {
    await aliceSocket.mustJoin(room.id);
    await bobSocket.mustJoin(room.id);
  }
  const id = randomUUID();
  const first = await aliceSocket.mustSend(roomA.id, 'the original', { id });
  await bobSocket.waitForMessage(roomA.id, 'the original');

  // The same sender, another room; another sender, the same room; and REST for both.
  assertRefused(await aliceSocket.send(roomB.id, 'elsewhere', { id }), 'the id again in another room', ['CONFLICT']);
  assertRefused(await bobSocket.send(roomA.id, 'by another', { id }), 'the id again by another sender', ['CONFLICT']);
  assertRestRefused(await rest(alice, 'POST', `/rooms/${roomB.id}/messages`, { id, content: 'elsewhere' }), 409, 'CONFLICT', 'REST, another room');
  assertRestRefused(await rest(bob, 'POST', `/rooms/${roomA.id}/messages`, { id, content: 'by another' }), 409, 'CONFLICT', 'REST, another sender');

  // A retry, even with other content, is the stored copy and is not delivered again.
  const retry = await aliceSocket.send(roomA.id, 'changed my mind', { id });
  assert.equal(retry?.success, true, JSON.stringify(retry));
  assert.equal(retry.duplicate, true);
  assert.equal(retry.message.content, 'the original', 'a duplicate answers with the message stored first');
  const restRetry = await rest(alice, 'POST', `/rooms/${roomA.id}/messages`, { id, content: 'once more' });
  assert.equal(restRetry.status, 200, JSON.stringify(restRetry.body));
  assert.equal(restRetry.body.data.duplicate, true);
  assert.equal(restRetry.body.data.content, 'the original');

  // Bob's next message in each room arrives after anything the refusals could have delivered.
  const markerA = await aliceSocket.mustSend(roomA.id, tag('marker A'));
  const markerB = await aliceSocket.mustSend(roomB.id, tag('marker B'));
  await bobSocket.waitForMessage(roomA.id, markerA.content);
  await bobSocket.waitForMessage(roomB.id, markerB.content);
  assert.deepEqual(bobSocket.chatMessages(roomA.id).map((m) => m.id), [first.id, markerA.id], 'room A: the original once');
  assert.deepEqual(bobSocket.chatMessages(roomB.id).map((m) => m.id), [markerB.id], 'room B: nothing under the taken id');
  const storedB = await pollUntil(async () => {
    const h = (await readHistory(alice, roomB.id)).filter((m) => m.type !== 'SYSTEM');
    return h.length >= 1 ? h : null;
  }, { timeout: HISTORY_WAIT_MS, what: 'room B history' });
  assert.deepEqual(storedB.map((m) => m.id), [markerB.id]);

  // Past the duplicate window the stream forgets the id; history does not: a retry through
  // REST (what our clients do for an old pending message) is still the stored copy.
  await pollUntil(async () => (await readHistory(alice, roomA.id)).some((m) => m.id === id),
    { timeout: HISTORY_WAIT_MS, what: 'the original in history' });
  await delay(DEDUPE_WINDOW_MS + 500);
  const late = await rest(alice, 'POST', `/rooms/${roomA.id}/messages`, { id, content: 'much later' });
  assert.equal(late.status, 200, JSON.stringify(late.body));
  assert.equal(late.body.data.duplicate, true);
  assertRestRefused(await rest(bob, 'POST', `/rooms/${roomA.id}/messages`, { id, content: 'late thief' }), 409, 'CONFLICT', 'REST past the window');
  const markerC = await aliceSocket.mustSend(roomA.id, tag('marker C'));
  await bobSocket.waitForMessage(roomA.id, markerC.content);
  assert.deepEqual(bobSocket.chatMessages(roomA.id).map((m) => m.id), [first.id, markerA.id, markerC.id],
    'the late REST retry was not delivered again');
  const storedA = (await readHistory(alice, roomA.id)).filter((m) => m.type !== 'SYSTEM');
  assert.equal(storedA.filter((m) => m.id === id).length, 1, 'stored once');
  assert.equal(storedA.find((m) => m.id === id).content, 'the original');
});

// ---------------------------------------------------------------------------------------------
// 5. Booking rooms belong to bookings

attack('an end user cannot create a BOOKING room, whether or not the booking has one', async (s, t) => {
  const squatter = s.user('squatter');
  const victim = s.user('victim');
  const bookingId = 900_000_000 + Math.floor(Math.random() * 1e8);
  const service = { token: signToken({ role: 'service', exp: Math.floor(Date.now() / 1000) + 3600 }) };
  const before = await rest(squatter, 'POST', '/rooms', { type: 'BOOKING', booking_id: bookingId, name: 'mine', participant_ids: [victim.id] });
  assertRestRefused(before, 403, 'FORBIDDEN', 'a BOOKING room by an end user (no room yet)');
  await restOk(service, 'POST', '/rooms', { type: 'BOOKING', booking_id: bookingId, name: 'Tee time', participant_ids: [victim.id] }, 201);
  const after = await rest(squatter, 'POST', '/rooms', { type: 'BOOKING', booking_id: bookingId, name: 'mine', participant_ids: [victim.id] });
  assertRestRefused(after, 403, 'FORBIDDEN', 'a BOOKING room by an end user (the booking has one)');
  assert.deepEqual(after.body, before.body, 'the answer tells nothing about whether the booking has a room');
  const rooms = await restOk(victim, 'GET', '/rooms');
  const booked = rooms.filter((r) => r.bookingId === bookingId);
  assert.equal(booked.length, 1);
  assert.equal(booked[0].name, 'Tee time');
  assertRestRefused(await rest(victim, 'DELETE', `/rooms/${booked[0].id}/leave`), 403, 'FORBIDDEN', 'leaving a BOOKING room');
});

// ---------------------------------------------------------------------------------------------
// 6. Limits on everything a client can repeat

attack('REST sends share the socket\'s budget: a flood is RATE_LIMITED with retryAfterMs on both paths', async (s, t) => {
  const { user: mallory, room, socket } = await seated(s, 'mallory');
  const replies = await flood(300, 16, (i) => rest(mallory, 'POST', `/rooms/${room.id}/messages`, { content: `flood ${i}` }));
  const accepted = replies.filter((r) => r.status === 201);
  const refused = replies.filter((r) => r.status !== 201);
  t.diagnostic(`300 REST sends: ${accepted.length} accepted, ${refused.length} refused`);
  assert.ok(accepted.length >= 40 && accepted.length < 100, `the burst of 40 and the rate of 20/s, not ${accepted.length}`);
  for (const reply of refused) assertRestRefused(reply, 429, 'RATE_LIMITED', 'a REST send of the flood');
  // The socket draws on the same budget: right after the flood it is (nearly) empty there too,
  // where a budget of its own would take a burst of 40.
  const bySocket = await Promise.all(Array.from({ length: 10 }, (_, i) => socket.send(room.id, `and by socket ${i}`)));
  const limited = bySocket.filter((ack) => ack?.success !== true);
  assert.ok(limited.length >= 5, `socket sends after the REST flood: ${JSON.stringify(bySocket)}`);
  for (const ack of limited) assertRefused(ack, 'a socket send after the REST flood', ['RATE_LIMITED']);
});

attack('room creations are limited per user, and so are the new rooms that may add one user', async (s, t) => {
  const victim = s.user('victim');
  // One creator: a burst of 30 rooms, then RATE_LIMITED.
  const spammer = s.user('spammer');
  const created = await flood(100, 8, (i) => rest(spammer, 'POST', '/rooms', { type: 'GROUP', name: `spam ${i}`, participant_ids: [] }));
  const made = created.filter((r) => r.status === 201).length;
  t.diagnostic(`100 room creations by one user: ${made} created`);
  assert.ok(made >= 30 && made <= 32, `the burst of 30 room creations, not ${made}`);
  for (const reply of created.filter((r) => r.status !== 201)) assertRestRefused(reply, 429, 'RATE_LIMITED', 'a room creation of the flood');
  // Three creators adding the same victim: 60 new rooms an hour may add a user, then no more.
  const creators = [s.user('a'), s.user('b'), s.user('c')];
  const adding = await flood(75, 6, (i) => rest(creators[i % 3], 'POST', '/rooms', { type: 'GROUP', name: `with victim ${i}`, participant_ids: [victim.id] }));
  const added = adding.filter((r) => r.status === 201).length;
  t.diagnostic(`75 rooms adding one user, by three creators: ${added} created`);
  assert.equal(added, 60, 'at most 60 new rooms add one user within the hour');
  const refusal = adding.find((r) => r.status !== 201);
  assertRestRefused(refusal, 429, 'RATE_LIMITED', 'a room adding the victim once too often');
  assert.match(refusal.body.error.message, new RegExp(String(victim.id)), 'the refusal names the user');
  // Reopening a DIRECT room that exists adds nobody and costs the other user nothing.
  const friend = s.user('friend');
  const dm = await restOk(friend, 'POST', '/rooms', { type: 'DIRECT', participant_ids: [creators[0].id] }, 201);
  for (let i = 0; i < 5; i++) {
    const again = await restOk(friend, 'POST', '/rooms', { type: 'DIRECT', participant_ids: [creators[0].id] }, 201);
    assert.equal(again.id, dm.id);
  }
});

attack('history reads have a burst for a client refilling 200 rooms, then RATE_LIMITED', async (s, t) => {
  const reader = s.user('reader');
  const room = await createGroupRoom(reader, []);
  const replies = await flood(600, 16, () => rest(reader, 'GET', `/rooms/${room.id}/messages?limit=1`));
  const served = replies.filter((r) => r.status === 200).length;
  t.diagnostic(`600 history reads: ${served} served`);
  assert.ok(served >= 400 && served < 500, `the burst of 400 reads and 10/s, not ${served}`);
  for (const reply of replies.filter((r) => r.status !== 200)) assertRestRefused(reply, 429, 'RATE_LIMITED', 'a read of the flood');
});

attack('one user may hold 20 sockets: the 21st closes the oldest with a reason, the others stay', async (s, t) => {
  const hoarder = s.user('hoarder');
  const sockets = [];
  for (let i = 0; i < 20; i++) sockets.push(await s.connect(hoarder, { label: `hoarder ${i}` }));
  const oldest = sockets[0];
  const closed = oldest.waitFor('disconnect', () => true, 'the oldest socket closing');
  const error = oldest.waitFor('error', (e) => e?.code === 'RATE_LIMITED', 'the reason it closes');
  sockets.push(await s.connect(hoarder, { label: 'hoarder 20' }));
  assert.match((await error).message, /sockets/);
  assert.equal(await closed, 'io server disconnect', 'closed by the server, so socket.io-client does not reconnect');
  for (const socket of sockets.slice(1)) assert.ok(socket.socket.connected, `${socket.label} stays connected`);
});

// ---------------------------------------------------------------------------------------------
// 7. Exact routing and honest HTTP

attack('cursors and limits out of range are VALIDATION; the API prefix is exact; chunked bodies get 411', async (s, t) => {
  const user = s.user('prober');
  const room = await createGroupRoom(user, []);
  const uuid = randomUUID();
  for (const query of [`cursor=9999999999999999999_${uuid}`, `cursor=-1_${uuid}`, 'limit=0', 'limit=101', 'limit=abc']) {
    assertRestRefused(await rest(user, 'GET', `/rooms/${room.id}/messages?${query}`), 400, 'VALIDATION', `GET messages?${query}`);
  }
  const beside = await fetch(`${serverUrl()}/api/user/chatrooms`, { headers: { authorization: `Bearer ${user.token}` } });
  assert.equal(beside.status, 404, '/api/user/chatrooms is no API path');
  const chunked = await new Promise((resolve, reject) => {
    const url = new URL(`${serverUrl()}${API_PREFIX}/rooms/${room.id}/messages`);
    const req = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.write('{"content":');
    req.end('"chunked"}');
  });
  assert.equal(chunked, 411, 'a chunked body is refused, not read as empty');
  assert.deepEqual((await readHistory(user, room.id)).filter((m) => m.type !== 'SYSTEM'), [], 'nothing was stored');
});
