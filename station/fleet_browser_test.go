package station_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/station"
)

// The fleet page in chromium at 1366x768, as a supervisor sees it: ten
// stations replicated into a real PostgreSQL, reached from a station's
// page (station serve --db) by its Fleet link. Every station is listed
// and fits the screen; a run replicated after the page opened appears
// without a reload; the backlog shown is the database's, and follows it.
func TestFleetPageLive(t *testing.T) {
	dbURL, c := fleetDB(t)
	pass, fail := harness.OutcomePass, harness.OutcomeFail
	// Today's runs: at least a minute after midnight, so that all of
	// them are today.
	now := time.Now()
	if y, m, d := now.Date(); now.Before(time.Date(y, m, d, 0, 1, 0, 0, now.Location())) {
		now = time.Date(y, m, d, 0, 1, 0, 0, now.Location())
	}
	stores := make([]*results.Store, 10)
	for i := range stores {
		stores[i] = openStore(t, filepath.Join(t.TempDir(), fmt.Sprintf("s%d.db", i)))
		defer stores[i].Close()
		id := fmt.Sprintf("line-%02d", i+1)
		units := make([]fleetUnit, 4)
		for d := range units {
			o := pass
			if (i+d)%7 == 3 {
				o = fail
			}
			units[d] = fleetUnit{DUT: fmt.Sprintf("dut-%d", d+1), Serial: fmt.Sprintf("SN%02d%02d", i+1, d+1), Part: []string{"PSU-12", "PSU-5"}[(i/2)%2], Outcome: o}
		}
		// Odd stations are in the middle of a run, even ones have ended
		// theirs.
		scriptFleetRun(t, stores[i], now.Add(-time.Duration(10-i)*time.Second), "burn-in", units, i%2 == 1)
		replicate(t, stores[i], c, id)
	}
	ctx0 := context.Background()
	// Line 10's heartbeat: 7 events still to send.
	if _, err := c.Ingest(ctx0, results.Batch{Station: "line-10", Backlog: 7}); err != nil {
		t.Fatal(err)
	}

	// Line 7 was last heard from an hour ago: offline.
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx0, `UPDATE stations SET last_seen_ns = $1 WHERE id = 'line-07'`, now.Add(-time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}

	fleet := station.NewFleet(dbURL, station.WithFleetPoll(100*time.Millisecond))
	defer fleet.Close()
	srv, _ := serve(t, stores[0], station.WithFleet(fleet))
	ctx := browser(t)
	within(t, ctx, "following the station page's Fleet link",
		chromedp.Navigate(srv.URL()),
		chromedp.WaitVisible(chromedp.CSS(`#fleet-link`)),
		// Clicked through the DOM, not at the link's coordinates: the
		// header's text fills in as the page's stream draws it, which
		// can move the link between where a mouse click was aimed and
		// where it lands (the page then stayed where it was).
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[bool](`document.querySelector('#fleet-link').click(), true`)(ctx, tg)
			return chromedp.Void{}, err
		},
		chromedp.WaitVisible(chromedp.CSS(`#station-link`)), // the fleet page, with its link back
		chromedp.WaitVisible(chromedp.CSS(`#conn.live`)),
		chromedp.WaitVisible(chromedp.CSS(`.station[data-id="line-10"]`)),
	)
	ids := eval[[]string](t, ctx, `[...document.querySelectorAll('.station')].map(c => c.dataset.id)`)
	if len(ids) != 10 || ids[0] != "line-01" || ids[9] != "line-10" {
		t.Errorf("the page lists %v, want line-01 to line-10", ids)
	}
	// Readable on 1366x768: every card whole on the screen, no page
	// scrolling.
	if off := eval[[]string](t, ctx, `[...document.querySelectorAll('.station')].filter(c => {
			const r = c.getBoundingClientRect(); return r.bottom > innerHeight || r.right > innerWidth || r.height < 150; }).map(c => c.dataset.id)`); len(off) > 0 {
		t.Errorf("stations not wholly on the 1366x768 screen: %v", off)
	}
	backlogs := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('.station')].map(c => [c.dataset.id, c.querySelector('.backlog').textContent]))`)
	for _, id := range ids {
		want := "0"
		if id == "line-10" {
			want = "7"
		}
		if backlogs[id] != want {
			t.Errorf("%s: backlog shown %q, want %q", id, backlogs[id], want)
		}
	}
	if got := eval[string](t, ctx, `document.querySelector('.station[data-id="line-02"] .outcome').textContent + ' ' +
			document.querySelector('.station[data-id="line-02"] tr[data-serial="SN0201"] .ph').textContent`); got != "running load" {
		t.Errorf("line 2's run: %q, want running load", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.station[data-id="line-01"] .outcome').textContent`); got != "fail" {
		t.Errorf("line 1's run: %q, want fail (dut-4 fails)", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#yields li[data-part]').length`); n != 2 {
		t.Errorf("%d parts' yields shown, want 2", n)
	}
	online := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('.station')].map(c => [c.dataset.id, c.querySelector('.state').textContent]))`)
	for _, id := range ids {
		want := "online"
		if id == "line-07" {
			want = "offline"
		}
		if online[id] != want {
			t.Errorf("%s: shown %q, want %q", id, online[id], want)
		}
	}
	checkContrast(t, ctx)
	screenshot(t, ctx, "fleet.png")

	// Live: a run line 3 starts after the page opened, and the backlog
	// line 10 catches up, appear without a reload.
	eval[bool](t, ctx, `window.notReloaded = true`)
	scriptFleetRun(t, stores[2], time.Now(), "retest", []fleetUnit{{DUT: "dut-1", Serial: "NEW-1", Part: "PSU-12", Outcome: 0}}, true)
	replicate(t, stores[2], c, "line-03")
	replicate(t, stores[9], c, "line-10") // nothing to send: a heartbeat, backlog 0
	within(t, ctx, "the new run and the backlog, live",
		chromedp.WaitVisible(chromedp.CSS(`.station[data-id="line-03"] tr[data-serial="NEW-1"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('.station[data-id="line-10"] .backlog').textContent === '0'`),
	)
	if !eval[bool](t, ctx, `window.notReloaded === true`) {
		t.Error("the page was reloaded")
	}
	if got := eval[string](t, ctx, `document.querySelector('.station[data-id="line-03"] .run-name').textContent`); got != "retest" {
		t.Errorf("line 3's run shown: %q, want retest", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#banners .shared-id, .station[data-conflict="true"]').length`); n != 0 {
		t.Errorf("%d conflict banners or cards before any, want none", n)
	}

	// Two station PCs under one ID: a second store replicates as line-05
	// (a copied configuration), then line 5's own store again. The
	// banner naming the ID and what to do appears live, and the card is
	// marked.
	twin := openStore(t, filepath.Join(t.TempDir(), "twin.db"))
	defer twin.Close()
	replicate(t, twin, c, "line-05")
	replicate(t, stores[4], c, "line-05")
	within(t, ctx, "the shared-ID banner, live",
		chromedp.WaitVisible(chromedp.CSS(`#banners .shared-id[data-station="line-05"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.station[data-id="line-05"] .badge.conflict`)),
	)
	banner := eval[string](t, ctx, `document.querySelector('#banners .shared-id').textContent`)
	for _, want := range []string{`"line-05"`, twin.ID()[:8], stores[4].ID()[:8], "--station", "no result is lost"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner says %q, which does not name %q", banner, want)
		}
	}
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('.station[data-conflict="true"]')].map(c => c.dataset.id)`); !slices.Equal(got, []string{"line-05"}) {
		t.Errorf("cards marked as sharing their ID: %v, want [line-05]", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#banners .shared-id').length`); n != 1 {
		t.Errorf("%d shared-ID banners, want 1", n)
	}
	if !eval[bool](t, ctx, `window.notReloaded === true`) {
		t.Error("the page was reloaded")
	}
	checkContrast(t, ctx)
	screenshot(t, ctx, "fleet-shared-id.png")
}
