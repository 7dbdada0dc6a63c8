-- The central database, version 5: what the fleet page reads
-- (Central.Fleet), indexed so that a snapshot costs a few index reads
-- per station however many runs and events the database holds.

-- Each station's newest run: runs.owner is the ID the station replicates
-- under (stations.id), not the run info's station name.
CREATE INDEX runs_owner ON runs (owner, started_ns);

-- The phase each DUT of a run is in: only the phase events are indexed
-- (a partial index), so ingest of samples and measurements pays nothing.
CREATE INDEX events_phases ON events (run_id, dut, seq) WHERE kind IN ('phase.started', 'phase.ended');
