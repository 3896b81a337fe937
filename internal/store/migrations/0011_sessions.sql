-- 0011: browser sessions in the store, so that a server restart logs no
-- one out. A row is keyed by the SHA-256 of the session id (the cookie's
-- value is never stored); cred is the fingerprint of the user's
-- credentials at login, which each request compares with the user's now.
CREATE TABLE sessions (
	id_hash    BLOB PRIMARY KEY,
	user       TEXT NOT NULL,
	cred       BLOB NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user);
CREATE INDEX sessions_expires ON sessions(expires_at);
