-- 0010: no automatic segment merging in experiments_fts (0009). Every
-- insert writes a small segment; with automerge at its default (4) a merge
-- ran inside every few inserts and made the create p99 28-32 ms at
-- 100,000 experiments (9.5-11 ms without the index). With automerge 0 only
-- FTS5's crisis merge (16 segments on one level) runs, a cheap merge of
-- small segments; queries read a few more segments (q=run-9 3.8 ms p50).
INSERT INTO experiments_fts(experiments_fts, rank) VALUES('automerge', 0);
