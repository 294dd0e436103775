-- The process holding a named ownership item ("task:…", "thread:…"): host, pid space (boot id and pid namespace), pid
-- and start time, written with every acquisition. A holder provably dead on this machine is taken over at once.
ALTER TABLE work_items ADD COLUMN holder_host TEXT;
ALTER TABLE work_items ADD COLUMN holder_pid_space TEXT;
ALTER TABLE work_items ADD COLUMN holder_pid INTEGER;
ALTER TABLE work_items ADD COLUMN holder_start TEXT;

-- AgentosSaver recorded its threads' holders in a table of its own; the work item now records every owner's.
DROP TABLE langgraph_thread_owners;
