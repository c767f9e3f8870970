-- An interaction can reach PostgreSQL after an event it should have been
-- credited for (another stream shard, another consumer, a spool replayed
-- late). Each share keeps its visitor, so that such a touch finds the
-- events it reaches and they are split again. Shares written before this
-- migration have none and stay as they are. Hex keys compare byte by byte
-- (see 022: under the database's locale this index cost a quarter of the
-- ingest rate).
ALTER TABLE attributions ADD COLUMN visitor_key text COLLATE "C";
CREATE INDEX attributions_by_visitor ON attributions (tenant_id, visitor_key, occurred_at)
    WHERE visitor_key IS NOT NULL;

-- and its user: a Webmarketer event's, whose offline touches (interactions
-- stitched to the user by identity) count like its visitor's
ALTER TABLE attributions ADD COLUMN user_id uuid;
CREATE INDEX attributions_by_user ON attributions (tenant_id, user_id, occurred_at) WHERE user_id IS NOT NULL;
