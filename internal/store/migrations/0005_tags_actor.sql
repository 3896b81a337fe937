-- 0005: an experiment's tags (set by PATCH /api/v1/experiments/{id}) and
-- who caused an event (a user's name; '' for the system: workers, the
-- reaper, the engine). Old rows get no tags and no actor.

ALTER TABLE experiments ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings
ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
