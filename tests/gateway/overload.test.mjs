// Overload is refused at the edge (README "Limits"): the server here runs with
// --max-queue-delay 1, so a burst into a large room makes deliveries wait past the bound and
// sends are refused UNAVAILABLE with retryAfterMs, while every acknowledged message still
// reaches every socket that stayed connected. Environment as for chat.test.mjs.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Session, WAIT_MS, assertRefused, createGroupRoom, pollUntil, tag } from './lib/chat.mjs';

test('past --max-queue-delay sends are UNAVAILABLE with retryAfterMs; nothing acknowledged is lost', { timeout: 120_000 }, async (t) => {
  const s = new Session(t);
  const LISTENERS = 300;
  const SENDERS = 10;
  const EACH = 30; // within the per-user burst of 40: no RATE_LIMITED
  const owner = s.user('owner');
  const senders = Array.from({ length: SENDERS }, (_, i) => s.user(`sender ${i}`));
  const listeners = Array.from({ length: LISTENERS }, (_, i) => s.user(`listener ${i}`));
  const room = await createGroupRoom(owner, [...senders, ...listeners]);
  const connect = async (user) => {
    const client = await s.connect(user, { transports: ['websocket'] });
    await client.mustJoin(room.id);
    return client;
  };
  const listening = [];
  for (let i = 0; i < LISTENERS; i += 50) listening.push(...(await Promise.all(listeners.slice(i, i + 50).map(connect))));
  const sending = await Promise.all(senders.map(connect));

  const prefix = tag('burst');
  const acks = (
    await Promise.all(sending.map((c, k) => Promise.all(Array.from({ length: EACH }, (_, i) => c.send(room.id, `${prefix} ${k}.${i}`)))))
  ).flat();
  const accepted = acks.filter((a) => a?.success === true).map((a) => a.message);
  const refused = acks.filter((a) => a?.success !== true);
  t.diagnostic(`${acks.length} sends: ${accepted.length} accepted, ${refused.length} refused as overload`);
  assert.ok(refused.length > 0, 'a burst of 90,000 deliveries must outlast a 1 ms queue bound');
  for (const ack of refused) {
    const error = assertRefused(ack, 'a send during the overload', ['UNAVAILABLE']);
    assert.ok(Number.isInteger(error.retryAfterMs) && error.retryAfterMs > 0, `a retry hint: ${JSON.stringify(error)}`);
  }
  // The refusal is a moment's: once deliveries flow again, a send is accepted.
  const after = await pollUntil(async () => {
    const ack = await sending[0].send(room.id, tag('after the burst'));
    return ack?.success === true ? ack.message : null;
  }, { timeout: WAIT_MS * 3, interval: 200, what: 'a send accepted after the overload' });
  // Every listener got every accepted message (and the last one), once each.
  const owed = new Set([...accepted.map((m) => m.id), after.id]);
  for (const client of listening) {
    await client.waitForMessage(room.id, after.content, WAIT_MS * 3);
    const got = client.chatMessages(room.id).map((m) => m.id).filter((id) => owed.has(id));
    assert.equal(got.length, owed.size, `${client.label} got every acknowledged message`);
    assert.equal(new Set(got).size, got.length, `${client.label} got each once`);
    assert.deepEqual(client.disconnects, [], `${client.label} stayed connected`);
  }
});
