-- 0002: one column per field instead of JSON blobs of the REST types, so the
-- store's rows no longer change when the public API does. Every row of 0001
-- is copied: the JSON fields become columns; seq values (and the
-- AUTOINCREMENT high-water marks) are kept, so event cursors stay valid.
-- Only the column summaries of a dataset, an experiment's spec and its
-- summary stay JSON: they are documents read and written whole.

CREATE TABLE datasets_v2 (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	size       INTEGER NOT NULL,
	rows       INTEGER NOT NULL,
	columns    TEXT NOT NULL, -- JSON array of column summaries
	created_at TEXT NOT NULL
);
INSERT INTO datasets_v2(id, name, sha256, size, rows, columns, created_at)
SELECT id,
	COALESCE(json_extract(data, '$.name'), ''),
	sha256,
	COALESCE(json_extract(data, '$.size'), 0),
	COALESCE(json_extract(data, '$.rows'), 0),
	COALESCE(json_extract(data, '$.columns'), 'null'),
	created_at
FROM datasets;
DROP TABLE datasets;
ALTER TABLE datasets_v2 RENAME TO datasets;
CREATE INDEX datasets_created ON datasets(created_at DESC, id);

CREATE TABLE experiments_v2 (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	id            TEXT NOT NULL UNIQUE,
	status        TEXT NOT NULL,
	spec          TEXT NOT NULL, -- JSON of protocol.Spec
	failure_kind  TEXT NOT NULL DEFAULT '',
	error_code    TEXT,          -- NULL: no error
	error_message TEXT,
	attempt       INTEGER NOT NULL DEFAULT 0,
	worker        TEXT NOT NULL DEFAULT '',
	worker_name   TEXT NOT NULL DEFAULT '',
	queue         TEXT NOT NULL DEFAULT '',
	owner         TEXT NOT NULL DEFAULT '',
	progress      REAL NOT NULL DEFAULT 0,
	message       TEXT NOT NULL DEFAULT '',
	summary       TEXT,          -- JSON of the engine's summary; NULL: none
	created_at    TEXT NOT NULL,
	started_at    TEXT,
	finished_at   TEXT
);
INSERT INTO experiments_v2(seq, id, status, spec, failure_kind, error_code, error_message, attempt,
	worker, worker_name, queue, owner, progress, message, summary, created_at, started_at, finished_at)
SELECT seq, id, status,
	COALESCE(json_extract(data, '$.spec'), '{}'),
	COALESCE(json_extract(data, '$.failure_kind'), ''),
	CASE WHEN json_type(data, '$.error') = 'object' THEN COALESCE(json_extract(data, '$.error.code'), '') END,
	CASE WHEN json_type(data, '$.error') = 'object' THEN COALESCE(json_extract(data, '$.error.message'), '') END,
	COALESCE(json_extract(data, '$.attempt'), 0),
	COALESCE(json_extract(data, '$.worker'), ''),
	COALESCE(json_extract(data, '$.worker_name'), ''),
	COALESCE(json_extract(data, '$.queue'), ''),
	COALESCE(json_extract(data, '$.owner'), ''),
	COALESCE(json_extract(data, '$.progress'), 0),
	COALESCE(json_extract(data, '$.message'), ''),
	CASE WHEN json_type(data, '$.summary') = 'object' THEN json_extract(data, '$.summary') END,
	COALESCE(json_extract(data, '$.created_at'), ''),
	json_extract(data, '$.started_at'),
	json_extract(data, '$.finished_at')
FROM experiments;
DELETE FROM sqlite_sequence WHERE name = 'experiments_v2';
INSERT INTO sqlite_sequence(name, seq) SELECT 'experiments_v2', seq FROM sqlite_sequence WHERE name = 'experiments';
DROP TABLE experiments;
ALTER TABLE experiments_v2 RENAME TO experiments;
CREATE INDEX experiments_status ON experiments(status, seq);

CREATE TABLE events_v2 (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	experiment_id TEXT NOT NULL,
	time          TEXT NOT NULL,
	type          TEXT NOT NULL,
	attempt       INTEGER NOT NULL DEFAULT 0,
	fraction      REAL NOT NULL DEFAULT 0,
	level         TEXT NOT NULL DEFAULT '',
	message       TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT '',
	failure_kind  TEXT NOT NULL DEFAULT '',
	error_code    TEXT,          -- NULL: no error
	error_message TEXT,
	summary       TEXT,          -- JSON of the engine's summary (result lines); NULL: none
	bytes         INTEGER NOT NULL DEFAULT 0,
	cache_hit     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO events_v2(seq, experiment_id, time, type, attempt, fraction, level, message, status,
	failure_kind, error_code, error_message, summary, bytes, cache_hit)
SELECT seq, experiment_id,
	COALESCE(json_extract(data, '$.time'), ''),
	COALESCE(json_extract(data, '$.type'), ''),
	COALESCE(json_extract(data, '$.attempt'), 0),
	COALESCE(json_extract(data, '$.fraction'), 0),
	COALESCE(json_extract(data, '$.level'), ''),
	COALESCE(json_extract(data, '$.message'), ''),
	COALESCE(json_extract(data, '$.status'), ''),
	COALESCE(json_extract(data, '$.failure_kind'), ''),
	CASE WHEN json_type(data, '$.error') = 'object' THEN COALESCE(json_extract(data, '$.error.code'), '') END,
	CASE WHEN json_type(data, '$.error') = 'object' THEN COALESCE(json_extract(data, '$.error.message'), '') END,
	CASE WHEN json_type(data, '$.summary') IS NOT NULL AND json_type(data, '$.summary') <> 'null' THEN json_extract(data, '$.summary') END,
	COALESCE(json_extract(data, '$.bytes'), 0),
	CASE WHEN json_extract(data, '$.cache_hit') THEN 1 ELSE 0 END
FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_v2';
INSERT INTO sqlite_sequence(name, seq) SELECT 'events_v2', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_experiment ON events(experiment_id, seq);
