-- 0003: users beside the bootstrap admin (api_token, named 'admin'), and the
-- owner of every dataset (experiments have had an owner column since 0002).
-- Everything stored before users existed belongs to the bootstrap admin.

CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	admin         INTEGER NOT NULL DEFAULT 0,
	token_hash    TEXT NOT NULL DEFAULT '', -- SHA-256 hex of the API token; '' when revoked
	password_hash TEXT NOT NULL DEFAULT '', -- bcrypt; '' for none
	max_running   INTEGER NOT NULL DEFAULT -1, -- -1: the server's max_running_per_user; 0: no limit
	max_queued    INTEGER NOT NULL DEFAULT -1, -- -1: the server's max_queued_per_user; 0: no limit
	max_priority  TEXT NOT NULL DEFAULT '',    -- '': normal
	created_at    TEXT NOT NULL,
	revoked_at    TEXT
);
CREATE INDEX users_token ON users(token_hash);

ALTER TABLE datasets ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
UPDATE datasets SET owner = 'admin' WHERE owner = '';
UPDATE experiments SET owner = 'admin' WHERE owner = '';
