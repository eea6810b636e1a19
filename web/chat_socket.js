// The chatSocket singleton of seed §7.2 on socket.io-client: one connection to /chat for the
// page, whose handlers are registered once, when the socket is made, never per connect.
// Reconnects as seed §8.2 says (3 s, 6 s, 12 s, 24 s, then every 30 s, each ±50 % so that one
// gateway's clients do not all come back in one wave) and rejoins its rooms with `resume`, so
// the page can fill what it missed from history.

import { io } from 'socket.io-client';

const ACK_TIMEOUT_MS = 10000;
const RECONNECT = { reconnectionDelay: 3000, reconnectionDelayMax: 30000, randomizationFactor: 0.5 };

class ChatSocket {
  constructor() {
    this.socket = null;
    this.rooms = new Set();
    this.listeners = new Map();
    this.state = { status: 'disconnected', retryInSeconds: 0, error: null };
  }

  // Callbacks by event: message, typing, joined, left, notification, state, rejoined, error.
  on(event, callback) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(callback);
    return () => this.listeners.get(event).delete(callback);
  }
  emit(event, value) {
    for (const callback of this.listeners.get(event) || []) callback(value);
  }
  setState(change) {
    this.state = { ...this.state, ...change };
    this.emit('state', this.state);
  }

  connect(token) {
    if (this.socket) this.disconnect();
    this.setState({ status: 'connecting', error: null });
    const socket = io('/chat', { path: '/socket.io/', auth: { token }, ...RECONNECT });
    this.socket = socket;
    socket.on('connect', async () => {
      this.setState({ status: 'connected', retryInSeconds: 0 });
      for (const roomId of this.rooms) {
        const answer = await this.join(roomId);
        if (answer) this.emit('rejoined', { roomId, newestMessageId: answer.newestMessageId ?? null });
      }
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return this.setState({ status: 'disconnected' });
      this.setState({ status: 'reconnecting', retryInSeconds: RECONNECT.reconnectionDelay / 1000 });
    });
    // The wait before the next attempt, as socket.io-client's backoff computes it, without its
    // jitter: for the banner only.
    socket.io.on('reconnect_attempt', (attempt) => {
      const next = Math.min(RECONNECT.reconnectionDelay * 2 ** attempt, RECONNECT.reconnectionDelayMax);
      this.setState({ status: 'reconnecting', retryInSeconds: Math.round(next / 1000) });
    });
    socket.on('connect_error', (error) => {
      if (error.message === 'Unauthorized') {
        socket.disconnect();
        this.setState({ status: 'refused', error: error.message });
        return;
      }
      this.setState({ status: socket.active ? 'reconnecting' : 'offline' });
    });
    socket.on('new_message', (message) => this.emit('message', message));
    socket.on('typing', (event) => this.emit('typing', event));
    socket.on('user_joined', (event) => this.emit('joined', event));
    socket.on('user_left', (event) => this.emit('left', event));
    socket.on('notification', (event) => this.emit('notification', event));
    socket.on('error', (event) => this.emit('error', event));
  }

  async join(roomId) {
    try {
      const answer = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('join_room', { roomId, resume: true });
      return answer?.success ? answer : null;
    } catch {
      return null;
    }
  }

  // Joins (and, after every reconnect, rejoins) a room; true once in it.
  async joinRoom(roomId) {
    this.rooms.add(roomId);
    if (!this.isConnected()) return false;
    const answer = await this.join(roomId);
    if (answer) this.emit('rejoined', { roomId, newestMessageId: answer.newestMessageId ?? null });
    return answer !== null;
  }

  leaveRoom(roomId) {
    this.rooms.delete(roomId);
    if (this.isConnected()) this.socket.emit('leave_room', { roomId });
  }

  // The stored message, or null when the socket could not deliver it (not connected, no answer
  // in time, or UNAVAILABLE): the caller then sends it by REST with the same id. Any other
  // refusal is thrown with its code.
  async sendMessage(roomId, content, type, id) {
    if (!this.isConnected()) return null;
    let answer;
    try {
      answer = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('send_message', { id, roomId, content, type });
    } catch {
      return null;
    }
    if (answer?.success) return answer.message;
    const error = answer?.error || {};
    if (error.code === 'UNAVAILABLE') return null;
    const refusal = new Error(error.message || 'refused');
    refusal.code = error.code;
    throw refusal;
  }

  onMessage(callback) {
    return this.on('message', callback);
  }
  sendTyping(roomId, isTyping) {
    if (this.isConnected()) this.socket.emit('typing', { roomId, isTyping });
  }
  onTyping(callback) {
    return this.on('typing', callback);
  }
  isConnected() {
    return Boolean(this.socket?.connected);
  }
  disconnect() {
    this.socket?.disconnect();
    this.socket = null;
    this.rooms.clear();
    this.setState({ status: 'disconnected' });
  }
}

export const chatSocket = new ChatSocket();
