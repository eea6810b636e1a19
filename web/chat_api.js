// The REST API of the same origin (CONTRACT §3), with the signed-in user's token.

const BASE = '/api/user/chat';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(token, method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'UNAVAILABLE', e.message);
  }
  const envelope = await response.json().catch(() => null);
  if (!envelope || envelope.success !== true) {
    const error = envelope?.error || {};
    throw new ApiError(response.status, error.code || 'INTERNAL', error.message || response.statusText);
  }
  return envelope.data;
}

export function chatApi(getToken) {
  const api = (method, path, body) => call(getToken(), method, BASE + path, body);
  return {
    listRooms: () => api('GET', '/rooms'),
    createRoom: ({ type, name, participantIds, memberNames }) =>
      api('POST', '/rooms', { type, name: name || undefined, participant_ids: participantIds, member_names: memberNames }),
    messages: (roomId, { cursor, limit = 50 } = {}) =>
      api('GET', `/rooms/${encodeURIComponent(roomId)}/messages?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    sendMessage: (roomId, { id, content, type = 'TEXT' }) =>
      api('POST', `/rooms/${encodeURIComponent(roomId)}/messages`, { id, content, message_type: type }),
    markRead: (roomId, messageId) => api('POST', `/rooms/${encodeURIComponent(roomId)}/read`, { messageId }),
  };
}

// The embedded server's "sign in as" (serve --dev-login): a token for any user id.
export async function devToken(userId, name) {
  const data = await call(null, 'POST', '/dev/token', { userId, name });
  return data.token;
}
