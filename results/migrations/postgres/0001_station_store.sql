-- The central database, version 1: the station store's tables (see
-- ../0001_station_store.sql for what each column means) with the types
-- PostgreSQL wants. Every station replicates its events here; runs,
-- units and measurements are folded from them by the same Go code that
-- writes a station's (results/write.go), in the transaction that inserts
-- the events. Bodies stay TEXT, not JSONB: the event is kept byte for
-- byte as the station encoded it, and JSONB would reorder its keys.

CREATE TABLE runs (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  station    TEXT NOT NULL DEFAULT '',
  operator   TEXT NOT NULL DEFAULT '',
  batch      TEXT NOT NULL DEFAULT '',
  software   TEXT NOT NULL DEFAULT '',
  config     TEXT NOT NULL DEFAULT '{}',
  started_ns BIGINT NOT NULL,
  ended_ns   BIGINT,
  outcome    TEXT,
  stop_cause TEXT NOT NULL DEFAULT '',
  recovered  INTEGER NOT NULL DEFAULT 0,
  last_seq   BIGINT NOT NULL DEFAULT 0,
  owner      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_started ON runs (started_ns);
CREATE INDEX runs_open ON runs (ended_ns) WHERE ended_ns IS NULL;

CREATE TABLE events (
  run_id  TEXT NOT NULL,
  seq     BIGINT NOT NULL,
  time_ns BIGINT NOT NULL,
  kind    TEXT NOT NULL,
  dut     TEXT NOT NULL DEFAULT '',
  body    TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE units (
  run_id   TEXT NOT NULL,
  dut      TEXT NOT NULL,
  serial   TEXT NOT NULL DEFAULT '',
  part     TEXT NOT NULL DEFAULT '',
  revision TEXT NOT NULL DEFAULT '',
  slot     TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, dut)
);
CREATE INDEX units_serial ON units (serial);

CREATE TABLE measurements (
  run_id     TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  dut        TEXT NOT NULL,
  phase      TEXT NOT NULL DEFAULT '',
  attempt    INTEGER NOT NULL DEFAULT 0,
  name       TEXT NOT NULL,
  value      DOUBLE PRECISION,
  points     INTEGER,
  unit       TEXT NOT NULL DEFAULT '',
  comparator TEXT NOT NULL,
  low        DOUBLE PRECISION,
  high       DOUBLE PRECISION,
  nominal    DOUBLE PRECISION,
  outcome    TEXT NOT NULL,
  time_ns    BIGINT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX measurements_name ON measurements (name, time_ns);
