-- The seed's ERD (chat-system §6) with the constraints that keep its data sane.
-- User and booking ids live in other services; they are plain bigints here, not foreign keys.

CREATE TABLE chat_rooms (
  id               uuid PRIMARY KEY,
  name             text,
  type             text NOT NULL CONSTRAINT chat_rooms_type_check CHECK (type IN ('DIRECT', 'GROUP', 'BOOKING')),
  booking_id       bigint,
  -- A DIRECT room belongs to one unordered pair of users, stored ordered so that the unique
  -- constraint below finds it again and lets two concurrent creates yield one room
  -- (INSERT ... ON CONFLICT (direct_user_low, direct_user_high) DO NOTHING).
  direct_user_low  bigint,
  direct_user_high bigint,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT chat_rooms_booking_id_check CHECK ((type = 'BOOKING') = (booking_id IS NOT NULL)),
  CONSTRAINT chat_rooms_direct_pair_check CHECK (
    (type = 'DIRECT') = (direct_user_low IS NOT NULL AND direct_user_high IS NOT NULL)
    AND (direct_user_low IS NULL) = (direct_user_high IS NULL)
    AND (direct_user_low IS NULL OR direct_user_low < direct_user_high)),
  CONSTRAINT chat_rooms_booking_id_key UNIQUE (booking_id),
  CONSTRAINT chat_rooms_direct_pair_key UNIQUE (direct_user_low, direct_user_high)
);

CREATE TABLE chat_messages (
  id          uuid PRIMARY KEY,
  room_id     uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
  sender_id   bigint NOT NULL,
  sender_name text NOT NULL,
  content     text NOT NULL CONSTRAINT chat_messages_content_check CHECK (content <> '' AND char_length(content) <= 4000),
  type        text NOT NULL CONSTRAINT chat_messages_type_check CHECK (type IN ('TEXT', 'IMAGE', 'SYSTEM')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

CREATE TABLE chat_room_members (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  room_id              uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
  user_id              bigint NOT NULL,
  user_name            text NOT NULL,
  joined_at            timestamptz NOT NULL DEFAULT now(),
  left_at              timestamptz,
  is_admin             boolean NOT NULL DEFAULT false,
  last_read_message_id uuid REFERENCES chat_messages (id) ON DELETE SET NULL,
  last_read_at         timestamptz,
  CONSTRAINT chat_room_members_left_check CHECK (left_at IS NULL OR left_at >= joined_at)
);

CREATE TABLE message_reads (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL,
  read_at    timestamptz NOT NULL DEFAULT now()
);

-- The seed's six indexes.
CREATE INDEX chat_rooms_type_updated_idx ON chat_rooms (type, updated_at DESC);
CREATE INDEX chat_room_members_user_left_idx ON chat_room_members (user_id, left_at);
CREATE INDEX chat_room_members_room_user_idx ON chat_room_members (room_id, user_id);
-- id breaks ties between equal timestamps, so that history pages keyed on (created_at, id)
-- neither skip nor repeat a message.
CREATE INDEX chat_messages_room_created_idx ON chat_messages (room_id, created_at DESC, id DESC);
CREATE INDEX chat_messages_room_id_idx ON chat_messages (room_id, id);
-- One read receipt per user and message.
CREATE UNIQUE INDEX message_reads_message_user_idx ON message_reads (message_id, user_id);

-- At most one active membership per (room, user); history rows keep left_at.
CREATE UNIQUE INDEX chat_room_members_active_key ON chat_room_members (room_id, user_id) WHERE left_at IS NULL;
