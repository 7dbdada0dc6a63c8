-- The central database, version 4: what replication needs.

-- Every station that sent events: when it was last heard from and how
-- many events it still had to send then (its backlog), for the fleet
-- page; pos is the last of its store's positions received.
CREATE TABLE stations (
  id           TEXT PRIMARY KEY,
  last_seen_ns BIGINT NOT NULL,
  backlog      BIGINT NOT NULL DEFAULT 0,
  pos          BIGINT NOT NULL DEFAULT 0,
  events       BIGINT NOT NULL DEFAULT 0  -- events received from it (resends not counted)
);

-- The station each event came from (events.pos is its position there).
ALTER TABLE events ADD COLUMN station TEXT NOT NULL DEFAULT '';
CREATE INDEX events_station ON events (station, pos);

-- Analytics by station.
CREATE INDEX runs_station ON runs (station, started_ns);
