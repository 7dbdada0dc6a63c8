-- The station store, version 4: store-and-forward to a central database.

-- The outbox is not a copy of the events: it is every event after the
-- position the central database acknowledged (events.pos is gapless and
-- in commit order). One row per central database (target: its URL
-- without the password), so a station may feed two.
CREATE TABLE outbox_state (
  target     TEXT PRIMARY KEY,
  acked_pos  INTEGER NOT NULL DEFAULT 0,  -- the central database holds every event up to here
  acked_ns   INTEGER NOT NULL DEFAULT 0,  -- when it last acknowledged a batch
  error      TEXT NOT NULL DEFAULT '',    -- why it cannot be reached, '' while it can
  error_ns   INTEGER NOT NULL DEFAULT 0   -- since when
);

-- Events the central database rejected (a data error, not a network
-- one: a name PostgreSQL cannot store, say). Replication goes on past
-- them; station status shows them with the reason.
CREATE TABLE outbox_parked (
  target    TEXT NOT NULL,
  first_pos INTEGER NOT NULL,
  last_pos  INTEGER NOT NULL,
  events    INTEGER NOT NULL,
  reason    TEXT NOT NULL,
  parked_ns INTEGER NOT NULL,
  PRIMARY KEY (target, first_pos)
);

-- Analytics by station (the fleet's questions, asked of one station too).
CREATE INDEX runs_station ON runs (station, started_ns);
