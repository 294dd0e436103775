-- Tool calls: the claim that wrote the row (a call is claimed by compare-and-set on it, as on PostgreSQL), and where
-- its owner runs (host, and pid space: boot id and pid namespace), so that an owner in another container is not
-- judged by a pid that names another process here.
ALTER TABLE tool_calls ADD COLUMN claim TEXT;
ALTER TABLE tool_calls ADD COLUMN owner_host TEXT;
ALTER TABLE tool_calls ADD COLUMN owner_pid_space TEXT;
