-- 0007: experiment counts kept by triggers, so that System Info, the health
-- API and the queue quota read a table of a few rows instead of counting an
-- index of every experiment (100,000 experiments: tens of ms a request).
-- One row per (owner, status, queue); rows at 0 stay.
CREATE TABLE experiment_counts (
	owner  TEXT NOT NULL,
	status TEXT NOT NULL,
	queue  TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (owner, status, queue)
) WITHOUT ROWID;
INSERT INTO experiment_counts(owner, status, queue, n)
SELECT owner, status, queue, COUNT(*) FROM experiments GROUP BY owner, status, queue;

CREATE TRIGGER experiments_count_insert AFTER INSERT ON experiments BEGIN
	INSERT INTO experiment_counts(owner, status, queue, n) VALUES (NEW.owner, NEW.status, NEW.queue, 1)
	ON CONFLICT(owner, status, queue) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER experiments_count_delete AFTER DELETE ON experiments BEGIN
	UPDATE experiment_counts SET n = n - 1 WHERE owner = OLD.owner AND status = OLD.status AND queue = OLD.queue;
END;
CREATE TRIGGER experiments_count_update AFTER UPDATE OF owner, status, queue ON experiments
WHEN OLD.owner IS NOT NEW.owner OR OLD.status IS NOT NEW.status OR OLD.queue IS NOT NEW.queue BEGIN
	UPDATE experiment_counts SET n = n - 1 WHERE owner = OLD.owner AND status = OLD.status AND queue = OLD.queue;
	INSERT INTO experiment_counts(owner, status, queue, n) VALUES (NEW.owner, NEW.status, NEW.queue, 1)
	ON CONFLICT(owner, status, queue) DO UPDATE SET n = n + 1;
END;

-- The covering indexes 0006 made for these counts are no longer read.
DROP INDEX experiments_active;
DROP INDEX experiments_owner_status;
