//go:build unix

package pgtest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// holdServer takes a lock on the server at host for t's lifetime, shared
// or (alone) exclusive: a file lock, so that it holds across the test
// binaries go test runs at once. It is dropped when t ends or its
// process dies.
func holdServer(t testing.TB, host string, alone bool) {
	t.Helper()
	sum := sha256.Sum256([]byte(host))
	path := filepath.Join(os.TempDir(), "scpikit-pgtest-"+hex.EncodeToString(sum[:6])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatalf("pgtest: the server's lock file: %v", err)
	}
	how := syscall.LOCK_SH
	if alone {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("pgtest: locking %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
}
