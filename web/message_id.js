// A message's id is made here, before the first send, so that every retry, the REST fallback
// and socket.io-client's own offline buffer all name the same message (the server stores an id
// once). crypto.randomUUID exists only in secure contexts; a plain-http LAN origin gets the
// same version-4 UUID from getRandomValues.

export function newMessageId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The server's limit, counted as it counts: code points, not UTF-16 units.
export const MAX_CONTENT = 4000;
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
