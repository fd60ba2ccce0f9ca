-- The engine's id of each build's image (the digest of its config: the same whatever name
-- or digest reached it), recorded the first time the build runs. An image the builder made
-- for one app runs only for users who may deploy that app (controller/release.c).
ALTER TABLE builds ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
CREATE INDEX builds_image_id ON builds(image_id);
