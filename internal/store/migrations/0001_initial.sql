-- 0001: the schema of drover up to commit 77055ae, where datasets,
-- experiments and events were kept as JSON blobs (data) of the REST types.
-- IF NOT EXISTS: a database written before migrations existed has exactly
-- these tables already, and takes this migration as a no-op.
CREATE TABLE IF NOT EXISTS datasets (
	id         TEXT PRIMARY KEY,
	sha256     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	data       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS experiments (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	status     TEXT NOT NULL,
	data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS experiments_status ON experiments(status, seq);
CREATE TABLE IF NOT EXISTS attempts (
	experiment_id TEXT NOT NULL,
	attempt       INTEGER NOT NULL,
	worker        TEXT NOT NULL,
	started_at    TEXT NOT NULL,
	finished_at   TEXT,
	outcome       TEXT,
	failure_kind  TEXT,
	PRIMARY KEY (experiment_id, attempt)
);
CREATE TABLE IF NOT EXISTS events (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	experiment_id TEXT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_experiment ON events(experiment_id, seq);
