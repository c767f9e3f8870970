-- An offline interaction (POST .../interactions/offline) names its user by
-- identity fields, not by a visitor key: the user it was stitched to.
ALTER TABLE interactions ADD COLUMN user_id uuid;
CREATE INDEX interactions_by_user ON interactions (tenant_id, user_id, occurred_at) WHERE user_id IS NOT NULL;
