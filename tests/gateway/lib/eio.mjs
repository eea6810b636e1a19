// Helpers for talking raw Engine.IO 4 / Socket.IO 5 to the gateway: building URLs, the polling
// payload codec (packets joined by the 0x1e record separator, binary as "b" + base64), HTTP
// requests that never throw on odd statuses, and a WebSocket wrapper that queues every frame so
// that a test can await "the next frame" without losing frames that arrive early.

import net from "node:net";
import WebSocket from "ws";

export const SEP = "\x1e";

// Engine.IO packet type digits.
export const OPEN = "0";
export const CLOSE = "1";
export const PING = "2";
export const PONG = "3";
export const MESSAGE = "4";
export const UPGRADE = "5";
export const NOOP = "6";

// Generous bound for "the server should do X soon": the server runs its timers at 300/200 ms
// and 1000 ms, and this machine may be busy compiling.
export const EVENT_TIMEOUT = Number(process.env.PARKCHAT_EVENT_TIMEOUT_MS || 5000);

export function baseUrl() {
  const url = process.env.PARKCHAT_URL;
  if (!url) {
    throw new Error(
      "PARKCHAT_URL is not set: start `parkchat serve --conformance --listen 127.0.0.1:0` " +
        "and export PARKCHAT_URL=http://127.0.0.1:PORT",
    );
  }
  return url.replace(/\/+$/, "");
}

// `query` is an object (undefined values dropped) or a raw query string (used as is, so that a
// test can send malformed or missing parameters exactly).
function buildUrl(base, path, query) {
  let qs = "";
  if (typeof query === "string") {
    qs = query;
  } else if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) params.append(key, String(value));
    }
    qs = params.toString();
  }
  return `${base}${path}${qs ? `?${qs}` : ""}`;
}

export function httpUrl(path, query) {
  return buildUrl(baseUrl(), path, query);
}

export function wsUrl(path, query) {
  return buildUrl(baseUrl().replace(/^http/, "ws"), path, query);
}

export function pollingQuery(sid, extra = {}) {
  return { EIO: 4, transport: "polling", sid, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Small async utilities.

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves/rejects like `promise`, or rejects with a message naming `what` after `ms`.
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Polling payload codec.

// A packet is { type: "4", data: "hello" } for text or { type: "4", data: Buffer } for binary
// (binary is always a message in v4).
export function encodePacket(packet) {
  if (Buffer.isBuffer(packet.data) || packet.data instanceof Uint8Array) {
    return `b${Buffer.from(packet.data).toString("base64")}`;
  }
  return `${packet.type}${packet.data ?? ""}`;
}

export function encodePayload(packets) {
  return packets.map(encodePacket).join(SEP);
}

export function decodePacket(text) {
  if (text.startsWith("b")) {
    return { type: MESSAGE, data: Buffer.from(text.slice(1), "base64"), binary: true };
  }
  return { type: text.slice(0, 1), data: text.slice(1), binary: false };
}

export function decodePayload(body) {
  if (body === "") return [];
  return body.split(SEP).map(decodePacket);
}

// "Open" packet payload (`0{...}`) → the handshake object.
export function parseOpenPacket(text) {
  if (typeof text !== "string" || !text.startsWith(OPEN)) {
    throw new Error(`expected an Engine.IO open packet "0{...}", got ${describe(text)}`);
  }
  return JSON.parse(text.slice(1));
}

export function describe(value) {
  if (Buffer.isBuffer(value)) return `<binary ${value.toString("hex")}>`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// HTTP.

// fetch() wrapper: returns { status, headers, body } and reads the whole body. Network errors
// (the server resetting the connection) come back as { status: 0, error }.
export async function request(path, query, { method = "GET", body, headers, signal } = {}) {
  const url = httpUrl(path, query);
  try {
    const response = await fetch(url, { method, body, headers, signal, redirect: "manual" });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text, url };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { status: 0, headers: new Headers(), body: "", error, url };
  }
}

// Opens a polling session. Returns { sid, handshake, response }.
export async function openPolling(path) {
  const response = await request(path, { EIO: 4, transport: "polling" });
  if (response.status !== 200) {
    throw new Error(
      `polling handshake on ${path} answered ${response.status} ${describe(response.body)}`,
    );
  }
  const handshake = parseOpenPacket(response.body);
  if (typeof handshake.sid !== "string") {
    throw new Error(`polling handshake without a string sid: ${response.body}`);
  }
  return { sid: handshake.sid, handshake, response };
}

export function poll(path, sid, { extra, signal } = {}) {
  return request(path, pollingQuery(sid, extra), { signal });
}

export function push(path, sid, body, { headers, extra } = {}) {
  return request(path, pollingQuery(sid, extra), { method: "POST", body, headers });
}

// Polls until a response brings at least one packet that isn't a ping, answering pings with a
// pong so the session stays up. Returns the non-ping packets of that response.
export async function pollSkippingPings(path, sid, timeoutMs = EVENT_TIMEOUT) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`no non-ping packet polled on ${path} within ${timeoutMs} ms`);
    const response = await withTimeout(poll(path, sid), remaining, `a poll on ${path}`);
    if (response.status !== 200) {
      throw new Error(`poll on ${path} answered ${response.status} ${describe(response.body)}`);
    }
    const packets = decodePayload(response.body);
    const rest = packets.filter((p) => p.type !== PING || p.binary);
    if (packets.length !== rest.length) {
      const pong = await push(path, sid, PONG);
      if (pong.status !== 200) throw new Error(`pong POST answered ${pong.status}`);
    }
    if (rest.length > 0) return rest;
  }
}

// Media type and parameters of a Content-Type header, lower-cased, spaces dropped:
// "text/plain; charset=UTF-8" → "text/plain;charset=utf-8".
export function normalizedContentType(headers) {
  const value = headers.get("content-type");
  return value === null ? null : value.toLowerCase().replace(/\s+/g, "");
}

// ---------------------------------------------------------------------------------------------
// WebSocket.

// A frame as received: { data: string | Buffer, binary: boolean }.
export class WsClient {
  constructor(url, { autoPong = false } = {}) {
    this.url = url;
    this.autoPong = autoPong;
    this.frames = [];
    this.waiters = [];
    this.closed = null; // { code, reason } once closed
    this.closeWaiters = [];
    this.ws = new WebSocket(url);
    this.ws.binaryType = "nodebuffer";
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("unexpected-response", (req, res) => {
        res.resume();
        req.destroy();
        reject(new Error(`WebSocket ${url} refused with HTTP ${res.statusCode}`));
      });
      this.ws.once("error", (error) => reject(error));
    });
    this.opened.catch(() => {});
    this.ws.on("error", () => {});
    this.ws.on("message", (data, isBinary) => {
      const frame = isBinary
        ? { data: Buffer.isBuffer(data) ? data : Buffer.concat(data), binary: true }
        : { data: data.toString("utf8"), binary: false };
      if (this.autoPong && !frame.binary && frame.data === PING) {
        this.send(PONG);
        this.pings = (this.pings ?? 0) + 1;
        return;
      }
      this.frames.push(frame);
      this.flushWaiters();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.flushWaiters();
      for (const resolve of this.closeWaiters.splice(0)) resolve(this.closed);
    });
  }

  static async connect(url, options) {
    const client = new WsClient(url, options);
    await withTimeout(client.opened, EVENT_TIMEOUT, `the WebSocket ${url} to open`);
    return client;
  }

  flushWaiters() {
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0];
      if (waiter.skipPings) this.dropPings();
      if (this.frames.length > 0) {
        this.waiters.shift();
        waiter.resolve(this.frames.shift());
      } else if (this.closed) {
        this.waiters.shift();
        waiter.reject(
          new Error(
            `WebSocket closed (code ${this.closed.code}${this.closed.reason ? ` "${this.closed.reason}"` : ""}) ` +
              `while waiting for ${waiter.what}`,
          ),
        );
      } else {
        break;
      }
    }
  }

  // Removes queued ping frames, answering each with a pong.
  dropPings() {
    const kept = this.frames.filter((f) => f.binary || f.data !== PING);
    for (let i = kept.length; i < this.frames.length; i++) this.send(PONG);
    this.frames = kept;
  }

  // Next queued frame (oldest first). With skipPings, ping frames met on the way are dropped
  // and answered with a pong.
  next({ timeout = EVENT_TIMEOUT, skipPings = false, what = "the next frame" } = {}) {
    const waiter = { skipPings, what };
    const promise = new Promise((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
      this.waiters.push(waiter);
      this.flushWaiters();
    });
    return withTimeout(promise, timeout, what).catch((error) => {
      // Don't leave a timed-out waiter behind to swallow a later frame.
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw error;
    });
  }

  async nextText(options = {}) {
    const frame = await this.next(options);
    if (frame.binary) {
      throw new Error(`expected a text frame (${options.what ?? "next frame"}), got ${describe(frame.data)}`);
    }
    return frame.data;
  }

  send(data) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  sendBinary(bytes) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(bytes), { binary: true });
  }

  // Resolves with { code, reason } when the server closes the connection.
  waitClose(timeout = EVENT_TIMEOUT, what = "the server to close the WebSocket") {
    if (this.closed) return Promise.resolve(this.closed);
    return withTimeout(
      new Promise((resolve) => this.closeWaiters.push(resolve)),
      timeout,
      what,
    );
  }

  // Frames received and not consumed.
  pending() {
    return this.frames.slice();
  }

  terminate() {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

// Opens a WebSocket session and reads its open packet. Returns { client, handshake }.
export async function openWebSocket(path, { autoPong = false, query } = {}) {
  const client = await WsClient.connect(wsUrl(path, query ?? { EIO: 4, transport: "websocket" }), {
    autoPong,
  });
  const text = await client.nextText({ what: "the Engine.IO open packet" });
  return { client, handshake: parseOpenPacket(text) };
}

// For a WebSocket request the server must refuse. Resolves with a description of what happened:
// { refused: "http", status, headers, body } when the upgrade got an HTTP error, { refused: "error" } on a
// network error before opening, or { refused: "closed", frames } when it opened and then the
// server closed it. Rejects if the server sends an open packet or keeps it open past the bound.
// `headers` go with the upgrade request (an Origin, say).
export async function expectWebSocketRefused(url, timeout = EVENT_TIMEOUT, { headers } = {}) {
  const ws = new WebSocket(url, headers ? { headers } : undefined);
  ws.on("error", () => {});
  const frames = [];
  let opened = false;
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.on("open", () => {
        opened = true;
      });
      ws.on("unexpected-response", (req, res) => {
        // The refusal's body is read to its end (or until the server drops the connection).
        const chunks = [];
        const done = () => {
          req.destroy();
          resolve({ refused: "http", status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
        };
        res.on("data", (chunk) => chunks.push(chunk));
        res.once("end", done);
        res.once("close", done);
        res.once("error", done);
      });
      ws.on("message", (data, isBinary) => {
        const text = isBinary ? null : data.toString("utf8");
        frames.push(isBinary ? Buffer.from(data) : text);
        if (text !== null && text.startsWith(OPEN)) {
          reject(new Error(`the server opened a session on ${url}: ${text}`));
        }
      });
      ws.on("close", (code) => resolve({ refused: opened ? "closed" : "error", code, frames }));
    }),
    timeout,
    `the server to refuse or close ${url}`,
  ).finally(() => {
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
}

// ---------------------------------------------------------------------------------------------
// Socket.IO over a raw WebSocket.

// Opens /socket.io/ over WebSocket and, unless connect is false, joins the main namespace:
// sends "40" (with `auth` if given) and reads the CONNECT reply and the "auth" event.
// Returns { client, handshake, connect, auth } with connect/auth being the raw frames.
export async function openSocketIO({ autoPong = false, auth } = {}) {
  const { client, handshake } = await openWebSocket("/socket.io/", { autoPong });
  client.send(auth === undefined ? "40" : `40${JSON.stringify(auth)}`);
  const connect = await client.nextText({ skipPings: true, what: "the Socket.IO CONNECT reply" });
  const authFrame = await client.nextText({ skipPings: true, what: 'the "auth" event' });
  return { client, handshake, connect, auth: authFrame };
}

// Terminates `client` when the test `t` ends, pass or fail.
export function track(t, client) {
  t.after(() => client.terminate());
  return client;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over one TCP connection, for checking connection reuse.

// Sends GET `target` (path + query) up to `count` times over one connection, each after the
// previous response is complete. Returns { responses: [{ status, headers, body }], closed }
// where `closed` tells whether the server ended the connection before all were answered.
export function getOverOneConnection(target, count = 2, timeout = EVENT_TIMEOUT) {
  const { hostname, port } = new URL(baseUrl());
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname);
      const responses = [];
      let buffer = Buffer.alloc(0);
      let done = false;
      const finish = (closed) => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve({ responses, closed });
      };
      const sendNext = () =>
        socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: */*\r\n\r\n`);
      socket.on("connect", sendNext);
      socket.on("error", (error) => (responses.length > 0 ? finish(true) : reject(error)));
      socket.on("close", () => finish(true));
      socket.on("data", (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
          const status = Number(lines[0].split(" ")[1]);
          const headers = {};
          for (const line of lines.slice(1)) {
            const colon = line.indexOf(":");
            headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
          }
          const length = Number(headers["content-length"] ?? 0);
          if (headers["transfer-encoding"]) {
            return reject(new Error("getOverOneConnection does not decode chunked bodies"));
          }
          if (buffer.length < end + 4 + length) return;
          const body = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
          buffer = buffer.subarray(end + 4 + length);
          responses.push({ status, headers, body });
          if (responses.length >= count) return finish(false);
          sendNext();
        }
      });
    }),
    timeout,
    `${count} GETs over one connection`,
  );
}
