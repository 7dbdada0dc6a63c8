-- The station store, version 2: the operator's station (station serve).

-- events.pos is the order in which events were committed, across runs:
-- the writer of every process gives each event the next number inside
-- its write transaction, which SQLite serialises, so a reader that has
-- seen position N has seen every event before it. A live page follows
-- it (runs going on at once interleave; run IDs alone could not say
-- what came after what). Events stored before version 2 are numbered by
-- run, then seq.
ALTER TABLE events ADD COLUMN pos INTEGER;
UPDATE events SET pos = o.n
  FROM (SELECT run_id AS r, seq AS s, row_number() OVER (ORDER BY run_id, seq) AS n FROM events) AS o
  WHERE events.run_id = o.r AND events.seq = o.s;
CREATE UNIQUE INDEX events_pos ON events (pos);

-- What the station page asks of a run: a prompt's answer, a stop. The
-- web server (any process) inserts a row; the process running the run
-- takes it (taken_ns) and acts on it. The first answer to a prompt wins:
-- a second one is refused by the unique index.
CREATE TABLE controls (
  id         INTEGER PRIMARY KEY,
  run_id     TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('answer', 'stop')),
  prompt_id  TEXT NOT NULL DEFAULT '',     -- answer: the prompt's ID within the run
  answer     TEXT NOT NULL DEFAULT '',
  author     TEXT NOT NULL DEFAULT '',     -- who: "page", "terminal", ...
  immediate  INTEGER NOT NULL DEFAULT 0,   -- stop: 1 as a second Ctrl-C, 0 as the first
  created_ns INTEGER NOT NULL,
  taken_ns   INTEGER                       -- NULL until the run's process took it
);
CREATE UNIQUE INDEX controls_answer ON controls (run_id, prompt_id) WHERE kind = 'answer';
CREATE INDEX controls_pending ON controls (run_id, kind) WHERE taken_ns IS NULL;

-- A run's prompts and their answers, found without reading its samples.
CREATE INDEX events_prompts ON events (run_id, seq) WHERE kind IN ('prompt', 'prompt.answered', 'prompt.cancelled');
