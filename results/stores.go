package results

import (
	"fmt"
	"time"
)

// Which station store each station ID replicates from. Each store has a
// random ID of its own (Store.ID) that its batches carry (Batch.Store).
// Two stores under one ID at once (a configuration copied from one
// station PC to another) would otherwise show on the fleet page as one
// station whose backlog and last-seen time flip between the two, and be
// merged by analytics by station, with nobody told; one store replacing
// another (a re-imaged PC: a new, empty store under the same ID) is
// legitimate. Central.Ingest tells them apart and never refuses a batch
// for either: nothing may be lost.
//
// The rule: a change of store under an ID is recorded (when, and which
// store it replaced). A change within StoreConflictWindow of the one
// before it is a conflict: two stores alternating change it at every
// batch or heartbeat (30 s), while a re-image changes it once and then
// never again. So is a change back to the store it replaced, however
// long after: two PCs that take turns (a day shift's and a night
// shift's) change it once a shift, and a re-image never brings an old
// store back. A conflict shows for StoreConflictWindow after its last
// change, so it clears that long after each station got its own ID.
// Batches of no store (programs older than schema version 7) change
// nothing here.

// StoreConflictWindow is how close together two changes of store under
// one station ID make a conflict, and how long a conflict shows after
// its last change.
const StoreConflictWindow = time.Hour

// Receipt is the central database's answer to a batch.
type Receipt struct {
	Inserted int // events it did not have
	// Conflict is not nil while another store replicates under the
	// batch's station ID too (StoreConflictWindow).
	Conflict *StoreConflict
}

// StoreConflict is two station stores replicating under one station ID:
// two station PCs sharing a configuration. Give each its own ID
// (ReplicaOptions.Station, station --station).
type StoreConflict struct {
	Station string    `json:"station"` // the ID they share
	Stores  []string  `json:"stores"`  // the store of the latest batch, then the one before it
	Since   time.Time `json:"since"`   // when the conflict was first seen
	Last    time.Time `json:"last"`    // when the store last changed
}

// dbNowNS is the database server's clock in Unix nanoseconds: the store
// columns are stamped and compared with it, one clock for every station
// (last_seen_ns is the sending station's).
const dbNowNS = `(extract(epoch FROM statement_timestamp()) * 1000000000)::bigint`

// storeChanged: the batch names a store, the row has one, and they
// differ. A row without one (a station of an older program, now
// upgraded) takes the batch's as its first.
const storeChanged = `(excluded.store <> '' AND s.store <> '' AND excluded.store <> s.store)`

// storeConflictNow: the store changes now, within the window ($7) of
// its last change or back to the store that change replaced.
const storeConflictNow = `(` + storeChanged + ` AND (s.store_changed_ns > ` + dbNowNS + ` - $7 OR excluded.store = s.prev_store))`

// stationStoreCols are the stations row's store columns as
// stationStores scans them; the last says whether a conflict shows now
// (the window being $n, given by the statement).
func stationStoreCols(window string) string {
	return `store, prev_store, store_changes, store_changed_ns, conflict_since_ns, conflict_ns, conflict_ns > ` + dbNowNS + ` - ` + window
}

// upsertStation notes a batch on its station's row: $1 id, $2 the
// station's clock, $3 backlog, $4 its last position, $5 events new, $6
// its store, $7 StoreConflictWindow in nanoseconds. A conflict's last
// change never goes back: of two batches that race, the one whose
// statement began first can take the row second, and its earlier stamp
// would put the conflict's Last before its Since.
var upsertStation = `INSERT INTO stations AS s (id, last_seen_ns, backlog, pos, events, store) VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (id) DO UPDATE SET last_seen_ns = excluded.last_seen_ns, backlog = excluded.backlog,
		pos = greatest(s.pos, excluded.pos), events = s.events + excluded.events,
		store = CASE WHEN excluded.store = '' THEN s.store ELSE excluded.store END,
		prev_store = CASE WHEN ` + storeChanged + ` THEN s.store ELSE s.prev_store END,
		store_changes = s.store_changes + CASE WHEN ` + storeChanged + ` THEN 1 ELSE 0 END,
		store_changed_ns = CASE WHEN ` + storeChanged + ` THEN ` + dbNowNS + ` ELSE s.store_changed_ns END,
		conflict_since_ns = CASE WHEN ` + storeConflictNow + ` AND s.conflict_ns <= ` + dbNowNS + ` - $7 THEN ` + dbNowNS + ` ELSE s.conflict_since_ns END,
		conflict_ns = CASE WHEN ` + storeConflictNow + ` THEN greatest(s.conflict_ns, ` + dbNowNS + `) ELSE s.conflict_ns END
	RETURNING ` + stationStoreCols("$7")

// stationStores is what the stations row says of a station's stores.
type stationStores struct {
	store, prev            string
	changes                int64
	changedNS              int64
	conflictSince, conflNS int64
	conflicting            bool
}

func (st *stationStores) dest() []any {
	return []any{&st.store, &st.prev, &st.changes, &st.changedNS, &st.conflictSince, &st.conflNS, &st.conflicting}
}

// conflict is the station's conflict, nil when none shows.
func (st *stationStores) conflict(station string) *StoreConflict {
	if !st.conflicting {
		return nil
	}
	return &StoreConflict{Station: station, Stores: []string{st.store, st.prev},
		Since: time.Unix(0, st.conflictSince), Last: time.Unix(0, st.conflNS)}
}

// fill sets what s shows of the station's stores.
func (st *stationStores) fill(s *FleetStation) {
	s.Store, s.StoreChanges = st.store, st.changes
	if st.changedNS != 0 {
		t := time.Unix(0, st.changedNS)
		s.StoreChanged = &t
	}
	s.Conflict = st.conflict(s.ID)
}

// Warning is what a person should read and do about the conflict.
func (c *StoreConflict) Warning() string {
	return fmt.Sprintf("station ID %q is used by two station stores at once (%s and %s, alternating since %s): the fleet shows them as one station whose backlog and last-seen time flip between the two, and analytics by station merge them; nothing is lost. Give each station its own ID: --station (ReplicaOptions.Station)",
		c.Station, shortStore(c.Stores[0]), shortStore(c.Stores[1]), c.Since.UTC().Format(time.RFC3339))
}

// shortStore is a store's ID as messages show it: its first 8 digits,
// enough to tell a fleet's stores apart.
func shortStore(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
