// The chat page of seed §7.2: ChatPage with ChatRoomList and ChatRoom (MessageInput inside),
// on the hooks useChatRoomsQuery, useMessagesQuery and useChatSocket. Preact and htm, loaded
// through the import map of index.html: no build step.

import { h, render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';

import { chatApi, devToken } from './chat_api.js';
import { chatSocket } from './chat_socket.js';
import { MAX_CONTENT, codePoints, newMessageId } from './message_id.js';
import { t } from './strings.js';

const html = htm.bind(h);
const TOKEN_KEY = 'parkchat.token';
const TYPING_EVERY_MS = 3000; // a new "typing" at most this often while typing
const TYPING_IDLE_MS = 2500; // "stopped" after this long without a key
const TYPING_SHOWN_MS = 6000; // a typing event not renewed expires on the receiver
const GAP_PAGES = 20; // pages read back after a reconnect, at most
const NEWEST_PATIENCE_MS = 15000; // how long history may lag the newest message a join named

// The user id and name a token names (its payload is not verified here: the server does).
function whoIs(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { userId: Number(payload.userId ?? payload.sub), name: payload.name || '' };
  } catch {
    return null;
  }
}

// The token: from the URL fragment (#token=…, which no server log sees; removed at once), or
// the one this tab used before.
function initialToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function byTime(a, b) {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// --- hooks ---

function useChatSocket(token, onRefused) {
  const [state, setState] = useState(chatSocket.state);
  useEffect(() => {
    const off = chatSocket.on('state', (s) => {
      setState(s);
      if (s.status === 'refused') onRefused(s.error);
    });
    chatSocket.connect(token);
    return () => {
      off();
      chatSocket.disconnect();
    };
  }, [token]);
  return state;
}

function useChatRoomsQuery(api) {
  const [rooms, setRooms] = useState(null);
  const [error, setError] = useState(null);
  const refresh = useCallback(async () => {
    try {
      setRooms(await api.listRooms());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [api]);
  useEffect(() => {
    refresh();
  }, [refresh]);
  // A message for a room: its last message, its place (newest activity first), its unread.
  const noteMessage = useCallback((message, countsAsUnread) => {
    setRooms((list) => {
      if (!list) return list;
      const room = list.find((r) => r.id === message.roomId);
      if (!room) return list;
      const newer = !room.lastMessage || byTime(room.lastMessage, message) <= 0;
      const updated = {
        ...room,
        lastMessage: newer ? message : room.lastMessage,
        updatedAt: newer ? message.createdAt : room.updatedAt,
        unreadCount: (room.unreadCount || 0) + (countsAsUnread ? 1 : 0),
      };
      return [updated, ...list.filter((r) => r.id !== room.id)].sort((a, b) =>
        (b.updatedAt || '').localeCompare(a.updatedAt || ''),
      );
    });
  }, []);
  const setUnread = useCallback((roomId, unreadCount) => {
    setRooms((list) => list && list.map((r) => (r.id === roomId ? { ...r, unreadCount } : r)));
  }, []);
  return { rooms, error, refresh, noteMessage, setUnread, setRooms };
}

// A room's messages by id (so that a live copy, a history page and the sender's own ack of one
// message are one entry), oldest first for display, with the keyset cursor of older pages.
function useMessagesQuery(api, roomId) {
  const [entries, setEntries] = useState(new Map());
  const [older, setOlder] = useState({ hasMore: false, cursor: null, loading: false });
  const [error, setError] = useState(null);

  const merge = useCallback((messages) => {
    setEntries((current) => {
      const next = new Map(current);
      for (const m of messages) {
        const held = next.get(m.id);
        // A stored copy replaces a pending or failed one; a stored one is never downgraded.
        if (!held || held.status !== 'sent' || m.status === 'sent') next.set(m.id, { ...m, status: m.status || 'sent' });
      }
      return next;
    });
  }, []);

  useEffect(() => {
    setEntries(new Map());
    setOlder({ hasMore: false, cursor: null, loading: true });
    if (!roomId) return;
    let cancelled = false;
    api
      .messages(roomId)
      .then((page) => {
        if (cancelled) return;
        merge(page.messages);
        setOlder({ hasMore: page.hasMore, cursor: page.nextCursor, loading: false });
      })
      .catch((e) => !cancelled && setError(e));
    return () => {
      cancelled = true;
    };
  }, [api, roomId]);

  const loadOlder = useCallback(async () => {
    if (!older.hasMore || older.loading) return;
    setOlder((o) => ({ ...o, loading: true }));
    try {
      const page = await api.messages(roomId, { cursor: older.cursor });
      merge(page.messages);
      setOlder({ hasMore: page.hasMore, cursor: page.nextCursor, loading: false });
    } catch (e) {
      setError(e);
      setOlder((o) => ({ ...o, loading: false }));
    }
  }, [api, roomId, older]);

  // After a join (the first, and each after a reconnect): pages newest first until one holds a
  // message we have, and again until history holds the newest message the join named: history
  // follows the stream by the persister's lag, and a message sent just before the join reached
  // this socket neither live nor, yet, from history.
  const fillGap = useCallback(
    async (newestMessageId) => {
      const giveUpAt = Date.now() + NEWEST_PATIENCE_MS;
      for (;;) {
        let sawNewest = !newestMessageId || entries.has(newestMessageId);
        // Holding nothing yet (the room just opened), the newest page is the whole gap.
        const holdsAny = [...entries.values()].some((m) => m.status === 'sent');
        let cursor = null;
        for (let i = 0; i < GAP_PAGES; i++) {
          const page = await api.messages(roomId, { cursor });
          merge(page.messages);
          if (page.messages.some((m) => m.id === newestMessageId)) sawNewest = true;
          const known = page.messages.some((m) => entries.get(m.id)?.status === 'sent');
          if (known || !holdsAny || !page.hasMore) break;
          cursor = page.nextCursor;
        }
        if (sawNewest || Date.now() > giveUpAt) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    [api, roomId, entries],
  );

  const list = useMemo(() => [...entries.values()].sort(byTime), [entries]);
  return { list, entries, merge, older, loadOlder, fillGap, error };
}

// --- components ---

function Banner({ state }) {
  if (state.status === 'connected' || state.status === 'disconnected' || state.status === 'refused') return null;
  const text =
    state.status === 'connecting'
      ? t('connecting')
      : state.status === 'reconnecting'
        ? t('reconnecting', { seconds: state.retryInSeconds || 3 })
        : t('offline');
  return html`<div class="banner" role="status" data-status=${state.status}>${text}</div>`;
}

function SignIn({ onToken, refusal }) {
  const [pasted, setPasted] = useState('');
  const [userId, setUserId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState(refusal ? t('tokenRefused', { reason: refusal }) : null);
  const [devLogin, setDevLogin] = useState(false);
  useEffect(() => {
    fetch('/dev/token').then((r) => setDevLogin(r.ok), () => setDevLogin(false));
  }, []);
  const signInAs = async (event) => {
    event.preventDefault();
    try {
      onToken(await devToken(Number(userId), name));
    } catch (e) {
      setError(t('error', { message: e.message }));
    }
  };
  return html`
    <main class="sign-in">
      <h1>${t('title')}</h1>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <form onSubmit=${(e) => (e.preventDefault(), pasted.trim() && onToken(pasted.trim()))}>
        <h2>${t('signInTitle')}</h2>
        <label>${t('tokenLabel')}<textarea name="token" value=${pasted} onInput=${(e) => setPasted(e.target.value)} /></label>
        <button type="submit">${t('tokenUse')}</button>
      </form>
      ${devLogin &&
      html`<form class="dev-login" onSubmit=${signInAs}>
        <h2>${t('devTitle')}</h2>
        <label>${t('userIdLabel')}<input name="userId" inputmode="numeric" required value=${userId}
          onInput=${(e) => setUserId(e.target.value)} /></label>
        <label>${t('nameLabel')}<input name="name" value=${name} onInput=${(e) => setName(e.target.value)} /></label>
        <button type="submit">${t('devSignIn')}</button>
      </form>`}
    </main>
  `;
}

function NewRoomForm({ api, onCreated, onCancel }) {
  const [type, setType] = useState('DIRECT');
  const [name, setName] = useState('');
  const [ids, setIds] = useState('');
  const [names, setNames] = useState('');
  const [error, setError] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    const participantIds = ids.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
    const memberNames = names.split(',').map((s) => s.trim());
    try {
      const room = await api.createRoom({
        type,
        name: type === 'GROUP' ? name : undefined,
        participantIds,
        memberNames: names.trim() ? Object.fromEntries(participantIds.map((id, i) => [id, memberNames[i] || ''])) : undefined,
      });
      onCreated(room);
    } catch (e) {
      setError(e.message);
    }
  };
  return html`
    <form class="new-room" onSubmit=${submit}>
      <div class="types">
        ${['DIRECT', 'GROUP'].map(
          (kind) => html`<label><input type="radio" name="type" value=${kind} checked=${type === kind}
            onChange=${() => setType(kind)} />${t(kind === 'DIRECT' ? 'direct' : 'group')}</label>`,
        )}
      </div>
      ${type === 'GROUP' &&
      html`<label>${t('roomName')}<input name="name" value=${name} onInput=${(e) => setName(e.target.value)} /></label>`}
      <label>${t('memberIds')}<input name="memberIds" required value=${ids} onInput=${(e) => setIds(e.target.value)} /></label>
      <label>${t('memberNames')}<input name="memberNames" value=${names} onInput=${(e) => setNames(e.target.value)} /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit">${t('create')}</button>
      <button type="button" onClick=${onCancel}>${t('cancel')}</button>
    </form>
  `;
}

function roomTitle(room, me) {
  if (room.name) return room.name;
  const others = (room.members || []).filter((m) => m.userId !== me.userId);
  return others.map((m) => m.userName || `#${m.userId}`).join(', ') || room.type;
}

function ChatRoomList({ rooms, me, current, onPick, api, onCreated }) {
  const [creating, setCreating] = useState(false);
  return html`
    <nav class="room-list" aria-label=${t('rooms')}>
      <header>
        <h2>${t('rooms')}</h2>
        <button class="new" onClick=${() => setCreating(!creating)}>${t('newRoom')}</button>
      </header>
      ${creating && html`<${NewRoomForm} api=${api} onCancel=${() => setCreating(false)}
        onCreated=${(room) => (setCreating(false), onCreated(room))} />`}
      ${rooms && rooms.length === 0 && html`<p class="empty">${t('noRooms')}</p>`}
      <ul>
        ${(rooms || []).map(
          (room) => html`
            <li key=${room.id} class=${room.id === current ? 'room current' : 'room'} data-room-id=${room.id}>
              <button onClick=${() => onPick(room.id)}>
                <span class="title">${roomTitle(room, me)}</span>
                ${room.unreadCount > 0 && html`<span class="badge" aria-label="unread">${room.unreadCount}</span>`}
                <span class="last">${room.lastMessage ? `${room.lastMessage.senderName || ''}: ${room.lastMessage.content}` : ''}</span>
              </button>
            </li>
          `,
        )}
      </ul>
    </nav>
  `;
}

function MessageInput({ onSend, onTyping }) {
  const [text, setText] = useState('');
  const typing = useRef({ sentAt: 0, idle: null });
  const count = codePoints(text);
  const stopTyping = () => {
    clearTimeout(typing.current.idle);
    if (typing.current.sentAt) onTyping(false);
    typing.current.sentAt = 0;
  };
  const onInput = (event) => {
    setText(event.target.value);
    const now = Date.now();
    if (now - typing.current.sentAt > TYPING_EVERY_MS) {
      onTyping(true);
      typing.current.sentAt = now;
    }
    clearTimeout(typing.current.idle);
    typing.current.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  };
  const submit = (event) => {
    event.preventDefault();
    if (!text.trim() || count > MAX_CONTENT) return;
    onSend(text);
    setText('');
    stopTyping();
  };
  return html`
    <form class="message-input" onSubmit=${submit}>
      <textarea name="message" placeholder=${t('placeholder')} value=${text} onInput=${onInput}
        onKeyDown=${(e) => e.key === 'Enter' && !e.shiftKey && !e.isComposing && submit(e)} />
      ${count > MAX_CONTENT && html`<span class="too-long" role="alert">${t('tooLong', { count, max: MAX_CONTENT })}</span>`}
      <button type="submit" disabled=${!text.trim() || count > MAX_CONTENT}>${t('send')}</button>
    </form>
  `;
}

function Message({ message, mine, onRetry }) {
  if (message.type === 'SYSTEM') return html`<li class="system" data-id=${message.id}>${message.content}</li>`;
  return html`
    <li class=${mine ? 'message mine' : 'message'} data-id=${message.id} data-status=${message.status}>
      <span class="sender">${mine ? t('you') : message.senderName || `#${message.senderId}`}</span>
      <span class="content">${message.content}</span>
      ${mine && message.status !== 'sent' && html`<span class="status">${t(message.status)}</span>`}
      ${message.status === 'failed' && html`<button class="retry" onClick=${() => onRetry(message)}>${t('retry')}</button>`}
    </li>
  `;
}

function ChatRoom({ api, room, me, onStored, onRead }) {
  const messages = useMessagesQuery(api, room.id);
  const [typing, setTyping] = useState(new Map()); // userId -> {name, until}
  const [online, setOnline] = useState(new Set());
  const [dividerAt] = useState(() => room.unreadCount || 0);
  const bottom = useRef(null);

  useEffect(() => {
    chatSocket.joinRoom(room.id);
    const offs = [
      chatSocket.onMessage((m) => m.roomId === room.id && messages.merge([m])),
      chatSocket.onTyping((e) => {
        if (e.roomId !== room.id) return;
        setTyping((current) => {
          const next = new Map(current);
          if (e.isTyping) next.set(e.userId, { name: e.userName, until: Date.now() + TYPING_SHOWN_MS });
          else next.delete(e.userId);
          return next;
        });
      }),
      chatSocket.on('joined', (e) => e.roomId === room.id && setOnline((s) => new Set(s).add(e.userId))),
      chatSocket.on('left', (e) => e.roomId === room.id && setOnline((s) => ((s = new Set(s)), s.delete(e.userId), s))),
    ];
    const expire = setInterval(() => {
      setTyping((current) => {
        const now = Date.now();
        const next = new Map([...current].filter(([, v]) => v.until > now));
        return next.size === current.size ? current : next;
      });
    }, 1000);
    return () => {
      offs.forEach((off) => off());
      clearInterval(expire);
      chatSocket.leaveRoom(room.id);
    };
  }, [room.id]);

  // After every join the room is filled from history up to the newest message the join named.
  useEffect(() => chatSocket.on('rejoined', (e) => e.roomId === room.id && messages.fillGap(e.newestMessageId)), [
    room.id,
    messages.fillGap,
  ]);

  // Read as the user reads: the newest stored message, while the page is visible.
  const newest = [...messages.list].reverse().find((m) => m.status === 'sent');
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
    if (newest && document.visibilityState === 'visible') onRead(room.id, newest.id);
  }, [newest?.id]);

  const deliver = async (entry) => {
    messages.merge([{ ...entry, status: 'pending' }]);
    try {
      // The socket first; when it cannot (down, no answer, UNAVAILABLE), REST with the same id.
      const stored =
        (await chatSocket.sendMessage(room.id, entry.content, 'TEXT', entry.id)) ||
        (await api.sendMessage(room.id, { id: entry.id, content: entry.content }));
      messages.merge([{ ...stored, status: 'sent' }]);
      onStored(stored);
    } catch (e) {
      messages.merge([{ ...entry, status: 'failed', error: e.message }]);
    }
  };
  const send = (content) =>
    deliver({ id: newMessageId(), roomId: room.id, senderId: me.userId, senderName: me.name, content, type: 'TEXT',
      createdAt: new Date().toISOString() });

  const typingNames = [...typing.values()].map((v) => v.name);
  const list = messages.list;
  const dividerIndex = dividerAt > 0 ? Math.max(0, list.length - dividerAt) : -1;
  return html`
    <section class="chat-room" aria-label=${roomTitle(room, me)}>
      <header>
        <h2>${roomTitle(room, me)}</h2>
        <span class="online">${[...online].length > 0 ? `${online.size} ${t('online')}` : ''}</span>
      </header>
      <ol class="messages">
        ${messages.older.hasMore &&
        html`<li class="older"><button onClick=${messages.loadOlder} disabled=${messages.older.loading}>
          ${messages.older.loading ? t('loading') : t('olderMessages')}</button></li>`}
        ${list.map((m, i) => [
          i === dividerIndex && html`<li class="divider" key="divider">${t('newMessages')}</li>`,
          html`<${Message} key=${m.id} message=${m} mine=${m.senderId === me.userId} onRetry=${deliver} />`,
        ])}
        <li ref=${bottom} class="end" aria-hidden="true"></li>
      </ol>
      <p class="typing" aria-live="polite">
        ${typingNames.length === 1 ? t('typingOne', { name: typingNames[0] }) : typingNames.length > 1 ? t('typingMany') : ''}
      </p>
      <${MessageInput} onSend=${send} onTyping=${(on) => chatSocket.sendTyping(room.id, on)} />
    </section>
  `;
}

function currentRoomFromHash() {
  const match = /(?:^#|&)room=([0-9a-f-]+)/.exec(location.hash);
  return match ? match[1] : null;
}

function ChatPage({ token, me, onSignOut, onRefused }) {
  const api = useMemo(() => chatApi(() => token), [token]);
  const socketState = useChatSocket(token, onRefused);
  const rooms = useChatRoomsQuery(api);
  const [current, setCurrent] = useState(currentRoomFromHash());
  const currentRef = useRef(current);
  currentRef.current = current;

  useEffect(() => {
    const onHash = () => setCurrent(currentRoomFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // Live: a message of the open room counts as read; one of any other room (the socket's own
  // rooms, or a notification for the user's other rooms) as unread.
  useEffect(() => {
    const offs = [
      chatSocket.onMessage((m) => rooms.noteMessage(m, m.roomId !== currentRef.current && m.senderId !== me.userId)),
      chatSocket.on('notification', (n) => rooms.noteMessage(n.message, n.message.senderId !== me.userId)),
      // A room the list does not know yet (someone made it with us): the list is read again.
      chatSocket.on('notification', (n) => rooms.rooms && !rooms.rooms.some((r) => r.id === n.roomId) && rooms.refresh()),
    ];
    return () => offs.forEach((off) => off());
  }, [rooms.noteMessage, rooms.rooms]);
  // Back online: the list may have missed what came meanwhile.
  useEffect(() => {
    if (socketState.status === 'connected') rooms.refresh();
  }, [socketState.status]);

  const pick = (id) => {
    location.hash = `room=${id}`;
  };
  const read = useCallback(
    (roomId, messageId) => {
      api.markRead(roomId, messageId).then((r) => rooms.setUnread(roomId, r.unreadCount), () => {});
    },
    [api],
  );
  const room = rooms.rooms?.find((r) => r.id === current);
  return html`
    <div class="chat-page">
      <${Banner} state=${socketState} />
      <header class="top">
        <h1>${t('title')}</h1>
        <span class="me">${me.name || `#${me.userId}`}</span>
        <button class="sign-out" onClick=${onSignOut}>${t('signOut')}</button>
      </header>
      ${rooms.error && html`<p class="error" role="alert">${t('error', { message: rooms.error.message })}</p>`}
      <div class="panes">
        <${ChatRoomList} rooms=${rooms.rooms} me=${me} current=${current} onPick=${pick} api=${api}
          onCreated=${(r) => (rooms.refresh(), pick(r.id))} />
        ${room
          ? html`<${ChatRoom} key=${room.id} api=${api} room=${room} me=${me} onRead=${read}
              onStored=${(m) => rooms.noteMessage(m, false)} />`
          : html`<section class="chat-room empty"><p>${t('pickRoom')}</p></section>`}
      </div>
    </div>
  `;
}

function App() {
  const [token, setToken] = useState(initialToken);
  const [refusal, setRefusal] = useState(null);
  const me = token && whoIs(token);
  const signOut = (reason = null) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setRefusal(reason);
    setToken(null);
  };
  if (!token || !me) {
    return html`<${SignIn} refusal=${refusal || (token && !me ? 'not a JWT' : null)}
      onToken=${(value) => (sessionStorage.setItem(TOKEN_KEY, value), setRefusal(null), setToken(value))} />`;
  }
  return html`<${ChatPage} token=${token} me=${me} onSignOut=${() => signOut()} onRefused=${(reason) => signOut(reason)} />`;
}

document.title = t('title');
render(html`<${App} />`, document.getElementById('app'));

