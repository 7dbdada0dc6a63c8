package main

import (
	"strings"
	"testing"

	"github.com/scpikit/scpikit/internal/pgtest"
)

func TestSyncAndStatus(t *testing.T) {
	path, _ := storeWithRun(t)
	code, _, errOut := runCmd(t, "sync", "--store", path)
	if code != exitUsage || !strings.Contains(errOut, "--db postgres://") {
		t.Errorf("sync without a database: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "sync", "--store", path, "--db", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if code != exitFailure || !strings.Contains(errOut, "run station sync again") {
		t.Errorf("sync to a database that is not there: exit %d, %q", code, errOut)
	}
	code, out, _ := runCmd(t, "status", "--store", path)
	if code != 0 || !strings.Contains(out, "never replicated") {
		t.Errorf("status before any sync: exit %d, %q", code, out)
	}

	url := pgtest.New(t)
	code, out, errOut = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
	if code != 0 || !strings.Contains(out, "caught up") || !strings.Contains(out, "new there") {
		t.Fatalf("sync: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
	if code != 0 || !strings.Contains(out, "0 events sent, 0 new there") {
		t.Errorf("second sync: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "status", "--store", path)
	if code != 0 || !strings.Contains(out, "backlog: 0 events to send") {
		t.Errorf("status: exit %d, %q", code, out)
	}
}
