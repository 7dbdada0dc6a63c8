-- The station store, version 1. Every event of every run is kept whole
-- (events.body, the event as JSON): the record and every report are
-- rebuilt from it. runs, units and measurements are indexes of the same
-- events for queries, exports and analytics, written in the same
-- transaction.

-- One row per run. ended_ns is NULL while the run goes on, and for a run
-- the station stopped during, until the store is next opened.
CREATE TABLE runs (
  id         TEXT PRIMARY KEY,           -- harness.NewRunID: unique, sorts by time
  name       TEXT NOT NULL,
  station    TEXT NOT NULL DEFAULT '',
  operator   TEXT NOT NULL DEFAULT '',
  batch      TEXT NOT NULL DEFAULT '',
  software   TEXT NOT NULL DEFAULT '',
  config     TEXT NOT NULL DEFAULT '{}', -- JSON object
  started_ns INTEGER NOT NULL,           -- Unix nanoseconds
  ended_ns   INTEGER,
  outcome    TEXT,                       -- pass, marginal, fail, aborted, error
  stop_cause TEXT NOT NULL DEFAULT '',
  recovered  INTEGER NOT NULL DEFAULT 0, -- 1: closed as aborted after the station stopped
  last_seq   INTEGER NOT NULL DEFAULT 0,
  owner      TEXT NOT NULL DEFAULT ''    -- the process writing it: host, boot, pid, start time
);
CREATE INDEX runs_started ON runs (started_ns);
CREATE INDEX runs_open ON runs (ended_ns) WHERE ended_ns IS NULL;

-- Every event, in order: (run_id, seq) is unique.
CREATE TABLE events (
  run_id  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  kind    TEXT NOT NULL,                 -- harness.EventKind
  dut     TEXT NOT NULL DEFAULT '',
  body    TEXT NOT NULL,                 -- the harness.Event as JSON
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- The unit each DUT slot of a run held, as identified so far.
CREATE TABLE units (
  run_id   TEXT NOT NULL,
  dut      TEXT NOT NULL,
  serial   TEXT NOT NULL DEFAULT '',
  part     TEXT NOT NULL DEFAULT '',
  revision TEXT NOT NULL DEFAULT '',
  slot     TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',   -- JSON object
  PRIMARY KEY (run_id, dut)
) WITHOUT ROWID;
CREATE INDEX units_serial ON units (serial);

-- One row per measurement. value is NULL for NaN (and an array's worst
-- point otherwise); points is the length of an array, NULL for a scalar.
CREATE TABLE measurements (
  run_id     TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  dut        TEXT NOT NULL,
  phase      TEXT NOT NULL DEFAULT '',
  attempt    INTEGER NOT NULL DEFAULT 0,
  name       TEXT NOT NULL,
  value      REAL,
  points     INTEGER,
  unit       TEXT NOT NULL DEFAULT '',
  comparator TEXT NOT NULL,              -- harness.Comparator
  low        REAL,
  high       REAL,
  nominal    REAL,
  outcome    TEXT NOT NULL,
  time_ns    INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX measurements_name ON measurements (name, time_ns);
