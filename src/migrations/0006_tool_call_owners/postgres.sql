-- Nothing to do on PostgreSQL: its tool_calls table has recorded each call's claim and its owner's host and pid space
-- since migration 0003. This step brings SQLite's to the same.
SELECT 1;
