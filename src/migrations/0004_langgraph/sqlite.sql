-- LangGraph checkpoints written by AgentosSaver (src/langgraph). Every row is written under the thread's lease (work
-- item "thread:<thread id>") and records it in lease_item/lease_epoch, as the layer's own checkpoints do.

-- One row per checkpoint of a thread's namespace. The checkpoint is stored without its channel values: those live in
-- langgraph_blobs, once per channel version, so a checkpoint stores only the channels that changed.
CREATE TABLE langgraph_checkpoints (
  thread_id             TEXT    NOT NULL,
  checkpoint_ns         TEXT    NOT NULL,
  checkpoint_id         TEXT    NOT NULL,
  parent_checkpoint_id  TEXT,
  type                  TEXT    NOT NULL,
  checkpoint            BLOB    NOT NULL,
  -- JSON {channel: version}: the langgraph_blobs rows holding this checkpoint's channel values.
  channel_versions      TEXT    NOT NULL,
  metadata              TEXT    NOT NULL,
  -- Evidence of the tasks whose writes produced this checkpoint, verified when those writes were saved.
  evidence              TEXT,
  verified              INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  verification          TEXT,
  verified_at           INTEGER,
  lease_item            TEXT,
  lease_epoch           INTEGER,
  created_at            INTEGER NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
) WITHOUT ROWID;

-- Channel values by version.
CREATE TABLE langgraph_blobs (
  thread_id      TEXT NOT NULL,
  checkpoint_ns  TEXT NOT NULL,
  channel        TEXT NOT NULL,
  version        TEXT NOT NULL,
  type           TEXT NOT NULL,
  value          BLOB,
  PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
) WITHOUT ROWID;

-- Pending writes of the tasks run from a checkpoint.
CREATE TABLE langgraph_writes (
  thread_id      TEXT    NOT NULL,
  checkpoint_ns  TEXT    NOT NULL,
  checkpoint_id  TEXT    NOT NULL,
  task_id        TEXT    NOT NULL,
  idx            INTEGER NOT NULL,
  channel        TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  value          BLOB,
  task_path      TEXT    NOT NULL DEFAULT '',
  lease_item     TEXT,
  lease_epoch    INTEGER,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
) WITHOUT ROWID;

-- Evidence a task attached, verified when its writes were saved (in the same transaction).
CREATE TABLE langgraph_task_evidence (
  thread_id      TEXT    NOT NULL,
  checkpoint_ns  TEXT    NOT NULL,
  checkpoint_id  TEXT    NOT NULL,
  task_id        TEXT    NOT NULL,
  evidence       TEXT    NOT NULL,
  verification   TEXT    NOT NULL,
  verified_at    INTEGER NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id)
) WITHOUT ROWID;

-- The process holding a thread's lease: a lease whose holder process has died on this host is taken over at once.
CREATE TABLE langgraph_thread_owners (
  item_id    TEXT    PRIMARY KEY,
  holder     TEXT    NOT NULL,
  epoch      INTEGER NOT NULL,
  host       TEXT    NOT NULL,
  pid        INTEGER NOT NULL,
  pid_start  TEXT
) WITHOUT ROWID;
