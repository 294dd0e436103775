-- On PostgreSQL the fencing columns and the lease log came with 0001; this step adds what SQLite had from 0001:
-- the tasks table, its status writes fenced by the task's lease.
-- Tasks run by TaskRunner: each status write is fenced by the task's lease (work item "task:<id>").
CREATE TABLE tasks (
  id           text    PRIMARY KEY,
  status       text    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error        text,
  created_at   bigint  NOT NULL,
  updated_at   bigint  NOT NULL,
  lease_epoch  bigint
);
