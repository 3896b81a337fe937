-- 0006: the paginated lists (GET /api/v1/experiments and /api/v1/datasets
-- with limit, cursor, sort, filters and q) and cheap counts.
--
-- Experiments get stored copies of what lists filter and sort on, written
-- with every insert and update by the store (experimentArgs), so that each
-- filter and sort is an index range, never a pass through the JSON of the
-- spec or the summary: the spec's name, dataset_id, target and priority,
-- the task that ran (the summary's, else the spec's), the best model's
-- cross-validated score and the run's duration in seconds (NULL until known).
ALTER TABLE experiments ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN dataset_id TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN target TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN task TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE experiments ADD COLUMN best_score REAL;
ALTER TABLE experiments ADD COLUMN duration REAL;
UPDATE experiments SET
	name       = COALESCE(json_extract(spec, '$.name'), ''),
	dataset_id = COALESCE(json_extract(spec, '$.dataset_id'), ''),
	target     = COALESCE(json_extract(spec, '$.target'), ''),
	task       = COALESCE(CASE WHEN json_valid(summary) THEN json_extract(summary, '$.task') END,
	                      json_extract(spec, '$.task'), ''),
	priority   = COALESCE(NULLIF(json_extract(spec, '$.priority'), ''), 'normal'),
	best_score = CASE WHEN json_valid(summary) THEN json_extract(summary, '$.best.cv_score') END,
	duration   = CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL
	                  THEN ROUND((julianday(finished_at) - julianday(started_at)) * 86400.0, 3) END;

-- Keyset pages: every index ends in seq (the creation order), the tie-breaker.
CREATE INDEX experiments_owner ON experiments(owner, seq);
CREATE INDEX experiments_dataset ON experiments(dataset_id, seq);
CREATE INDEX experiments_worker ON experiments(worker_name, seq);
CREATE INDEX experiments_task ON experiments(task, seq);
CREATE INDEX experiments_priority ON experiments(priority, seq);
CREATE INDEX experiments_score ON experiments(best_score, seq);
CREATE INDEX experiments_duration ON experiments(duration, seq);
-- A user's own rows in each sort (non-admins always filter on owner).
CREATE INDEX experiments_owner_score ON experiments(owner, best_score, seq);
CREATE INDEX experiments_owner_duration ON experiments(owner, duration, seq);
-- q= reads this index, not the table (whose rows carry the summaries).
CREATE INDEX experiments_search ON experiments(owner, name, target, id);
-- Counts for system info, the health API and quotas, from the index alone.
CREATE INDEX experiments_active ON experiments(status, queue, owner);
CREATE INDEX experiments_owner_status ON experiments(owner, status);
-- last_system_interaction of the health API: the latest finish, no scan.
CREATE INDEX experiments_finished ON experiments(finished_at);

-- Datasets get a seq like experiments (the upload order), so that their
-- pages have an exact keyset: created_at is text whose sub-second part
-- varies in length. Rows are copied in upload order, owner and shared kept.
CREATE TABLE datasets_v4 (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	size       INTEGER NOT NULL,
	rows       INTEGER NOT NULL,
	columns    TEXT NOT NULL, -- JSON array of column summaries
	created_at TEXT NOT NULL,
	owner      TEXT NOT NULL DEFAULT '',
	shared     INTEGER NOT NULL DEFAULT 0,
	column_count INTEGER NOT NULL DEFAULT 0
);
INSERT INTO datasets_v4(id, name, sha256, size, rows, columns, created_at, owner, shared, column_count)
SELECT id, name, sha256, size, rows, columns, created_at, owner, shared,
	CASE WHEN json_valid(columns) AND json_type(columns) = 'array' THEN json_array_length(columns) ELSE 0 END
FROM datasets ORDER BY julianday(created_at), created_at, id;
DROP TABLE datasets;
ALTER TABLE datasets_v4 RENAME TO datasets;
CREATE INDEX datasets_created ON datasets(created_at DESC, id);
CREATE INDEX datasets_owner ON datasets(owner, seq);
