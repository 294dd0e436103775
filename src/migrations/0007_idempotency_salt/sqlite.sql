-- A random salt made once with the schema, in every step's idempotency key: equal task ids in two databases get
-- different keys. One row; nothing writes it again.
CREATE TABLE idempotency_salt (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  salt TEXT NOT NULL
);
INSERT INTO idempotency_salt (id, salt) VALUES (1, lower(hex(randomblob(16))));
