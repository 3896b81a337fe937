-- 0008: an index of experiments by tag, for GET /api/v1/experiments?tag=X.
-- The tags stay a JSON array on the experiment (0005), read and written
-- whole; experiment_tags has one row per (tag, experiment), kept by
-- triggers on insert, update of tags and delete, so that a tag filter is a
-- range of this table instead of a pass through every row's JSON.
CREATE TABLE experiment_tags (
	tag TEXT NOT NULL,
	seq INTEGER NOT NULL, -- experiments.seq
	PRIMARY KEY (tag, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO experiment_tags(tag, seq)
SELECT j.value, e.seq FROM experiments e, json_each(e.tags) j
WHERE e.tags <> '[]' AND json_valid(e.tags) AND json_type(e.tags) = 'array' AND j.type = 'text';

CREATE TRIGGER experiments_tags_insert AFTER INSERT ON experiments
WHEN NEW.tags <> '[]' AND json_valid(NEW.tags) AND json_type(NEW.tags) = 'array' BEGIN
	INSERT OR IGNORE INTO experiment_tags(tag, seq) SELECT value, NEW.seq FROM json_each(NEW.tags) WHERE type = 'text';
END;
CREATE TRIGGER experiments_tags_update AFTER UPDATE OF tags ON experiments
WHEN OLD.tags IS NOT NEW.tags BEGIN
	DELETE FROM experiment_tags WHERE seq = OLD.seq AND tag IN
		(SELECT value FROM json_each(CASE WHEN json_valid(OLD.tags) AND json_type(OLD.tags) = 'array' THEN OLD.tags ELSE '[]' END));
	INSERT OR IGNORE INTO experiment_tags(tag, seq) SELECT value, NEW.seq
		FROM json_each(CASE WHEN json_valid(NEW.tags) AND json_type(NEW.tags) = 'array' THEN NEW.tags ELSE '[]' END) WHERE type = 'text';
END;
CREATE TRIGGER experiments_tags_delete AFTER DELETE ON experiments
WHEN OLD.tags <> '[]' AND json_valid(OLD.tags) AND json_type(OLD.tags) = 'array' BEGIN
	DELETE FROM experiment_tags WHERE seq = OLD.seq AND tag IN (SELECT value FROM json_each(OLD.tags));
END;
