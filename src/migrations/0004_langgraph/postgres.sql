-- LangGraph checkpoints written by AgentosSaver (src/langgraph), the tables of SQLite's migration 0004. Every row is
-- written under the thread's lease (work item "thread:<thread id>") and records it in lease_item/lease_epoch. Ids and
-- names sort by code point (COLLATE "C"), as on SQLite: checkpoint ids order by creation, writes in LangGraph's order.

-- One row per checkpoint of a thread's namespace, without its channel values: those live in langgraph_blobs, once per
-- channel version, so a checkpoint stores only the channels that changed.
CREATE TABLE langgraph_checkpoints (
  thread_id             text COLLATE "C" NOT NULL,
  checkpoint_ns         text COLLATE "C" NOT NULL,
  checkpoint_id         text COLLATE "C" NOT NULL,
  parent_checkpoint_id  text COLLATE "C",
  type                  text    NOT NULL,
  checkpoint            bytea   NOT NULL,
  -- JSON {channel: version as text}: the langgraph_blobs rows holding this checkpoint's channel values.
  channel_versions      text    NOT NULL,
  -- JSON text as serialized (list() filters on it, read as jsonb).
  metadata              text    NOT NULL,
  -- Evidence of the tasks whose writes produced this checkpoint, verified when those writes were saved.
  evidence              text,
  verified              boolean NOT NULL DEFAULT false,
  verification          text,
  verified_at           bigint,
  lease_item            text,
  lease_epoch           bigint,
  created_at            bigint  NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);

-- Channel values by version.
CREATE TABLE langgraph_blobs (
  thread_id      text COLLATE "C" NOT NULL,
  checkpoint_ns  text COLLATE "C" NOT NULL,
  channel        text COLLATE "C" NOT NULL,
  version        text COLLATE "C" NOT NULL,
  type           text  NOT NULL,
  value          bytea,
  PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
);

-- Pending writes of the tasks run from a checkpoint.
CREATE TABLE langgraph_writes (
  thread_id      text COLLATE "C" NOT NULL,
  checkpoint_ns  text COLLATE "C" NOT NULL,
  checkpoint_id  text COLLATE "C" NOT NULL,
  task_id        text COLLATE "C" NOT NULL,
  idx            integer NOT NULL,
  channel        text    NOT NULL,
  type           text    NOT NULL,
  value          bytea,
  task_path      text COLLATE "C" NOT NULL DEFAULT '',
  lease_item     text,
  lease_epoch    bigint,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);

-- Evidence a task attached, verified when its writes were saved (in the same statement).
CREATE TABLE langgraph_task_evidence (
  thread_id      text COLLATE "C" NOT NULL,
  checkpoint_ns  text COLLATE "C" NOT NULL,
  checkpoint_id  text COLLATE "C" NOT NULL,
  task_id        text COLLATE "C" NOT NULL,
  evidence       text   NOT NULL,
  verification   text   NOT NULL,
  verified_at    bigint NOT NULL,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id)
);
