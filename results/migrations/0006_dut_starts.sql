-- The station store, version 6: the DUTs each run started, in order,
-- found without reading the run's other events (a run with fast
-- monitors holds millions), for the list of runs (Store.Runs: the
-- station page's, station list's). A partial index, with dut in it so
-- that it answers alone: ingest pays only for dut.started events.
-- IF NOT EXISTS: a store whose version row was lost keeps what it has.
-- scpikit: additive
CREATE INDEX IF NOT EXISTS events_dut_starts ON events (run_id, seq, dut) WHERE kind = 'dut.started';
