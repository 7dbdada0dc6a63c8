package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/scpikit/scpikit/harness"
)

// The fleet as the central database sees it: what the fleet page shows
// (package station). Everything here reads what replication has brought
// so far; a station's events that wait in its outbox are its backlog.

// Bounds of a fleet snapshot: a page must stay readable and its memory
// bounded whatever the database holds. Beyond them a snapshot says it
// was cut (Fleet.More, FleetRun.MoreSlots).
const (
	MaxFleetStations = 200 // stations listed, in the order of their IDs
	MaxFleetSlots    = 64  // DUT slots listed per run
	MaxFleetParts    = 50  // parts whose yield is computed, the most tested first
)

// Fleet is a snapshot of every station, its current run and the yield
// per part since a time.
type Fleet struct {
	Stations []FleetStation `json:"stations"`
	More     int            `json:"more,omitempty"` // stations beyond MaxFleetStations, not listed
	Yield    []PartYield    `json:"yield"`          // per part, the most units first
	Since    time.Time      `json:"since"`          // the yield's units were first tested since then
}

// FleetStation is a station that has replicated to the central
// database.
type FleetStation struct {
	ID       string    `json:"id"`        // the ID it replicates under (ReplicaOptions.Station)
	LastSeen time.Time `json:"last_seen"` // when its last batch (or heartbeat) was committed
	Backlog  int64     `json:"backlog"`   // events it still had to send then
	Events   int64     `json:"events"`    // events received from it, resends not counted
	Software string    `json:"software,omitempty"`
	Run      *FleetRun `json:"run,omitempty"` // its newest run; nil before any
	// Store is the ID of the station store it replicates from
	// (Store.ID): "" while only programs older than schema version 7
	// have replicated under this ID.
	Store string `json:"store,omitempty"`
	// StoreChanged is when another store last took over this ID (a
	// re-imaged PC), and StoreChanges how often that happened; nil and 0
	// when it never did.
	StoreChanged *time.Time `json:"store_changed,omitempty"`
	StoreChanges int64      `json:"store_changes,omitempty"`
	// Conflict is not nil while two stores replicate under this ID at
	// once (StoreConflictWindow): two PCs sharing a configuration.
	Conflict *StoreConflict `json:"conflict,omitempty"`
}

// FleetRun is a station's newest run, as far as its events have
// arrived: while it goes on (Ended nil), the phase each DUT is in and its
// latest measurement; once ended, each DUT's verdict.
type FleetRun struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Operator  string      `json:"operator,omitempty"`
	Batch     string      `json:"batch,omitempty"`
	Software  string      `json:"software,omitempty"`
	Started   time.Time   `json:"started"`
	Ended     *time.Time  `json:"ended,omitempty"`
	Outcome   string      `json:"outcome"` // "running" until its run.ended event arrives
	StopCause string      `json:"stop_cause,omitempty"`
	Events    uint64      `json:"events"` // of its events, how many have arrived (its last sequence number)
	Slots     []FleetSlot `json:"slots"`
	MoreSlots int         `json:"more_slots,omitempty"`
}

// FleetSlot is one DUT of a run.
type FleetSlot struct {
	DUT     string `json:"dut"`
	Serial  string `json:"serial,omitempty"`
	Part    string `json:"part,omitempty"`
	Phase   string `json:"phase,omitempty"`   // the phase it is in, or ended last
	Attempt int    `json:"attempt,omitempty"` // of that phase
	// PhaseOutcome is the phase's outcome once it ended ("" while it
	// runs).
	PhaseOutcome string `json:"phase_outcome,omitempty"`
	// Latest is its latest measurement; Failed, how many of its
	// measurements failed so far.
	Latest *FleetMeasurement `json:"latest,omitempty"`
	Failed int               `json:"failed"`
	// Outcome is its verdict once the run ended: pass, marginal, fail,
	// error or aborted.
	Outcome string `json:"outcome,omitempty"`
}

// FleetMeasurement is a measurement as the fleet page shows it.
type FleetMeasurement struct {
	Name    string   `json:"name"`
	Value   *float64 `json:"value,omitempty"` // nil for a series or a value that is not finite
	Unit    string   `json:"unit,omitempty"`
	Outcome string   `json:"outcome"`
}

// PartYield is the first-pass yield of one part (Central.Yield's rules:
// a unit's first attempt, aborted runs left out, an error a fail).
type PartYield struct {
	Part string `json:"part"`
	Yield
}

// FleetToken is a value that changes whenever the central database
// takes a batch from any station (events, or a heartbeat that updates a
// backlog or a last-seen time): the fleet page's change counter, read
// with one aggregate over the stations table (a row per station), so it
// may be polled every second. The last-seen times are summed, not their
// maximum taken: they are the stations' clocks, and a heartbeat from a
// station whose clock is behind another's must change it too. It also
// changes when a shared station ID's conflict stops showing
// (StoreConflictWindow after its last change), which no batch marks:
// with every station silent, the page would show it for ever.
func (c *Central) FleetToken(ctx context.Context) (string, error) {
	var n, events, backlog, conflicts int64
	var seen string
	err := c.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(events), 0), coalesce(sum(backlog), 0), coalesce(sum(last_seen_ns), 0)::text,
		count(*) FILTER (WHERE conflict_ns > `+dbNowNS+` - $1) FROM stations`, StoreConflictWindow.Nanoseconds()).
		Scan(&n, &events, &backlog, &seen, &conflicts)
	if err != nil {
		return "", fmt.Errorf("results: fleet: %w", err)
	}
	return fmt.Sprintf("%d-%d-%d-%s-%d", n, events, backlog, seen, conflicts), nil
}

// Fleet is a snapshot of the fleet: every station (up to
// MaxFleetStations, by ID) with its newest run, and the first-pass
// yield per part of the units first tested since since.
func (c *Central) Fleet(ctx context.Context, since time.Time) (Fleet, error) {
	f := Fleet{Stations: []FleetStation{}, Yield: []PartYield{}, Since: since}
	rows, err := c.db.QueryContext(ctx, `SELECT id, last_seen_ns, backlog, events, (SELECT count(*) FROM stations), `+stationStoreCols("$2")+`
		FROM stations ORDER BY id COLLATE "C" LIMIT $1`, MaxFleetStations, StoreConflictWindow.Nanoseconds())
	if err != nil {
		return f, fmt.Errorf("results: fleet: stations: %w", err)
	}
	total := 0
	for rows.Next() {
		var s FleetStation
		var seen int64
		var st stationStores
		if err := rows.Scan(append([]any{&s.ID, &seen, &s.Backlog, &s.Events, &total}, st.dest()...)...); err != nil {
			rows.Close()
			return f, fmt.Errorf("results: fleet: stations: %w", err)
		}
		s.LastSeen = time.Unix(0, seen)
		st.fill(&s)
		f.Stations = append(f.Stations, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("results: fleet: stations: %w", err)
	}
	f.More = max(0, total-len(f.Stations))
	if err := c.fleetRuns(ctx, f.Stations); err != nil {
		return f, err
	}
	if f.Yield, err = c.PartYields(ctx, Scope{Since: since}); err != nil {
		return f, err
	}
	return f, nil
}

// FleetStation is one station as Fleet shows it; its error matches
// ErrNotFound for a station the database has not heard from.
func (c *Central) FleetStation(ctx context.Context, id string) (FleetStation, error) {
	s := FleetStation{ID: id}
	var seen int64
	var st stationStores
	err := c.db.QueryRowContext(ctx, `SELECT last_seen_ns, backlog, events, `+stationStoreCols("$2")+` FROM stations WHERE id = $1`, id, StoreConflictWindow.Nanoseconds()).
		Scan(append([]any{&seen, &s.Backlog, &s.Events}, st.dest()...)...)
	if err == sql.ErrNoRows {
		return s, fmt.Errorf("%w: the central database has heard from no station %q", ErrNotFound, id)
	}
	if err != nil {
		return s, fmt.Errorf("results: fleet: station %s: %w", id, err)
	}
	s.LastSeen = time.Unix(0, seen)
	st.fill(&s)
	list := []FleetStation{s}
	if err := c.fleetRuns(ctx, list); err != nil {
		return s, err
	}
	return list[0], nil
}

// fleetRuns fills in each station's newest run, in four statements
// whatever the number of stations.
func (c *Central) fleetRuns(ctx context.Context, stations []FleetStation) error {
	if len(stations) == 0 {
		return nil
	}
	ids := make([]string, len(stations))
	at := map[string]int{}
	for i, s := range stations {
		ids[i], at[s.ID] = s.ID, i
	}
	// The newest run of each: runs_owner (owner, started_ns) answers each
	// with one index read.
	rows, err := c.db.QueryContext(ctx, `SELECT s.id, r.id, r.name, r.operator, r.batch, r.software, r.started_ns, r.ended_ns, r.outcome, r.stop_cause, r.last_seq
		FROM unnest($1::text[]) AS s(id)
		CROSS JOIN LATERAL (SELECT * FROM runs WHERE owner = s.id ORDER BY started_ns DESC, id COLLATE "C" DESC LIMIT 1) r`, ids)
	if err != nil {
		return fmt.Errorf("results: fleet: runs: %w", err)
	}
	runs := map[string]*FleetRun{}
	var runIDs []string
	for rows.Next() {
		var st string
		var r FleetRun
		var started int64
		var ended sql.NullInt64
		var outcome sql.NullString
		if err := rows.Scan(&st, &r.ID, &r.Name, &r.Operator, &r.Batch, &r.Software, &started, &ended, &outcome, &r.StopCause, &r.Events); err != nil {
			rows.Close()
			return fmt.Errorf("results: fleet: runs: %w", err)
		}
		r.Started = time.Unix(0, started)
		r.Outcome = "running"
		if ended.Valid {
			t := time.Unix(0, ended.Int64)
			r.Ended = &t
			r.Outcome = outcome.String
		}
		r.Slots = []FleetSlot{}
		s := &stations[at[st]]
		s.Run, s.Software = &r, r.Software
		runs[r.ID] = &r
		runIDs = append(runIDs, r.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("results: fleet: runs: %w", err)
	}
	if len(runIDs) == 0 {
		return nil
	}
	// The slots, in the order of their DUT names.
	rows, err = c.db.QueryContext(ctx, `SELECT run_id, dut, serial, part, coalesce(outcome, '') FROM units WHERE run_id = ANY($1) ORDER BY run_id, dut COLLATE "C"`, runIDs)
	if err != nil {
		return fmt.Errorf("results: fleet: units: %w", err)
	}
	slot := map[[2]string]*FleetSlot{}
	for rows.Next() {
		var run string
		var u FleetSlot
		if err := rows.Scan(&run, &u.DUT, &u.Serial, &u.Part, &u.Outcome); err != nil {
			rows.Close()
			return fmt.Errorf("results: fleet: units: %w", err)
		}
		r := runs[run]
		if len(r.Slots) == MaxFleetSlots {
			r.MoreSlots++
			continue
		}
		r.Slots = append(r.Slots, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("results: fleet: units: %w", err)
	}
	for _, r := range runs {
		for i := range r.Slots {
			slot[[2]string{r.ID, r.Slots[i].DUT}] = &r.Slots[i]
		}
	}
	// Each DUT's latest phase event: the partial index events_phases.
	rows, err = c.db.QueryContext(ctx, `SELECT DISTINCT ON (run_id, dut) run_id, dut, body FROM events
		WHERE run_id = ANY($1) AND kind IN ('phase.started', 'phase.ended') ORDER BY run_id, dut, seq DESC`, runIDs)
	if err != nil {
		return fmt.Errorf("results: fleet: phases: %w", err)
	}
	for rows.Next() {
		var run, dut, body string
		if err := rows.Scan(&run, &dut, &body); err != nil {
			rows.Close()
			return fmt.Errorf("results: fleet: phases: %w", err)
		}
		u := slot[[2]string{run, dut}]
		var ev harness.Event
		if u == nil || json.Unmarshal([]byte(body), &ev) != nil || ev.Phase == nil {
			continue // a slot beyond the bound, or a body ingest would not have taken
		}
		u.Phase, u.Attempt = ev.Phase.Name, ev.Phase.Attempt
		if ev.Kind == harness.EventPhaseEnded {
			u.PhaseOutcome = ev.Phase.Outcome.String()
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("results: fleet: phases: %w", err)
	}
	// Each DUT's latest measurement and its count of failures so far.
	rows, err = c.db.QueryContext(ctx, `SELECT run_id, dut, name, value, unit, outcome, failed FROM (
			SELECT run_id, dut, name, value, unit, outcome,
				count(*) FILTER (WHERE outcome = 'fail') OVER (PARTITION BY run_id, dut) AS failed,
				row_number() OVER (PARTITION BY run_id, dut ORDER BY seq DESC) AS n
			FROM measurements WHERE run_id = ANY($1)) m
		WHERE n = 1`, runIDs)
	if err != nil {
		return fmt.Errorf("results: fleet: measurements: %w", err)
	}
	for rows.Next() {
		var run, dut string
		var m FleetMeasurement
		var v sql.NullFloat64
		var failed int
		if err := rows.Scan(&run, &dut, &m.Name, &v, &m.Unit, &m.Outcome, &failed); err != nil {
			rows.Close()
			return fmt.Errorf("results: fleet: measurements: %w", err)
		}
		if v.Valid && !math.IsNaN(v.Float64) && !math.IsInf(v.Float64, 0) {
			m.Value = &v.Float64
		}
		if u := slot[[2]string{run, dut}]; u != nil {
			u.Latest, u.Failed = &m, failed
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("results: fleet: measurements: %w", err)
	}
	return nil
}

// PartYields is the first-pass yield (Yield's rules) of each part with
// units first tested in sc, the part with the most such units first (up
// to MaxFleetParts); sc.Part is ignored. Units without a part are in no
// part's yield (Central.Yield with an empty Scope.Part counts them).
func (c *Central) PartYields(ctx context.Context, sc Scope) ([]PartYield, error) {
	out := []PartYield{}
	if err := sc.check(); err != nil {
		return out, err
	}
	sc.Part = ""
	where, args := scopeWhere(sc, true)
	rows, err := c.db.QueryContext(ctx, c.d.sql(`SELECT u.part FROM units u JOIN runs r ON r.id = u.run_id
		WHERE u.part != '' AND u.serial != '' AND u.outcome IS NOT NULL AND u.outcome != 'aborted'`+where+`
		GROUP BY u.part ORDER BY count(DISTINCT u.serial) DESC, u.part{C} LIMIT `+strconv.Itoa(MaxFleetParts)), args...)
	if err != nil {
		return out, fmt.Errorf("results: part yields: %w", err)
	}
	var parts []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return out, fmt.Errorf("results: part yields: %w", err)
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("results: part yields: %w", err)
	}
	for _, p := range parts {
		psc := sc
		psc.Part = p
		rep, err := c.Yield(ctx, psc)
		if err != nil {
			return out, err
		}
		if rep.Units == 0 {
			continue // tested in the scope, but first before it
		}
		out = append(out, PartYield{Part: p, Yield: rep.FirstPass})
	}
	return out, nil
}
