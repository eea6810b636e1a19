ALTER TABLE chat_rooms DROP COLUMN closed_at;
