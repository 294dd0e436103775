-- The process holding a named ownership item ("task:…", "thread:…"): host, pid space (boot id and pid namespace), pid
-- and start time, written with every acquisition. A holder provably dead on the acquirer's machine is taken over at once.
ALTER TABLE work_items
  ADD COLUMN holder_host      text,
  ADD COLUMN holder_pid_space text,
  ADD COLUMN holder_pid       integer,
  ADD COLUMN holder_start     text;
