-- Every stored message moves its room's updated_at, and the seed's index on (type, updated_at)
-- makes each of those updates a new row version that is never HOT: a busy chat_rooms bloats
-- within seconds (70,000 dead versions of 200 rooms after a minute at 1,700 messages a second),
-- and every lookup by room id then walks them (a batch insert went from 0.7 ms to 6 ms).
-- Vacuum it after every 1,000 dead versions whatever its size, without the cost delay: it is a
-- small table. (autovacuum_naptime, a server setting, bounds how soon; see the README.)
ALTER TABLE chat_rooms SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                            autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.05);
