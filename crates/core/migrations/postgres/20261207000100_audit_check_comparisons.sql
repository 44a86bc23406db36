-- SQLite's audit CHECK is rewritten as comparisons (an IN list cost it a temporary-index
-- lookup a row). PostgreSQL checks its IN list cheaply: nothing changes here; the file
-- keeps the two stores' migration lists the same.
SELECT 1;
