DROP TABLE message_reads;
DROP TABLE chat_room_members;
DROP TABLE chat_messages;
DROP TABLE chat_rooms;
