-- The station store, version 7: its identity, a random ID made once,
-- when the store is made or, for an older store, upgraded to this
-- version (Store.ID). Every batch the store replicates carries it
-- (Batch.Store), so that the central database tells two stores
-- replicating under one station ID at once (a configuration copied to a
-- second PC) from one store replaced by another (a re-imaged PC).
-- Additive: a program of version 6 neither reads nor writes this table;
-- its batches carry no store ID, which the central database takes as it
-- always did. A copy of the store's file is the same store: same ID.
-- IF NOT EXISTS: a store whose version row was lost keeps its ID.
-- scpikit: additive
CREATE TABLE IF NOT EXISTS store_identity (
  one        INTEGER PRIMARY KEY CHECK (one = 1), -- a single row
  id         TEXT NOT NULL,                       -- 32 hex digits, random
  created_ns INTEGER NOT NULL
);
INSERT INTO store_identity (one, id, created_ns)
  SELECT 1, lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER) * 1000000
  WHERE NOT EXISTS (SELECT 1 FROM store_identity);
