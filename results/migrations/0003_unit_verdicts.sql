-- The station store, version 3: each unit's verdict, for yield analytics.

-- units.outcome is the DUT's verdict at its run's end (harness.Outcome:
-- pass, marginal, fail, error, aborted), NULL while the run goes on;
-- ended_ns is the time of that end. Every DUT of an ended run has a row,
-- identified or not (serial '' when it never was), so yield, retest and
-- Pareto queries read units and measurements alone, never event bodies.
ALTER TABLE units ADD COLUMN outcome TEXT;
ALTER TABLE units ADD COLUMN ended_ns INTEGER;

-- Runs ended before version 3: their verdicts are in their run.ended.
INSERT INTO units (run_id, dut)
  SELECT e.run_id, json_extract(j.value, '$.name')
  FROM events e JOIN json_each(e.body, '$.end.duts') j
  WHERE e.kind = 'run.ended'
  ON CONFLICT (run_id, dut) DO NOTHING;
UPDATE units SET outcome = v.outcome, ended_ns = v.t
  FROM (SELECT e.run_id AS r, json_extract(j.value, '$.name') AS d,
               json_extract(j.value, '$.outcome') AS outcome, e.time_ns AS t
        FROM events e JOIN json_each(e.body, '$.end.duts') j
        WHERE e.kind = 'run.ended') AS v
  WHERE units.run_id = v.r AND units.dut = v.d;

CREATE INDEX units_part ON units (part, ended_ns);
CREATE INDEX units_ended ON units (ended_ns);
