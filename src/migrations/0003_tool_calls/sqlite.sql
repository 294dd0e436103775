-- Tool calls: the owner's process start time (so a reused pid is not taken for the owner), and whether the recorded
-- output was cut at maxOutputBytes (so a replay reports it too).
ALTER TABLE tool_calls ADD COLUMN owner_start TEXT;
ALTER TABLE tool_calls ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
