-- 0009: a trigram index of the experiments' name, target and id, for
-- GET /api/v1/experiments?q=X with X of 3 characters or more. Before, q
-- was a LIKE through every row of experiments_search (0006): 60-150 ms
-- at 100,000 experiments. The index is contentless (it keeps trigrams and
-- row numbers, not a second copy of the text) and kept by triggers on
-- insert, update of the three columns and delete. Shorter q still goes
-- through experiments_search.
CREATE VIRTUAL TABLE experiments_fts USING fts5(
	name, target, id,
	content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO experiments_fts(rowid, name, target, id) SELECT seq, name, target, id FROM experiments;

CREATE TRIGGER experiments_fts_insert AFTER INSERT ON experiments BEGIN
	INSERT INTO experiments_fts(rowid, name, target, id) VALUES (NEW.seq, NEW.name, NEW.target, NEW.id);
END;
CREATE TRIGGER experiments_fts_update AFTER UPDATE OF name, target, id ON experiments
WHEN OLD.name IS NOT NEW.name OR OLD.target IS NOT NEW.target OR OLD.id IS NOT NEW.id BEGIN
	DELETE FROM experiments_fts WHERE rowid = OLD.seq;
	INSERT INTO experiments_fts(rowid, name, target, id) VALUES (NEW.seq, NEW.name, NEW.target, NEW.id);
END;
CREATE TRIGGER experiments_fts_delete AFTER DELETE ON experiments BEGIN
	DELETE FROM experiments_fts WHERE rowid = OLD.seq;
END;
