-- 0004: the plan and candidate events of an AutoML search (the running
-- view's budget, live leaderboard and score-over-time chart). Each is a
-- JSON document (protocol.Plan, protocol.Candidate) read and written whole;
-- NULL on every other event, and on every event stored before.

ALTER TABLE events ADD COLUMN plan TEXT;
ALTER TABLE events ADD COLUMN candidate TEXT;
