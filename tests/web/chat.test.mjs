// The web client in a real browser (Debian's chromium through playwright-core), against a
// `serve --dev-login` that tests/integration/browser_test.cpp starts: PARKCHAT_URL names it,
// PARKCHAT_ARTIFACTS a folder for screenshots. Each journey is a test of its own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const url = process.env.PARKCHAT_URL;
const artifacts = process.env.PARKCHAT_ARTIFACTS || '/tmp';
const base = 500000 + Math.floor(Math.random() * 100000) * 10;
let browser;

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
});

// A browser context signed in as `userId` through the page's "sign in as" form. With `cuttable`,
// the page's Socket.IO traffic (WebSocket and long-polling) goes through routes that page.cut()
// breaks and page.mend() restores, while REST still works.
async function signedIn(userId, name, { locale = 'en-US', cuttable = false } = {}) {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  // The page's Content-Security-Policy refusing anything it does counts as an error too.
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/.test(m.text()) && page.errors.push(m.text()));
  // What the server's WebSocket frames said, watched without changing them.
  page.socketFrames = [];
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => page.socketFrames.push(String(frame.payload))));
  if (cuttable) {
    let cut = false;
    const sockets = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (cut) return ws.close();
      ws.connectToServer();
      sockets.push(ws);
    });
    await page.route(/\/socket\.io\//, (route) => (cut ? route.abort() : route.continue()));
    page.cut = async () => {
      cut = true;
      for (const ws of sockets.splice(0)) await ws.close().catch(() => {});
    };
    page.mend = () => {
      cut = false;
    };
  }
  await page.goto(url + '/');
  await page.locator('.dev-login input[name=userId]').fill(String(userId));
  await page.locator('.dev-login input[name=name]').fill(name);
  await page.locator('.dev-login button[type=submit]').click();
  await page.locator('.room-list').waitFor();
  return { context, page };
}

async function createDirect(page, otherId) {
  await page.locator('.room-list button.new').click();
  await page.locator('.new-room input[name=memberIds]').fill(String(otherId));
  await page.locator('.new-room button[type=submit]').click();
  await page.locator('.chat-room header h2').waitFor();
}

async function send(page, text) {
  await page.locator('.message-input textarea').fill(text);
  await page.locator('.message-input button[type=submit]').click();
}

const message = (page, text) => page.locator('.message .content', { hasText: text });

// A token for `userId` from the server's dev login, for what a test does beside the pages.
async function tokenFor(userId, name) {
  const response = await fetch(url + '/dev/token', { method: 'POST', body: JSON.stringify({ userId, name }) });
  return (await response.json()).data.token;
}
// A REST call; a RATE_LIMITED answer (a user's send budget) is waited out as it says.
async function api(token, method, path, body) {
  for (;;) {
    const response = await fetch(url + '/api/user/chat' + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const envelope = await response.json();
    if (envelope.success) return envelope.data;
    if (envelope.error?.code !== 'RATE_LIMITED') throw new Error(`${method} ${path}: ${JSON.stringify(envelope.error)}`);
    await new Promise((resolve) => setTimeout(resolve, envelope.error.retryAfterMs ?? 100));
  }
}

test('two users chat in a DIRECT room: typing, unread badge, read clears it', async () => {
  const ann = await signedIn(base + 1, 'Ann');
  const bob = await signedIn(base + 2, 'Bob');
  try {
    await createDirect(ann.page, base + 2);
    const roomId = /room=([0-9a-f-]+)/.exec(ann.page.url())[1];
    await send(ann.page, 'hello Bob');
    await message(ann.page, 'hello Bob').waitFor();
    await ann.page.locator('.message.mine[data-status=sent]').first().waitFor();
    assert.ok(ann.page.socketFrames.length > 0, 'the socket moved to WebSocket, which the page\'s policy allows');

    // Bob's list learns of the room live (a notification for a room his socket has not
    // joined), and of every later message, with its badge and its last message.
    const bobsRoom = bob.page.locator(`.room[data-room-id="${roomId}"]`);
    await bobsRoom.waitFor();
    await send(ann.page, 'are you there?');
    await bobsRoom.locator('.last', { hasText: 'are you there?' }).waitFor();
    await bobsRoom.locator('.badge').waitFor();

    await bobsRoom.locator('button').click();
    await message(bob.page, 'hello Bob').waitFor();
    await message(bob.page, 'are you there?').waitFor();
    await bob.page.locator('.divider').waitFor();  // before the first unread
    await bobsRoom.locator('.badge').waitFor({ state: 'detached' });

    // Live while the room is open, both ways.
    await send(ann.page, 'live now');
    await message(bob.page, 'live now').waitFor();

    // Typing reaches Ann, and expires once Bob stops.
    await bob.page.locator('.message-input textarea').pressSequentially('yes', { delay: 50 });
    await ann.page.locator('.typing', { hasText: 'Bob' }).waitFor();
    await ann.page.locator('.typing', { hasText: 'Bob' }).waitFor({ state: 'detached', timeout: 15000 });

    // Content is text, never HTML.
    const hostile = '<img src=x onerror=window.pwned=1>';
    await send(bob.page, hostile);
    await message(ann.page, hostile).waitFor();
    assert.equal(await ann.page.evaluate(() => window.pwned), undefined);
    assert.equal(await ann.page.locator('.messages img').count(), 0);
    await ann.page.screenshot({ path: `${artifacts}/chat-view.png`, fullPage: true });

    // The longest message the server takes (4,000 code points, emoji included: 2 UTF-16 units
    // each, counted once, as the server counts), and one word longer than the view: both shown
    // whole, wrapped inside the message.
    const longest = '😀'.repeat(2000) + 'a'.repeat(2000);
    assert.equal(longest.length, 6000, '6,000 UTF-16 units, 4,000 code points');
    await send(ann.page, longest);
    await message(bob.page, longest.slice(0, 100)).waitFor();
    assert.equal(await bob.page.locator('.message .content', { hasText: longest.slice(0, 100) }).innerText(), longest);
    const word = 'x'.repeat(600);
    await send(bob.page, word);
    const shown = ann.page.locator('.message .content', { hasText: word });
    await shown.waitFor();
    const fits = await shown.evaluate((e) => e.scrollWidth <= e.parentElement.clientWidth);
    assert.equal(fits, true, 'a long word wraps');
    assert.deepEqual([...ann.page.errors, ...bob.page.errors], []);
  } finally {
    await ann.context.close();
    await bob.context.close();
  }
});

test('a refused token shows a clear error', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url + '/#token=' + 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOjF9.forged');
    await page.locator('.sign-in .error').waitFor();
    assert.match(await page.locator('.sign-in .error').innerText(), /refused/);
  } finally {
    await context.close();
  }
});

test('Korean text renders with a CJK font', async () => {
  const { context, page } = await signedIn(base + 3, '김민수', { locale: 'ko-KR' });
  try {
    assert.match(await page.locator('.room-list h2').innerText(), /채팅방/);
    assert.equal(await page.evaluate(() => document.fonts.check('16px "Noto Sans CJK KR"', '채팅')), true);
  } finally {
    await context.close();
  }
});

test('a GROUP room made from the page, its history paged upwards', async () => {
  const cy = await signedIn(base + 4, 'Cy');
  try {
    await cy.page.locator('.room-list button.new').click();
    await cy.page.locator('.new-room input[value=GROUP]').check();
    await cy.page.locator('.new-room input[name=name]').fill('Sunday round');
    await cy.page.locator('.new-room input[name=memberIds]').fill(`${base + 5}, ${base + 6}`);
    await cy.page.locator('.new-room input[name=memberNames]').fill('Dee, Eve');
    await cy.page.locator('.new-room button[type=submit]').click();
    await cy.page.locator('.chat-room header h2', { hasText: 'Sunday round' }).waitFor();
    const roomId = /room=([0-9a-f-]+)/.exec(cy.page.url())[1];
    const room = await api(await tokenFor(base + 4, 'Cy'), 'GET', `/rooms/${roomId}`);
    assert.equal(room.type, 'GROUP');
    assert.deepEqual(room.members.map((m) => m.userId).sort(), [base + 4, base + 5, base + 6]);

    // 70 messages from Dee, through REST; the page shows the newest 50 and pages up to the rest.
    const dee = await tokenFor(base + 5, 'Dee');
    for (let i = 0; i < 70; i++) await api(dee, 'POST', `/rooms/${roomId}/messages`, { content: `round ${i}` });
    await cy.page.reload();
    await message(cy.page, 'round 69').waitFor();
    assert.equal(await message(cy.page, 'round 19').count(), 0);
    await cy.page.locator('.older button').click();
    await message(cy.page, 'round 0').waitFor();
    assert.equal(await cy.page.locator('.message .content', { hasText: /^round \d+$/ }).count(), 70);
    assert.equal(await cy.page.locator('.older').count(), 0, 'no more pages');
    assert.deepEqual(cy.page.errors, []);
  } finally {
    await cy.context.close();
  }
});

test('the socket cut mid-conversation: REST meanwhile, then both resync, nothing missing or doubled', async () => {
  const fay = await signedIn(base + 7, 'Fay', { cuttable: true });
  const gus = await signedIn(base + 8, 'Gus');
  try {
    await createDirect(fay.page, base + 8);
    const roomId = /room=([0-9a-f-]+)/.exec(fay.page.url())[1];
    await send(fay.page, 'before the cut');
    await fay.page.locator('.message.mine[data-status=sent]').first().waitFor();
    await gus.page.reload();
    await gus.page.locator(`.room[data-room-id="${roomId}"] button`).click();
    await message(gus.page, 'before the cut').waitFor();

    await fay.page.cut();
    await fay.page.locator('.banner[data-status=reconnecting]').waitFor();
    // Sent while the socket is down: by REST, with the id made on the page.
    await send(fay.page, 'sent by REST');
    await fay.page.locator('.message.mine[data-status=sent] .content', { hasText: 'sent by REST' }).waitFor();
    await message(gus.page, 'sent by REST').waitFor();
    // What Fay's socket cannot bring her now comes from history once it is back.
    await send(gus.page, 'while you were away');
    await gus.page.locator('.message.mine[data-status=sent] .content', { hasText: 'while you were away' }).waitFor();

    fay.page.mend();
    await fay.page.locator('.banner').waitFor({ state: 'detached', timeout: 40000 });
    await message(fay.page, 'while you were away').waitFor();
    await send(fay.page, 'back again');
    await message(gus.page, 'back again').waitFor();
    for (const page of [fay.page, gus.page]) {
      for (const text of ['before the cut', 'sent by REST', 'while you were away', 'back again']) {
        assert.equal(await message(page, text).count(), 1, `${text} once`);
      }
    }
    assert.deepEqual([...fay.page.errors, ...gus.page.errors], []);
  } finally {
    await fay.context.close();
    await gus.context.close();
  }
});

test('a send that fails both ways shows failed; its retry stores it once, with the same id', async () => {
  const jo = await signedIn(base + 10, 'Jo');
  const kit = await signedIn(base + 11, 'Kit');
  const servicePid = Number(process.env.PARKCHAT_SERVICE_PID);
  assert.ok(servicePid > 0, 'PARKCHAT_SERVICE_PID names the service process');
  let stopped = false;
  try {
    await createDirect(jo.page, base + 11);
    const roomId = /room=([0-9a-f-]+)/.exec(jo.page.url())[1];
    await send(jo.page, 'warming up');
    await jo.page.locator('.message.mine[data-status=sent]').first().waitFor();
    await kit.page.reload();
    await kit.page.locator(`.room[data-room-id="${roomId}"] button`).click();
    await message(kit.page, 'warming up').waitFor();

    // The REST sends the page makes, and the id each carries.
    const restIds = [];
    jo.page.on('request', (request) => {
      if (request.method() === 'POST' && /\/rooms\/[0-9a-f-]+\/messages$/.test(request.url())) {
        restIds.push(JSON.parse(request.postData()).id);
      }
    });
    // The service stops: the gateway takes the send but cannot have it stored, and answers
    // UNAVAILABLE while the socket stays connected; the page then tries REST, which cannot
    // reach the service either.
    process.kill(servicePid, 'SIGSTOP');
    stopped = true;
    await send(jo.page, 'held up');
    const failed = jo.page.locator('.message.mine[data-status=failed]', { hasText: 'held up' });
    await failed.waitFor({ timeout: 40000 });
    assert.equal(await jo.page.locator('.banner').count(), 0, 'the socket stayed connected');
    assert.ok(jo.page.socketFrames.some((f) => f.includes('"UNAVAILABLE"')), 'the gateway answered UNAVAILABLE');
    const id = await failed.getAttribute('data-id');
    assert.deepEqual(restIds, [id], 'the socket said UNAVAILABLE, so REST was tried, with the same id');

    process.kill(servicePid, 'SIGCONT');
    stopped = false;
    await failed.locator('button.retry').click();
    await jo.page.locator(`.message.mine[data-status=sent][data-id="${id}"]`).waitFor({ timeout: 30000 });
    await message(kit.page, 'held up').waitFor();
    await kit.page.reload();
    await message(kit.page, 'held up').waitFor();
    for (const page of [jo.page, kit.page]) assert.equal(await message(page, 'held up').count(), 1, 'held up once');
    assert.equal(await kit.page.locator(`.message[data-id="${id}"]`).count(), 1);
    assert.deepEqual([...jo.page.errors, ...kit.page.errors], []);
  } finally {
    if (stopped) process.kill(servicePid, 'SIGCONT');
    await jo.context.close();
    await kit.context.close();
  }
});

test('the first load: its weight, and how soon the room list shows (printed)', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const token = await tokenFor(base + 9, 'Hal');
    const started = Date.now();
    await page.goto(`${url}/#token=${token}`);
    await page.locator('.room-list .empty, .room-list .room').first().waitFor();
    const ms = Date.now() - started;
    await page.waitForLoadState('networkidle');
    // The page and every file it loaded, as the browser counted their bodies.
    const bytes = await page.evaluate(() =>
      performance.getEntries().filter((e) => e.decodedBodySize !== undefined && !e.name.includes('/socket.io/') &&
        !e.name.includes('/api/')).reduce((sum, e) => sum + e.decodedBodySize, 0));
    console.log(`[web] first load ${(bytes / 1024).toFixed(1)} KiB (uncompressed), room list shown after ${ms} ms`);
    assert.ok(bytes <= 150 * 1024, `${bytes} bytes`);
    assert.equal(page.url().includes('token='), false, 'the token leaves the address bar');
  } finally {
    await context.close();
  }
});
