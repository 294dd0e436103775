-- Fencing: rows written under a lease record the lease's item and epoch.
ALTER TABLE checkpoints ADD COLUMN lease_item TEXT;
ALTER TABLE checkpoints ADD COLUMN lease_epoch INTEGER;
ALTER TABLE tool_calls ADD COLUMN lease_item TEXT;
ALTER TABLE tool_calls ADD COLUMN lease_epoch INTEGER;
ALTER TABLE tasks ADD COLUMN lease_epoch INTEGER;

-- Every acquisition and every write accepted under a lease, in commit order (AUTOINCREMENT never reuses a number),
-- so a checker can prove afterwards that no write was accepted under an epoch older than the item's newest.
CREATE TABLE lease_log (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id  TEXT    NOT NULL,
  epoch    INTEGER NOT NULL,
  holder   TEXT    NOT NULL,
  op       TEXT    NOT NULL,
  at       INTEGER NOT NULL
);
CREATE INDEX lease_log_item ON lease_log (item_id, seq);
