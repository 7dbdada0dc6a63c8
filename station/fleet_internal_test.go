package station

import (
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
)

// A request for another day's yield is answered, but leaves the snapshot
// of today that every open page's stream shares where it was.
func TestOtherSinceKeepsTodaysSnapshot(t *testing.T) {
	dbURL := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := results.OpenCentral(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := NewFleet(dbURL)
	defer f.Close()
	today := f.today()
	if _, err := f.view(ctx, c, today); err != nil {
		t.Fatal(err)
	}
	week := today.AddDate(0, 0, -7)
	v, err := f.view(ctx, c, week)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Since.Equal(week) {
		t.Errorf("the week's view is since %v, want %v", v.Since, week)
	}
	f.mu.Lock()
	cached := f.cache.Since
	f.mu.Unlock()
	if !cached.Equal(today) {
		t.Errorf("the shared snapshot is since %v after a request for a week; want today's (%v) kept", cached, today)
	}
}
