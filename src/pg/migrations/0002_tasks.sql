-- Tasks run by PgTaskRunner: each status write is fenced by the task's lease (work item "task:<id>").
CREATE TABLE tasks (
  id           text    PRIMARY KEY,
  status       text    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error        text,
  created_at   bigint  NOT NULL,
  updated_at   bigint  NOT NULL,
  lease_epoch  bigint
);
