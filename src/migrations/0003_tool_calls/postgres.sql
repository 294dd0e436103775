-- The tool ledger: one row per call key, 'started' before the command runs and 'completed' with its output after.
-- A 'started' row names its owner (host; pid space, the boot and pid namespace its pid belongs to; pid; start time) and, under a lease, the lease it ran under, so a
-- later caller can tell a call in progress from one cut off by a crash. claim tells one execution's row from another's.
CREATE TABLE tool_calls (
  key           text     PRIMARY KEY,
  command       text     NOT NULL,
  cwd           text     NOT NULL,
  status        text     NOT NULL CHECK (status IN ('started', 'completed')),
  claim         text     NOT NULL,
  exit_code     integer,
  timed_out     boolean  NOT NULL DEFAULT false,
  truncated     boolean  NOT NULL DEFAULT false,
  stdout        bytea,
  stderr        bytea,
  duration_ms   double precision,
  started_at    bigint   NOT NULL,
  completed_at  bigint,
  expires_at    bigint,
  owner_host    text,
  owner_pid_space text,
  owner_pid     integer,
  owner_start   text,
  lease_item    text,
  lease_epoch   bigint
);
CREATE INDEX tool_calls_expiry ON tool_calls (expires_at) WHERE status = 'completed';
