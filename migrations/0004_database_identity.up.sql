-- The database's identity: one UUID, written once, here, and copied to every physical replica.
-- Each service announces it on NATS, and the services of one chat-service group that name
-- different ones stop serving until they agree: one service pointed at another database made
-- half the joins answer NOT_FOUND and hid a share of the history, silently.
CREATE TABLE database_identity (
  id uuid NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
  only_row boolean NOT NULL DEFAULT true UNIQUE CHECK (only_row),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO database_identity DEFAULT VALUES;
