-- Checkpoints: an append-only, per-task, gap-free sequence of step states with optional evidence.
CREATE TABLE checkpoints (
  id            INTEGER PRIMARY KEY,
  task_id       TEXT    NOT NULL,
  seq           INTEGER NOT NULL,
  step          TEXT    NOT NULL,
  state         TEXT    NOT NULL,
  evidence      TEXT,
  verified      INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  verification  TEXT,
  created_at    INTEGER NOT NULL,
  verified_at   INTEGER,
  UNIQUE (task_id, seq)
);

-- Work items handed out under leases; epoch is the fencing token, bumped on every acquisition.
CREATE TABLE work_items (
  id                TEXT    PRIMARY KEY,
  task_id           TEXT,
  payload           TEXT    NOT NULL DEFAULT 'null',
  status            TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'leased', 'completed')),
  lease_holder      TEXT,
  lease_expires_at  INTEGER,
  epoch             INTEGER NOT NULL DEFAULT 0,
  attempts          INTEGER NOT NULL DEFAULT 0,
  recoveries        INTEGER NOT NULL DEFAULT 0,
  last_holder       TEXT,
  recovery_sweep    TEXT,
  result            TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX work_items_pending ON work_items (created_at, id) WHERE status = 'pending';
CREATE INDEX work_items_lease_expiry ON work_items (lease_expires_at) WHERE status = 'leased';

-- LLM outputs keyed by the hash of the canonical request.
CREATE TABLE llm_cache (
  key         TEXT    PRIMARY KEY,
  model       TEXT    NOT NULL,
  response    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX llm_cache_expiry ON llm_cache (expires_at);

-- Tool calls: a 'started' row is written before executing, so a crash mid-call leaves an in-doubt entry.
CREATE TABLE tool_calls (
  key          TEXT    PRIMARY KEY,
  command      TEXT    NOT NULL,
  cwd          TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('started', 'completed')),
  exit_code    INTEGER,
  timed_out    INTEGER NOT NULL DEFAULT 0,
  stdout       BLOB,
  stderr       BLOB,
  duration_ms  REAL,
  owner_pid    INTEGER,
  started_at   INTEGER NOT NULL,
  completed_at INTEGER,
  expires_at   INTEGER
) WITHOUT ROWID;
CREATE INDEX tool_calls_expiry ON tool_calls (expires_at);

-- Tasks run by the TaskRunner.
CREATE TABLE tasks (
  id          TEXT    PRIMARY KEY,
  status      TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error       TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
