-- The recovery layer on PostgreSQL: the same tables as on SQLite. Times are milliseconds since the epoch, taken from
-- the server's clock (agentos_now_ms), never a client's.
CREATE FUNCTION agentos_now_ms() RETURNS bigint LANGUAGE sql VOLATILE
  AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

-- Checkpoints: an append-only, per-task, gap-free sequence of step states with optional evidence.
CREATE TABLE checkpoints (
  id            bigserial PRIMARY KEY,
  task_id       text     NOT NULL,
  seq           integer  NOT NULL,
  step          text     NOT NULL,
  state         text     NOT NULL,
  evidence      text,
  verified      boolean  NOT NULL DEFAULT false,
  verification  text,
  created_at    bigint   NOT NULL,
  verified_at   bigint,
  lease_item    text,
  lease_epoch   bigint,
  UNIQUE (task_id, seq)
);

-- Each task's last sequence number. Taking the next one locks the task's row until the commit, and a rolled-back
-- insert rolls the number back too: numbers are gap-free under concurrency.
CREATE TABLE checkpoint_seqs (
  task_id  text    PRIMARY KEY,
  last     integer NOT NULL
);

-- Work items handed out under leases; epoch is the fencing token, bumped on every acquisition.
CREATE TABLE work_items (
  id                text    PRIMARY KEY,
  task_id           text,
  payload           text    NOT NULL DEFAULT 'null',
  status            text    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'leased', 'completed')),
  lease_holder      text,
  lease_expires_at  bigint,
  epoch             bigint  NOT NULL DEFAULT 0,
  attempts          integer NOT NULL DEFAULT 0,
  recoveries        integer NOT NULL DEFAULT 0,
  last_holder       text,
  result            text,
  created_at        bigint  NOT NULL,
  updated_at        bigint  NOT NULL
);
CREATE INDEX work_items_pending ON work_items (created_at, id) WHERE status = 'pending';
CREATE INDEX work_items_lease_expiry ON work_items (lease_expires_at) WHERE status = 'leased';

-- Every acquisition, reclaim and write accepted under a lease, numbered by seq. An item's rows are inserted while its
-- work_items row is locked, so their order per item is the commit order (two checkpoints at one epoch may share the
-- lock, and either order is valid). One index only: two per row cost a sixth of batched lease throughput.
CREATE TABLE lease_log (
  seq      bigserial NOT NULL,
  item_id  text    NOT NULL,
  epoch    bigint  NOT NULL,
  holder   text    NOT NULL,
  op       text    NOT NULL,
  at       bigint  NOT NULL
);
CREATE INDEX lease_log_item ON lease_log (item_id, seq);

-- LLM outputs keyed by the hash of the canonical request.
CREATE TABLE llm_cache (
  key         text    PRIMARY KEY,
  model       text    NOT NULL,
  response    text    NOT NULL,
  created_at  bigint  NOT NULL,
  expires_at  bigint  NOT NULL
);
CREATE INDEX llm_cache_expiry ON llm_cache (expires_at);
