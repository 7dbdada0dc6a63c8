-- The central database, version 7: which station store each station ID
-- replicates from (Batch.Store, the store's random ID; the station's
-- version 7 makes it), so that two stores replicating under one ID at
-- once (a configuration copied to a second PC) are found and shown
-- (Central.Fleet), while one store replacing another (a re-imaged PC) is
-- only recorded. Central.Ingest keeps these up to date in the upsert of
-- the stations row it already does, never refusing a batch for them.
-- Times are the database server's clock: one clock for every station.
-- Additive: a program of version 6 upserts stations rows without
-- naming these columns, which leaves them as they are: the same as a
-- batch with no store ID, which is taken and never flagged.
-- IF NOT EXISTS: a database whose version row was lost keeps what it has.
-- scpikit: additive
ALTER TABLE stations
  ADD COLUMN IF NOT EXISTS store             TEXT   NOT NULL DEFAULT '', -- the store of its latest batch that named one
  ADD COLUMN IF NOT EXISTS prev_store        TEXT   NOT NULL DEFAULT '', -- the one before it, at the last change
  ADD COLUMN IF NOT EXISTS store_changes     BIGINT NOT NULL DEFAULT 0,  -- how often the store changed
  ADD COLUMN IF NOT EXISTS store_changed_ns  BIGINT NOT NULL DEFAULT 0,  -- when it last changed, 0: never
  ADD COLUMN IF NOT EXISTS conflict_since_ns BIGINT NOT NULL DEFAULT 0,  -- when the latest conflict began, 0: never
  ADD COLUMN IF NOT EXISTS conflict_ns       BIGINT NOT NULL DEFAULT 0;  -- when it was last seen
