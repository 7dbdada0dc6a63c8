-- The central database, version 6: nothing. The station's version 6
-- (../0006_dut_starts.sql) indexes the DUTs each run started for the
-- station's list of runs; the central database lists a run's units from
-- its units table (Central.Fleet).
-- scpikit: additive
SELECT 1;
