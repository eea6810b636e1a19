// Engine.IO 4 / Socket.IO 5 conformance of `parkchat serve --conformance`.
//
// Written from the protocol specifications and from the list of behaviours that the official
// engine.io-protocol and socket.io-protocol test suites check (see the gateway notes); the
// expectations are the same, the code is our own. Tests marked [ref] go beyond the official
// suites: they pin down what the reference Node server does where the suites are silent (error
// bodies, headers, payload limits). Tests marked [client] drive the real socket.io-client.
//
// Run:  PARKCHAT_URL=http://127.0.0.1:PORT node --test tests/gateway/conformance.test.mjs

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

import {
  SEP,
  EVENT_TIMEOUT,
  WsClient,
  baseUrl,
  decodePayload,
  delay,
  describe as show,
  expectWebSocketRefused,
  getOverOneConnection,
  normalizedContentType,
  openPolling,
  openSocketIO,
  openWebSocket,
  parseOpenPacket,
  poll,
  pollSkippingPings,
  push,
  request,
  track,
  withTimeout,
  wsUrl,
} from "./lib/eio.mjs";

const EIO_PATH = "/engine.io/";
const SIO_PATH = "/socket.io/";
const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const MAX_PAYLOAD = 1000000;
const HANDSHAKE_KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];
const T = { timeout: 20000 };

// Some checks need a GET to be parked on the server before the next request is made, and nothing
// observable tells the client that it is. The official suite staggers by 5 ms; we wait a bit more.
const PARK_SETTLE_MS = 50;

class PingRace extends Error {}

// Runs `attempt` again (with a fresh session) when a parked poll was answered by the server's
// regular ping before the test could act on it, which only a very slow run makes possible.
async function retryOnPingRace(attempt, tries = 3) {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PingRace) || i >= tries) throw error;
    }
  }
}

function checkHandshake(handshake, upgrades, where) {
  assert.deepEqual(
    Object.keys(handshake).sort(),
    HANDSHAKE_KEYS,
    `${where}: the open packet must hold exactly ${HANDSHAKE_KEYS.join(", ")}; got ${JSON.stringify(handshake)}`,
  );
  assert.equal(typeof handshake.sid, "string", `${where}: sid must be a string`);
  assert.ok(handshake.sid.length > 0, `${where}: sid must not be empty`);
  assert.deepEqual(handshake.upgrades, upgrades, `${where}: upgrades`);
  assert.equal(handshake.pingInterval, PING_INTERVAL, `${where}: pingInterval`);
  assert.equal(handshake.pingTimeout, PING_TIMEOUT, `${where}: pingTimeout`);
  assert.equal(handshake.maxPayload, MAX_PAYLOAD, `${where}: maxPayload`);
}

function assertStatus(response, expected, what) {
  const ok = Array.isArray(expected) ? expected.includes(response.status) : response.status === expected;
  assert.ok(
    ok,
    `${what}: expected HTTP ${Array.isArray(expected) ? expected.join(" or ") : expected}, got ` +
      `${response.status || `a network error (${response.error?.cause?.code ?? response.error?.message})`}` +
      ` with body ${show(response.body)} [${response.url}]`,
  );
}

async function assertSessionGone(path, sid, what) {
  const response = await poll(path, sid);
  assertStatus(response, 400, `${what}: a GET on the closed session`);
}

// Sends a GET and gives the server time to park it. Returns the pending response.
async function parkPoll(path, sid, extra) {
  const pending = poll(path, sid, { extra });
  await delay(PARK_SETTLE_MS);
  return { pending };
}

// Completes the upgrade of polling session `sid` to a WebSocket: probe, then "5".
async function upgradeToWebSocket(t, path, sid) {
  const client = track(t, await WsClient.connect(wsUrl(path, { EIO: 4, transport: "websocket", sid })));
  client.send("2probe");
  const probe = await client.nextText({ what: 'the "3probe" answer to "2probe"' });
  assert.equal(probe, "3probe", `the probe must be answered with "3probe", got ${show(probe)}`);
  client.send("5");
  client.autoPong = true;
  return client;
}

// Waits until the upgraded session answers on the WebSocket, which proves the server handled "5".
async function syncUpgraded(client, path) {
  if (path === EIO_PATH) {
    client.send("4sync");
    const echo = await client.nextText({ skipPings: true, what: 'the echo of "4sync"' });
    assert.equal(echo, "4sync", `after the upgrade the echo must come over the WebSocket, got ${show(echo)}`);
  } else {
    client.send("40");
    const connect = await client.nextText({ skipPings: true, what: "the CONNECT reply over the upgraded WebSocket" });
    assert.match(connect, /^40\{/, `CONNECT over the upgraded WebSocket, got ${show(connect)}`);
    await client.nextText({ skipPings: true, what: 'the "auth" event' });
  }
}

// Proves the (upgraded or WebSocket) session still works.
async function assertWebSocketAlive(client, path) {
  if (path === EIO_PATH) {
    client.send("4hello");
    const echo = await client.nextText({ skipPings: true, what: 'the echo of "4hello"' });
    assert.equal(echo, "4hello");
  } else {
    client.send('42["message","still here"]');
    const back = await client.nextText({ skipPings: true, what: "message-back" });
    assert.equal(back, '42["message-back","still here"]');
  }
}

// A WebSocket with the sid of a session that cannot take it (upgraded already, or upgrading):
// the reference completes the WebSocket handshake (HTTP 101), then closes it with an empty close
// frame (code 1005), sending nothing first; the session's transport is untouched.
const SECOND_WS_CLOSE_MS = 2000;
// The conformance server's upgradeTimeout: how long a WebSocket opened to upgrade a session has
// to send "5" (the reference default is 10000 ms).
const UPGRADE_TIMEOUT = 1000;

async function expectAcceptedThenClosed(url, what) {
  const outcome = await expectWebSocketRefused(url, SECOND_WS_CLOSE_MS);
  assert.equal(outcome.refused, "closed", `${what}: the upgrade must complete, then the server closes it; got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.code, 1005, `${what}: the close frame must be empty (1005), as the reference sends; got ${outcome.code}`);
  assert.deepEqual(outcome.frames, [], `${what}: nothing may come before the close`);
}

// A WebSocket session that answers pings and, at /socket.io/, has joined the main namespace, so
// that neither the ping timeout nor connectTimeout can end it during a test.
async function openLiveWebSocket(t, path) {
  const { client, handshake } =
    path === SIO_PATH ? await openSocketIO({ autoPong: true }) : await openWebSocket(path, { autoPong: true });
  track(t, client);
  return { client, sid: handshake.sid };
}

// ===============================================================================================
// Engine.IO, at /engine.io/ (echo server) and — for what the Socket.IO suite repeats — /socket.io/.

for (const path of [EIO_PATH, SIO_PATH]) {
  describe(`Engine.IO handshake at ${path}`, () => {
    it(`polling: opens a session with the expected open packet (${path})`, T, async () => {
      const response = await request(path, { EIO: 4, transport: "polling" });
      assertStatus(response, 200, "polling handshake");
      assert.ok(!response.body.includes(SEP), `the handshake body must be one packet, got ${show(response.body)}`);
      checkHandshake(parseOpenPacket(response.body), ["websocket"], "polling handshake");
    });

    it(`polling: rejects a missing or invalid EIO with 400 (${path})`, T, async () => {
      assertStatus(await request(path, "transport=polling"), 400, "no EIO");
      assertStatus(await request(path, "EIO=abc&transport=polling"), 400, "EIO=abc");
    });

    it(`polling: rejects a missing or invalid transport with 400 (${path})`, T, async () => {
      assertStatus(await request(path, "EIO=4"), 400, "no transport");
      assertStatus(await request(path, "EIO=4&transport=abc"), 400, "transport=abc");
    });

    it(`polling: rejects a handshake made with POST or PUT with 400 (${path})`, T, async () => {
      assertStatus(await request(path, "EIO=4&transport=polling", { method: "POST" }), 400, "POST handshake");
      assertStatus(await request(path, "EIO=4&transport=polling", { method: "PUT" }), 400, "PUT handshake");
    });

    it(`websocket: opens a session with the expected open packet (${path})`, T, async (t) => {
      const { client, handshake } = await openWebSocket(path);
      track(t, client);
      checkHandshake(handshake, [], "WebSocket handshake");
    });

    it(`websocket: refuses a missing or invalid EIO (${path})`, T, async () => {
      await expectWebSocketRefused(wsUrl(path, "transport=websocket"));
      await expectWebSocketRefused(wsUrl(path, "EIO=abc&transport=websocket"));
    });

    it(`websocket: refuses a missing or invalid transport (${path})`, T, async () => {
      await expectWebSocketRefused(wsUrl(path, "EIO=4"));
      await expectWebSocketRefused(wsUrl(path, "EIO=4&transport=abc"));
    });
  });

  describe(`Engine.IO heartbeat at ${path}`, () => {
    it(`polling: the server pings and accepts pongs, three times (${path})`, T, async () => {
      const { sid } = await openPolling(path);
      for (let round = 1; round <= 3; round++) {
        const ping = await withTimeout(poll(path, sid), EVENT_TIMEOUT, `ping poll ${round}`);
        assertStatus(ping, 200, `poll ${round}`);
        assert.equal(ping.body, "2", `poll ${round} must bring exactly a ping "2"`);
        const pong = await push(path, sid, "3");
        assertStatus(pong, 200, `pong POST ${round}`);
      }
    });

    it(`polling: closes the session upon ping timeout (${path})`, T, async () => {
      const { sid } = await openPolling(path);
      // Keep polling without ever answering the ping; the session must end (a GET gets 400).
      const deadline = Date.now() + PING_INTERVAL + PING_TIMEOUT + EVENT_TIMEOUT;
      for (;;) {
        assert.ok(Date.now() < deadline, "the session was still open long after the ping timeout");
        const response = await withTimeout(poll(path, sid), EVENT_TIMEOUT, "a poll while timing out");
        if (response.status === 400) break;
        if (response.status === 0) continue; // the server may drop a parked poll when it ends the session
        assertStatus(response, 200, "a poll before the timeout");
        for (const packet of decodePayload(response.body)) {
          assert.ok(
            ["2", "1", "6"].includes(packet.type) && !packet.binary,
            `only ping/close/noop may come before the timeout, got ${show(response.body)}`,
          );
        }
      }
    });

    it(`websocket: the server pings and accepts pongs, three times (${path})`, T, async (t) => {
      const { client } = await openWebSocket(path);
      track(t, client);
      for (let round = 1; round <= 3; round++) {
        const ping = await client.nextText({ what: `ping ${round}` });
        assert.equal(ping, "2", `frame ${round} after the handshake must be a ping`);
        client.send("3");
      }
    });

    it(`websocket: closes the session upon ping timeout (${path})`, T, async (t) => {
      const { client } = await openWebSocket(path);
      track(t, client);
      await client.waitClose(PING_INTERVAL + PING_TIMEOUT + EVENT_TIMEOUT, "the ping timeout to close the WebSocket");
    });
  });

  describe(`Engine.IO close at ${path}`, () => {
    it(`polling: a close packet ends the session and releases the parked poll with a noop (${path})`, T, async () => {
      await retryOnPingRace(async () => {
        const { sid } = await openPolling(path);
        const { pending } = await parkPoll(path, sid);
        const close = await push(path, sid, "1");
        assertStatus(close, 200, 'POST "1"');
        const parked = await withTimeout(pending, EVENT_TIMEOUT, "the parked poll to be released");
        if (parked.status === 200 && parked.body === "2") throw new PingRace();
        assertStatus(parked, 200, "the parked poll");
        assert.equal(parked.body, "6", `the parked poll must be released with a noop "6"`);
        await assertSessionGone(path, sid, "after the close packet");
      });
    });

    it(`websocket: a close packet makes the server close the WebSocket (${path})`, T, async (t) => {
      const { client } = await openWebSocket(path);
      track(t, client);
      client.send("1");
      await client.waitClose();
    });
  });

  describe(`Engine.IO upgrade at ${path}`, () => {
    it(`upgrades from polling to WebSocket (${path})`, T, async (t) => {
      const { sid } = await openPolling(path);
      const client = track(t, await WsClient.connect(wsUrl(path, { EIO: 4, transport: "websocket", sid })));
      client.send("2probe");
      const probe = await client.nextText({ what: 'the "3probe" answer' });
      assert.equal(probe, "3probe");
      if (path === EIO_PATH) {
        const released = await withTimeout(poll(path, sid), EVENT_TIMEOUT, "a poll during the upgrade");
        assertStatus(released, 200, "a poll during the upgrade");
        assert.equal(released.body, "6", "a poll during the upgrade must get a noop");
      }
      client.send("5");
      client.autoPong = true;
      await syncUpgraded(client, path);
      await assertWebSocketAlive(client, path);
    });

    it(`refuses polling requests with the sid after the upgrade (${path})`, T, async (t) => {
      const { sid } = await openPolling(path);
      const client = await upgradeToWebSocket(t, path, sid);
      await syncUpgraded(client, path);
      assertStatus(await poll(path, sid), 400, "a GET on an upgraded session");
      await assertWebSocketAlive(client, path);
    });

    it(`closes a second WebSocket with the sid after the upgrade (${path})`, T, async (t) => {
      const { sid } = await openPolling(path);
      const client = await upgradeToWebSocket(t, path, sid);
      await syncUpgraded(client, path);
      await expectAcceptedThenClosed(wsUrl(path, { EIO: 4, transport: "websocket", sid }), "a second WebSocket after the upgrade");
      await assertWebSocketAlive(client, path);
    });

    it(`[ref] refuses a WebSocket with the sid but another protocol version with 400 (${path})`, T, async () => {
      const { sid } = await openPolling(path);
      for (const query of [{ transport: "websocket", sid }, { EIO: 3, transport: "websocket", sid }]) {
        const outcome = await expectWebSocketRefused(wsUrl(path, query));
        assert.equal(outcome.refused, "http", `${JSON.stringify(query)}: refused before the upgrade; got ${JSON.stringify(outcome)}`);
        assert.equal(outcome.status, 400, `${JSON.stringify(query)}: HTTP status`);
      }
    });

    it(`[ref] closes a second WebSocket that arrives while an upgrade is in progress (${path})`, T, async (t) => {
      const { sid } = await openPolling(path);
      const first = track(t, await WsClient.connect(wsUrl(path, { EIO: 4, transport: "websocket", sid })));
      first.send("2probe");
      assert.equal(await first.nextText({ what: 'the "3probe" answer' }), "3probe");
      await expectAcceptedThenClosed(wsUrl(path, { EIO: 4, transport: "websocket", sid }), "a second WebSocket during the upgrade");
      first.send("5");
      first.autoPong = true;
      await syncUpgraded(first, path);
      await assertWebSocketAlive(first, path);
    });

    it(`[ref] a probe that never sends "5" is closed at upgradeTimeout, and polling goes on (${path})`, T, async (t) => {
      const { sid } = await openPolling(path);
      if (path === SIO_PATH) {
        // Joined, or connectTimeout would end the session as the probe waits.
        assertStatus(await push(path, sid, "40"), 200, 'POST "40"');
        const packets = [];
        while (packets.length < 2) packets.push(...(await pollSkippingPings(path, sid)));
      }
      const started = Date.now();
      const probe = track(t, await WsClient.connect(wsUrl(path, { EIO: 4, transport: "websocket", sid })));
      probe.send("2probe");
      assert.equal(await probe.nextText({ what: 'the "3probe" answer' }), "3probe");
      // Meanwhile the session lives on polling: its pings come there and are answered.
      const polling = (async () => {
        while (!probe.closed) {
          const response = await poll(path, sid);
          assertStatus(response, 200, "a poll while the probe waits");
          if (decodePayload(response.body).some((p) => p.type === "2" && !p.binary)) {
            assertStatus(await push(path, sid, "3"), 200, "a pong while the probe waits");
          }
          await delay(20);
        }
      })();
      polling.catch(() => {});
      const closed = await probe.waitClose(UPGRADE_TIMEOUT + SECOND_WS_CLOSE_MS, "upgradeTimeout to close the probe");
      const elapsed = Date.now() - started;
      await polling;
      assert.equal(closed.code, 1005, `the probe must get an empty close frame (1005), got ${closed.code}`);
      assert.ok(elapsed >= UPGRADE_TIMEOUT * 0.75, `closed after ${elapsed} ms: too early for upgradeTimeout (${UPGRADE_TIMEOUT} ms)`);
      const [packet, expected] =
        path === EIO_PATH ? ["4still here", "4still here"] : ['42["message","still here"]', '42["message-back","still here"]'];
      assertStatus(await push(path, sid, packet), 200, "a POST after the probe was closed");
      const [back] = await pollSkippingPings(path, sid);
      assert.equal(`${back.type}${back.data}`, expected, "the session answers over polling after the probe was closed");
    });

    it(`[ref] a second WebSocket of a WebSocket session waits upgradeTimeout, then is closed (${path})`, T, async (t) => {
      const { client, sid } = await openLiveWebSocket(t, path);
      const url = wsUrl(path, { EIO: 4, transport: "websocket", sid });
      const started = Date.now();
      const second = track(t, await WsClient.connect(url, { autoPong: true }));
      // While the second one may still upgrade, a third is closed at once.
      await expectAcceptedThenClosed(url, "a third WebSocket while the second may upgrade");
      const closed = await second.waitClose(SECOND_WS_CLOSE_MS, "upgradeTimeout to close the second WebSocket");
      const elapsed = Date.now() - started;
      assert.equal(closed.code, 1005, `the second WebSocket must get an empty close frame (1005), got ${closed.code}`);
      assert.ok(elapsed >= UPGRADE_TIMEOUT * 0.75, `closed after ${elapsed} ms: too early for upgradeTimeout (${UPGRADE_TIMEOUT} ms)`);
      assert.deepEqual(second.pending(), [], "nothing may come on the second WebSocket");
      await assertWebSocketAlive(client, path);
    });

    it(`[ref] a second WebSocket of a WebSocket session that sends a message is closed at once (${path})`, T, async (t) => {
      const { client, sid } = await openLiveWebSocket(t, path);
      const second = track(t, await WsClient.connect(wsUrl(path, { EIO: 4, transport: "websocket", sid }), { autoPong: true }));
      const started = Date.now();
      second.send(path === EIO_PATH ? "4from the second" : '42["message","from the second"]');
      const closed = await second.waitClose(SECOND_WS_CLOSE_MS, "the server to close the second WebSocket");
      const elapsed = Date.now() - started;
      assert.equal(closed.code, 1005, `an empty close frame (1005), got ${closed.code}`);
      assert.ok(elapsed < UPGRADE_TIMEOUT, `closed after ${elapsed} ms: a non-upgrade packet closes at once, not at upgradeTimeout`);
      // The packet was not taken for the session's: the next answer on the first is to its own.
      await assertWebSocketAlive(client, path);
    });

    it(`[ref] a second WebSocket that probes and upgrades takes over a WebSocket session (${path})`, T, async (t) => {
      const { client, sid } = await openLiveWebSocket(t, path);
      const second = await upgradeToWebSocket(t, path, sid);
      const closed = await client.waitClose(SECOND_WS_CLOSE_MS, "the upgrade to close the first WebSocket");
      assert.equal(closed.code, 1005, `the replaced WebSocket must get an empty close frame (1005), got ${closed.code}`);
      await assertWebSocketAlive(second, path);
    });
  });
}

describe("Engine.IO messages over polling (/engine.io/ echo)", () => {
  it("echoes a payload holding one text packet", T, async () => {
    const { sid } = await openPolling(EIO_PATH);
    const pushed = await push(EIO_PATH, sid, "4hello");
    assertStatus(pushed, 200, "POST 4hello");
    assert.equal(pushed.body, "ok", 'a POST must be answered "ok"');
    const polled = await poll(EIO_PATH, sid);
    assertStatus(polled, 200, "GET");
    assert.equal(polled.body, "4hello");
  });

  it("echoes a payload holding several text packets in one poll", T, async () => {
    const { sid } = await openPolling(EIO_PATH);
    const body = ["4test1", "4test2", "4test3"].join(SEP);
    const pushed = await push(EIO_PATH, sid, body);
    assertStatus(pushed, 200, "POST three packets");
    assert.equal(pushed.body, "ok");
    const polled = await poll(EIO_PATH, sid);
    assertStatus(polled, 200, "GET");
    assert.equal(polled.body, body, "all three packets must come back, in order, in one payload");
  });

  it("echoes a payload mixing text and base64 binary packets", T, async () => {
    const { sid } = await openPolling(EIO_PATH);
    const body = `4hello${SEP}bAQIDBA==`;
    const pushed = await push(EIO_PATH, sid, body);
    assertStatus(pushed, 200, "POST text + binary");
    assert.equal(pushed.body, "ok");
    const polled = await poll(EIO_PATH, sid);
    assertStatus(polled, 200, "GET");
    assert.equal(polled.body, body, "the binary packet must come back as b + base64");
  });

  it("closes the session upon an invalid packet", T, async () => {
    const { sid } = await openPolling(EIO_PATH);
    // The official suite means to require 400 here but never enforces it; only the aftermath counts.
    await push(EIO_PATH, sid, "abc");
    await assertSessionGone(EIO_PATH, sid, 'after POST "abc"');
  });

  it("closes the session upon a duplicate poll", T, async () => {
    await retryOnPingRace(async () => {
      const { sid } = await openPolling(EIO_PATH);
      const { pending } = await parkPoll(EIO_PATH, sid);
      const second = await poll(EIO_PATH, sid, { extra: { t: "burst" } });
      const first = await withTimeout(pending, EVENT_TIMEOUT, "the first poll to be released");
      if (first.status === 200 && first.body === "2") throw new PingRace();
      assertStatus(first, 200, "the first (parked) poll");
      assert.equal(first.body, "1", 'the first poll must be answered with a close packet "1"');
      assertStatus(second, [400, 500], "the duplicate poll");
      await assertSessionGone(EIO_PATH, sid, "after the duplicate poll");
    });
  });
});

describe("Engine.IO messages over WebSocket (/engine.io/ echo)", () => {
  it("echoes a text packet", T, async (t) => {
    const { client } = await openWebSocket(EIO_PATH, { autoPong: true });
    track(t, client);
    client.send("4hello");
    assert.equal(await client.nextText({ what: "the echo" }), "4hello");
  });

  it("echoes a binary packet as raw bytes", T, async (t) => {
    const { client } = await openWebSocket(EIO_PATH, { autoPong: true });
    track(t, client);
    client.sendBinary([1, 2, 3, 4]);
    const frame = await client.next({ what: "the binary echo" });
    assert.equal(frame.binary, true, `the echo of a binary frame must be binary, got ${show(frame.data)}`);
    assert.deepEqual([...frame.data], [1, 2, 3, 4]);
  });

  it("closes the session upon an invalid packet", T, async (t) => {
    const { client } = await openWebSocket(EIO_PATH);
    track(t, client);
    client.send("abc");
    await client.waitClose();
  });
});

// ===============================================================================================
// Socket.IO over a raw WebSocket at /socket.io/.

describe("Socket.IO connect", () => {
  async function connectFrames(t, connectPacket) {
    const { client } = await openWebSocket(SIO_PATH, { autoPong: true });
    track(t, client);
    client.send(connectPacket);
    const connect = await client.nextText({ what: "the CONNECT reply" });
    const auth = await client.nextText({ what: 'the "auth" event' });
    return { client, connect, auth };
  }

  function checkConnectReply(frame, prefix) {
    assert.ok(frame.startsWith(prefix), `CONNECT reply must start with ${show(prefix)}, got ${show(frame)}`);
    const payload = JSON.parse(frame.slice(prefix.length));
    assert.deepEqual(Object.keys(payload), ["sid"], `CONNECT reply payload must be {"sid":…}, got ${show(frame)}`);
    assert.equal(typeof payload.sid, "string");
  }

  it("connects to the main namespace", T, async (t) => {
    const { connect, auth } = await connectFrames(t, "40");
    checkConnectReply(connect, "40");
    assert.equal(auth, '42["auth",{}]');
  });

  it("connects to the main namespace with an auth payload", T, async (t) => {
    const { connect, auth } = await connectFrames(t, '40{"token":"123"}');
    checkConnectReply(connect, "40");
    assert.equal(auth, '42["auth",{"token":"123"}]');
  });

  it("connects to a custom namespace", T, async (t) => {
    const { connect, auth } = await connectFrames(t, "40/custom,");
    checkConnectReply(connect, "40/custom,");
    assert.equal(auth, '42/custom,["auth",{}]');
  });

  it("connects to a custom namespace with an auth payload", T, async (t) => {
    const { connect, auth } = await connectFrames(t, '40/custom,{"token":"abc"}');
    checkConnectReply(connect, "40/custom,");
    assert.equal(auth, '42/custom,["auth",{"token":"abc"}]');
  });

  it("refuses an unknown namespace with CONNECT_ERROR", T, async (t) => {
    const { client } = await openWebSocket(SIO_PATH, { autoPong: true });
    track(t, client);
    client.send("40/random");
    assert.equal(
      await client.nextText({ what: "the CONNECT_ERROR" }),
      '44/random,{"message":"Invalid namespace"}',
    );
  });

  it("closes the connection upon an invalid handshake", T, async (t) => {
    const { client } = await openWebSocket(SIO_PATH, { autoPong: true });
    track(t, client);
    client.send("4abc");
    await client.waitClose();
  });

  it("closes the connection if no handshake is received", T, async (t) => {
    const { client } = await openWebSocket(SIO_PATH);
    track(t, client);
    await client.waitClose();
  });
});

describe("Socket.IO disconnect", () => {
  it("stays connected at the Engine.IO level after leaving the main namespace", T, async (t) => {
    const { client } = await openSocketIO();
    track(t, client);
    client.send("41");
    // Nothing answers "41", and the connection stays up: only pings follow.
    for (let round = 1; round <= 2; round++) {
      const frame = await client.nextText({ what: `ping ${round} after "41"` });
      assert.equal(frame, "2", `after "41" only pings may come, got ${show(frame)}`);
      client.send("3");
    }
    assert.equal(client.closed, null, 'the connection must not be closed after "41"');
  });

  it("connects then disconnects a custom namespace, leaving the main one working", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send("40/custom");
    const connect = await client.nextText({ skipPings: true, what: "the /custom CONNECT reply" });
    assert.match(connect, /^40\/custom,\{"sid":"[^"]+"\}$/);
    assert.equal(await client.nextText({ skipPings: true, what: 'the /custom "auth"' }), '42/custom,["auth",{}]');
    client.send("41/custom");
    client.send('42["message","message to main namespace"]');
    assert.equal(
      await client.nextText({ skipPings: true, what: "message-back on the main namespace" }),
      '42["message-back","message to main namespace"]',
    );
  });
});

describe("Socket.IO messages", () => {
  const PLACEHOLDERS = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}';

  async function expectBinary(client, bytes, what) {
    const frame = await client.next({ skipPings: true, what });
    assert.equal(frame.binary, true, `${what} must be a binary frame, got ${show(frame.data)}`);
    assert.deepEqual([...frame.data], bytes, what);
  }

  it("answers a plain event with message-back", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send('42["message",1,"2",{"3":[true]}]');
    assert.equal(
      await client.nextText({ skipPings: true, what: "message-back" }),
      '42["message-back",1,"2",{"3":[true]}]',
    );
  });

  it("answers an event with binary attachments with message-back and the same attachments", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send(`452-["message",${PLACEHOLDERS}]`);
    client.sendBinary([1, 2, 3]);
    client.sendBinary([4, 5, 6]);
    assert.equal(
      await client.nextText({ skipPings: true, what: "the binary message-back header" }),
      `452-["message-back",${PLACEHOLDERS}]`,
    );
    await expectBinary(client, [1, 2, 3], "attachment 0");
    await expectBinary(client, [4, 5, 6], "attachment 1");
  });

  it("acknowledges an event with its arguments", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await client.nextText({ skipPings: true, what: "the ACK" }), '43456[1,"2",{"3":[false]}]');
  });

  it("acknowledges an event with binary attachments with a binary ack", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send(`452-789["message-with-ack",${PLACEHOLDERS}]`);
    client.sendBinary([1, 2, 3]);
    client.sendBinary([4, 5, 6]);
    assert.equal(
      await client.nextText({ skipPings: true, what: "the BINARY_ACK header" }),
      `462-789[${PLACEHOLDERS}]`,
    );
    await expectBinary(client, [1, 2, 3], "ack attachment 0");
    await expectBinary(client, [4, 5, 6], "ack attachment 1");
  });

  it("closes the connection upon an unknown packet type", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send("4abc");
    await client.waitClose();
  });

  it("closes the connection upon an event whose payload is not an array", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send("42{}");
    await client.waitClose();
  });

  it("closes the connection upon an invalid ack id", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send('42abc["message-with-ack",1,"2",{"3":[false]}]');
    await client.waitClose();
  });
});

// ===============================================================================================
// [ref] Behaviour of the reference server that the official suites do not assert.

async function expectError(response, status, code, message, what) {
  assertStatus(response, status, what);
  assert.equal(
    normalizedContentType(response.headers),
    "application/json",
    `${what}: error answers are JSON (Content-Type ${response.headers.get("content-type")})`,
  );
  let body;
  try {
    body = JSON.parse(response.body);
  } catch {
    assert.fail(`${what}: the error body must be JSON, got ${show(response.body)}`);
  }
  assert.deepEqual(body, { code, message }, `${what}: error body`);
}

describe("[ref] Engine.IO error answers", () => {
  it("[ref] unsupported protocol version is code 5", T, async () => {
    for (const query of ["transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling"]) {
      await expectError(await request(EIO_PATH, query), 400, 5, "Unsupported protocol version", query);
    }
  });

  it("[ref] unknown transport is code 0", T, async () => {
    for (const query of ["EIO=4", "EIO=4&transport=abc"]) {
      await expectError(await request(EIO_PATH, query), 400, 0, "Transport unknown", query);
    }
  });

  it("[ref] a handshake with another method than GET is code 2", T, async () => {
    for (const method of ["POST", "PUT"]) {
      await expectError(
        await request(EIO_PATH, "EIO=4&transport=polling", { method }),
        400,
        2,
        "Bad handshake method",
        `${method} handshake`,
      );
    }
  });

  it("[ref] an unknown sid is code 1", T, async () => {
    await expectError(await poll(EIO_PATH, "no-such-session"), 400, 1, "Session ID unknown", "GET unknown sid");
    await expectError(await push(EIO_PATH, "no-such-session", "4x"), 400, 1, "Session ID unknown", "POST unknown sid");
  });

  it("[ref] a request with another transport than the session's is code 3", T, async () => {
    const { sid } = await openPolling(EIO_PATH);
    await expectError(
      await request(EIO_PATH, { EIO: 4, transport: "websocket", sid }, { method: "POST", body: "4x" }),
      400,
      3,
      "Bad request",
      "POST transport=websocket on a polling session",
    );
  });

  it("[ref] a plain HTTP GET for transport=websocket is code 3", T, async () => {
    await expectError(await request(EIO_PATH, "EIO=4&transport=websocket"), 400, 3, "Bad request", "plain GET transport=websocket");
  });

  it("[ref] a polling request on an upgraded session is code 3", T, async (t) => {
    const { sid } = await openPolling(EIO_PATH);
    const client = await upgradeToWebSocket(t, EIO_PATH, sid);
    await syncUpgraded(client, EIO_PATH);
    await expectError(await poll(EIO_PATH, sid), 400, 3, "Bad request", "GET on an upgraded session");
  });
});

describe("[ref] Engine.IO headers", () => {
  it("[ref] polling GETs are text/plain; charset=UTF-8 and POSTs are answered text/html", T, async () => {
    const handshake = await request(EIO_PATH, { EIO: 4, transport: "polling" });
    assertStatus(handshake, 200, "handshake");
    assert.equal(normalizedContentType(handshake.headers), "text/plain;charset=utf-8", "handshake Content-Type");
    const { sid } = parseOpenPacket(handshake.body);
    const pushed = await push(EIO_PATH, sid, "4hello");
    assertStatus(pushed, 200, "POST");
    assert.equal(normalizedContentType(pushed.headers), "text/html", "POST answer Content-Type");
    const polled = await poll(EIO_PATH, sid);
    assertStatus(polled, 200, "GET");
    assert.equal(normalizedContentType(polled.headers), "text/plain;charset=utf-8", "GET Content-Type");
  });

  it("[ref] HTTP connections stay usable, or are closed with Connection: close", T, async () => {
    const { responses, closed } = await getOverOneConnection(`${EIO_PATH}?EIO=4&transport=polling`, 2);
    assert.ok(responses.length >= 1, "the handshake over a raw connection got no answer");
    for (const response of responses) assert.equal(response.status, 200, "handshake over a raw connection");
    if (closed) {
      const last = responses[responses.length - 1];
      assert.match(
        last.headers.connection ?? "",
        /close/i,
        "the server ended the connection after a response that did not say `Connection: close`; " +
          "keep-alive clients (fetch, browsers, socket.io-client) then reuse a dead socket and fail at random",
      );
    }
  });

  it("[ref] polling answers allow any origin (CORS)", T, async () => {
    const origin = { Origin: "http://example.test" };
    const handshake = await request(EIO_PATH, { EIO: 4, transport: "polling" }, { headers: origin });
    assertStatus(handshake, 200, "handshake with an Origin");
    assert.equal(handshake.headers.get("access-control-allow-origin"), "*", "handshake Access-Control-Allow-Origin");
    const { sid } = parseOpenPacket(handshake.body);
    const pushed = await push(EIO_PATH, sid, "4hello", { headers: origin });
    assertStatus(pushed, 200, "POST with an Origin");
    assert.equal(pushed.headers.get("access-control-allow-origin"), "*", "POST Access-Control-Allow-Origin");
    const polled = await request(EIO_PATH, { EIO: 4, transport: "polling", sid }, { headers: origin });
    assertStatus(polled, 200, "GET with an Origin");
    assert.equal(polled.headers.get("access-control-allow-origin"), "*", "GET Access-Control-Allow-Origin");
  });

  it("[ref] a CORS preflight is answered", T, async () => {
    const preflight = await request(EIO_PATH, { EIO: 4, transport: "polling" }, {
      method: "OPTIONS",
      headers: {
        Origin: "http://example.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      },
    });
    assertStatus(preflight, [200, 204], "OPTIONS preflight");
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*", "preflight Access-Control-Allow-Origin");
    const methods = (preflight.headers.get("access-control-allow-methods") ?? "").toUpperCase();
    assert.ok(methods.includes("GET") && methods.includes("POST"), `preflight must allow GET and POST, got ${show(methods)}`);
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    assert.ok(allowed === "*" || allowed.includes("content-type"), `preflight must allow content-type, got ${show(allowed)}`);
  });
});

describe("[ref] Engine.IO payloads", () => {
  it("[ref] echoes multi-byte UTF-8 text unchanged over polling and WebSocket", T, async (t) => {
    const text = "4héllo €亜Б 😀";
    const { sid } = await openPolling(EIO_PATH);
    assertStatus(await push(EIO_PATH, sid, text), 200, "POST UTF-8");
    const polled = await poll(EIO_PATH, sid);
    assertStatus(polled, 200, "GET");
    assert.equal(polled.body, text, "polling echo of UTF-8 text");
    const { client } = await openWebSocket(EIO_PATH, { autoPong: true });
    track(t, client);
    client.send(text);
    assert.equal(await client.nextText({ what: "WebSocket echo of UTF-8 text" }), text);
  });

  it("[ref] refuses a POST larger than maxPayload with 413", T, async () => {
    const { sid } = await openPolling(EIO_PATH);
    const response = await push(EIO_PATH, sid, `4${"x".repeat(MAX_PAYLOAD)}`);
    assertStatus(response, 413, "a POST of maxPayload + 1 bytes");
  });

  it("[ref] closes a WebSocket that sends a frame larger than maxPayload", T, async (t) => {
    const { client } = await openWebSocket(EIO_PATH, { autoPong: true });
    track(t, client);
    client.send(`4${"x".repeat(MAX_PAYLOAD + 16)}`);
    const closed = await client.waitClose(EVENT_TIMEOUT, "the server to close after an oversized frame");
    assert.ok([1009, 1000, 1005, 1006].includes(closed.code), `unexpected close code ${closed.code}`);
  });
});

describe("[ref] Socket.IO details", () => {
  it("[ref] connectTimeout closes a session that answers pings but joins no namespace", T, async (t) => {
    const { client } = await openWebSocket(SIO_PATH, { autoPong: true });
    track(t, client);
    const started = Date.now();
    await client.waitClose(1000 + EVENT_TIMEOUT, "connectTimeout to close the session");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 750, `closed after ${elapsed} ms: too early for connectTimeout (1000 ms), pings were answered`);
    assert.ok((client.pings ?? 0) >= 1, "the server should have pinged before connectTimeout");
  });

  it("[ref] a refused namespace leaves the connection usable", T, async (t) => {
    const { client } = await openWebSocket(SIO_PATH, { autoPong: true });
    track(t, client);
    client.send("40/random");
    assert.equal(await client.nextText({ what: "CONNECT_ERROR" }), '44/random,{"message":"Invalid namespace"}');
    client.send("40");
    assert.match(await client.nextText({ what: "CONNECT reply" }), /^40\{"sid":"[^"]+"\}$/);
    assert.equal(await client.nextText({ what: "auth" }), '42["auth",{}]');
  });

  it("[ref] connects over raw polling", T, async () => {
    const { sid } = await openPolling(SIO_PATH);
    assertStatus(await push(SIO_PATH, sid, "40"), 200, 'POST "40"');
    const packets = [];
    while (packets.length < 2) packets.push(...(await pollSkippingPings(SIO_PATH, sid)));
    const [connect, auth] = packets.map((p) => `${p.type}${p.data}`);
    assert.match(connect, /^40\{"sid":"[^"]+"\}$/, "CONNECT reply over polling");
    assert.equal(auth, '42["auth",{}]', "auth event over polling");
    assertStatus(await push(SIO_PATH, sid, '42["message","over polling"]'), 200, "POST event");
    const [back] = await pollSkippingPings(SIO_PATH, sid);
    assert.equal(`${back.type}${back.data}`, '42["message-back","over polling"]');
  });
});

describe("[ref] Socket.IO invalid state", () => {
  // The reference (socket.io's Client.ondecoded) closes the whole Engine.IO connection upon a
  // packet that does not fit the namespaces joined, and sends nothing first (no DISCONNECT).
  async function expectConnectionClosed(client, what) {
    await client.waitClose(SECOND_WS_CLOSE_MS, `the server to close the connection upon ${what}`);
    assert.deepEqual(client.pending(), [], `${what}: nothing may come before the close`);
  }

  const cases = [
    ["an EVENT for a namespace not joined", ['42/custom,["message","x"]']],
    ["an ACK for a namespace not joined", ["43/custom,1[]"]],
    ["a second CONNECT to the main namespace", ["40"]],
    ["a DISCONNECT for a namespace not joined", ["41/custom,"]],
    ["a second DISCONNECT of the main namespace", ["41", "41"]],
    ["an EVENT after leaving the main namespace", ["41", '42["message","x"]']],
    ["a CONNECT_ERROR from the client", ['44{"message":"x"}']],
  ];
  for (const [what, packets] of cases) {
    it(`[ref] closes the connection upon ${what}`, T, async (t) => {
      const { client } = await openSocketIO({ autoPong: true });
      track(t, client);
      for (const [i, packet] of packets.entries()) {
        // The reference handles a packet for a joined namespace on the next tick: one sent in the
        // same read as the DISCONNECT before it still finds the namespace joined.
        if (i > 0) await delay(50);
        client.send(packet);
      }
      await expectConnectionClosed(client, what);
    });
  }

  it("[ref] closes the connection upon an EVENT for a namespace whose CONNECT was refused", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send("40/random,");
    assert.equal(await client.nextText({ skipPings: true, what: "the CONNECT_ERROR" }), '44/random,{"message":"Invalid namespace"}');
    client.send('42/random,["message","x"]');
    await expectConnectionClosed(client, "an EVENT for /random");
  });

  it("[ref] closes the connection upon a second CONNECT to a custom namespace", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send("40/custom,");
    assert.match(await client.nextText({ skipPings: true, what: "the /custom CONNECT reply" }), /^40\/custom,\{"sid":"[^"]+"\}$/);
    assert.equal(await client.nextText({ skipPings: true, what: 'the /custom "auth"' }), '42/custom,["auth",{}]');
    client.send("40/custom,");
    await expectConnectionClosed(client, "a second CONNECT to /custom");
  });

  it("[ref] closes the connection upon a binary EVENT for a namespace not joined, once its attachment is in", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send('451-/custom,["message",{"_placeholder":true,"num":0}]');
    client.sendBinary([1, 2, 3]);
    await expectConnectionClosed(client, "a binary EVENT for /custom");
  });

  it("[ref] an ACK with an unknown id on a joined namespace is ignored", T, async (t) => {
    const { client } = await openSocketIO({ autoPong: true });
    track(t, client);
    client.send("435[]");
    await assertWebSocketAlive(client, SIO_PATH);
  });
});

// ===============================================================================================
// [client] The real socket.io-client 4.8.1 against the conformance server.

function connectClient(t, nsp, options) {
  const socket = io(`${baseUrl()}${nsp}`, {
    forceNew: true,
    reconnection: false,
    timeout: EVENT_TIMEOUT,
    ...options,
  });
  t.after(() => socket.disconnect());
  return socket;
}

function once(emitter, event, what) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), EVENT_TIMEOUT, what);
}

async function connected(socket, what) {
  const result = await withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (error) => reject(new Error(`${what}: connect_error ${error.message}`)));
    }),
    EVENT_TIMEOUT,
    what,
  );
  return result;
}

function bytes(value) {
  if (value instanceof ArrayBuffer) return [...new Uint8Array(value)];
  return [...value];
}

async function roundTrip(socket) {
  const back = once(socket, "message-back", "message-back");
  socket.emit("message", 1, "two", { three: [true] }, Buffer.from([1, 2, 3]));
  const [a, b, c, d] = await back;
  assert.deepEqual([a, b, c], [1, "two", { three: [true] }]);
  assert.deepEqual(bytes(d), [1, 2, 3], "binary argument of message-back");

  const acked = await withTimeout(
    new Promise((resolve) => socket.emit("message-with-ack", "x", Buffer.from([9, 8]), (...args) => resolve(args))),
    EVENT_TIMEOUT,
    "the ack of message-with-ack",
  );
  assert.equal(acked[0], "x");
  assert.deepEqual(bytes(acked[1]), [9, 8], "binary argument of the ack");
}

describe("[client] socket.io-client 4.8.1", () => {
  it("[client] websocket only: connects, gets auth, round-trips events and acks", T, async (t) => {
    const socket = connectClient(t, "/", { transports: ["websocket"], auth: { token: "ws" } });
    const auth = once(socket, "auth", "auth event");
    await connected(socket, "websocket connect");
    assert.deepEqual((await auth)[0], { token: "ws" });
    await roundTrip(socket);
  });

  it("[client] polling only: connects, gets auth, round-trips events and acks", T, async (t) => {
    const socket = connectClient(t, "/", { transports: ["polling"] });
    const auth = once(socket, "auth", "auth event");
    await connected(socket, "polling connect");
    assert.deepEqual((await auth)[0], {});
    await roundTrip(socket);
  });

  it("[client] default transports: upgrades from polling to websocket", T, async (t) => {
    const socket = connectClient(t, "/", {});
    const upgraded = new Promise((resolve) => {
      socket.io.once("open", () => socket.io.engine.once("upgrade", (transport) => resolve(transport.name)));
    });
    await connected(socket, "default connect");
    assert.equal(await withTimeout(upgraded, EVENT_TIMEOUT, "the upgrade"), "websocket");
    await roundTrip(socket);
  });

  it("[client] custom namespace receives its auth", T, async (t) => {
    const socket = connectClient(t, "/custom", { auth: { token: "abc" } });
    const auth = once(socket, "auth", "auth event on /custom");
    await connected(socket, "/custom connect");
    assert.deepEqual((await auth)[0], { token: "abc" });
  });

  it("[client] unknown namespace fails with Invalid namespace", T, async (t) => {
    const socket = connectClient(t, "/random", { transports: ["websocket"] });
    const [error] = await once(socket, "connect_error", "connect_error on /random");
    assert.equal(error.message, "Invalid namespace");
  });
});
