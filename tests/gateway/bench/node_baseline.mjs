// The Node side of the comparison: the seed's gateway shape on the npm `socket.io` server, with
// nothing behind it (no NATS, no database, no membership check: a room broadcast and an ack),
// so that it is an upper bound for the Node stack parkchat replaces. It speaks the same events
// as parkchat's /chat namespace and mints nothing: any token is accepted, its payload read.
//
//   node tests/gateway/bench/node_baseline.mjs --port 4700 &
//   node tests/gateway/bench/load.mjs --url http://127.0.0.1:4700 --api http://127.0.0.1:4700 --secret x ...
//
// It also answers the REST subset `parkchat simulate` needs: POST /api/user/chat/rooms (a new
// id) and GET /api/user/chat/rooms/:id/messages (history kept in memory, newest first, an
// index as cursor), so that the same scenarios run against both servers.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values: opt } = parseArgs({ options: { port: { type: 'string', default: '4700' } } });

const history = new Map(); // roomId -> messages, oldest first

function historyPage(roomId, query) {
  const all = history.get(roomId) ?? [];
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
  const end = query.has('cursor') ? Number(query.get('cursor')) : all.length;
  const start = Math.max(0, end - limit);
  return { messages: all.slice(start, end).reverse(), hasMore: start > 0, nextCursor: start > 0 ? String(start) : null };
}

const http = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const page = /^\/api\/user\/chat\/rooms\/([^/]+)\/messages$/.exec(url.pathname);
  if (req.method === 'GET' && page) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ success: true, data: historyPage(page[1], url.searchParams) }));
    return;
  }
  if (req.method === 'POST' && req.url === '/api/user/chat/rooms') {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, data: { id: randomUUID() } }));
    });
    return;
  }
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pid: process.pid }));
    return;
  }
  res.writeHead(404).end();
});
const io = new Server(http, { transports: ['polling', 'websocket'] });

io.of('/chat').on('connection', (socket) => {
  const token = socket.handshake.auth?.token ?? '';
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? 'e30', 'base64url').toString() || '{}');
  socket.data.user = { id: claims.userId, name: claims.name };
  socket.emit('connected', { userId: claims.userId, socketId: socket.id });
  socket.on('join_room', ({ roomId }, ack) => {
    socket.join(roomId);
    ack?.({ success: true });
  });
  socket.on('send_message', ({ id, roomId, content, type }, ack) => {
    const message = {
      id: id ?? randomUUID(),
      roomId,
      senderId: socket.data.user.id,
      senderName: socket.data.user.name,
      content,
      type: type ?? 'TEXT',
      createdAt: new Date().toISOString(),
    };
    if (!history.has(roomId)) history.set(roomId, []);
    history.get(roomId).push(message);
    socket.to(roomId).emit('new_message', message);
    ack?.({ success: true, message, duplicate: false });
  });
});

http.listen(Number(opt.port), '127.0.0.1', () => console.log(`node socket.io baseline on http://127.0.0.1:${opt.port}`));
