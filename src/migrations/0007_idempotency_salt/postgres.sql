-- A random salt made once with the schema, in every step's idempotency key: equal task ids in two databases get
-- different keys. One row; nothing writes it again. gen_random_uuid() is in core since PostgreSQL 13.
CREATE TABLE idempotency_salt (
  id   integer PRIMARY KEY CHECK (id = 1),
  salt text NOT NULL
);
INSERT INTO idempotency_salt (id, salt) VALUES (1, replace(gen_random_uuid()::text, '-', ''));
