package results

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Outbox rows a station kept under a name that showed the password (a
// key=value string, a ?password= URL) are renamed to the masked name on
// the next open, with what the central database acknowledged: the
// password leaves the store and nothing is sent again.
func TestOutboxNamesLoseTheirPasswords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range []string{
		// A key=value target, with a rejected batch.
		`INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES ('host=db user=u password=secret dbname=fleet', 7, 1)`,
		`INSERT INTO outbox_parked (target, first_pos, last_pos, events, reason, parked_ns) VALUES ('host=db user=u password=secret dbname=fleet', 3, 4, 2, 'bad name', 1)`,
		// A URL target whose masked row exists already (sent again after
		// the change), behind the old one.
		`INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES ('postgres://u@db/fleet?password=hunter2', 9, 1)`,
		`INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES ('postgres://u@db/fleet?password=xxxxx', 5, 2)`,
		// Left alone: nothing to mask, and a name that does not parse.
		`INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES ('postgres://db/other', 2, 1)`,
		`INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES ('postgres://%zz', 1, 1)`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, o := range out {
		got[o.Target] = o.Acked
		if o.Target == "host=db user=u password=xxxxx dbname=fleet" && (len(o.Parked) != 1 || o.Parked[0].First != 3) {
			t.Errorf("parked batches of %s: %+v", o.Target, o.Parked)
		}
	}
	want := map[string]int64{
		"host=db user=u password=xxxxx dbname=fleet": 7,
		"postgres://u@db/fleet?password=xxxxx":       9,
		"postgres://db/other":                        2,
		"postgres://%zz":                             1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("outbox targets and acknowledged positions (-want +got):\n%s", diff)
	}
	for _, table := range []string{"outbox_state", "outbox_parked"} {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE target LIKE '%secret%' OR target LIKE '%hunter2%'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows still show a password (%v)", table, n, err)
		}
	}
	if strings.Contains(Redact("postgres://%zz"), "%zz") {
		t.Fatal("an unparsed name shown")
	}
}
