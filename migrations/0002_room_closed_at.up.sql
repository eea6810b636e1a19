-- A cancelled booking's room stays readable but takes no new messages.
ALTER TABLE chat_rooms ADD COLUMN closed_at timestamptz;
