-- Every unit the scheduler created, by the engine's id (a container for the docker driver,
-- a service for the swarm driver). Only these are routed, listed and counted as an app's:
-- labels are data anyone can write (a Dockerfile LABEL reaches the daemon's build-step
-- containers), an engine id is not. Rows go when the scheduler removes the unit; rows of
-- units the engine no longer has are pruned when the controller starts.
CREATE TABLE scheduled (
	id TEXT PRIMARY KEY,
	app TEXT NOT NULL,
	release INTEGER NOT NULL,
	type TEXT NOT NULL,
	num INTEGER NOT NULL,
	created TEXT NOT NULL
);
CREATE INDEX scheduled_app ON scheduled(app);
