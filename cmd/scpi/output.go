package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scpikit/scpikit/scpi"
)

// printable returns text from an instrument (or the network) as it came
// when every character in it is printable, else quoted with Go's escapes,
// as %q prints it: an escape sequence from a hostile or broken instrument
// then shows as \x1b[... instead of driving the terminal.
func printable(s string) string {
	if isPrintable(s) {
		return s
	}
	return strconv.Quote(s)
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || !strconv.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}

// reply prints one reply on its line: escaped unless raw is set.
func reply(w io.Writer, s string, raw bool) { fmt.Fprintln(w, printableUnless(raw, s)) }

// errBlockCap is a block payload larger than --max-block allows.
var errBlockCap = fmt.Errorf("%w: more than --max-block allows", scpi.ErrBlockTooLarge)

// capWriter passes at most max bytes on; a write that would go beyond fails
// with errBlockCap and writes nothing of itself. The session then discards
// the rest of the payload and stays in step.
type capWriter struct {
	w       io.Writer
	max     int64
	written int64
}

// BlockSize refuses, from its header, a block larger than the cap, so a
// lying header is refused before anything is written (scpi.BlockSizer).
func (c *capWriter) BlockSize(n int64) error {
	if n > c.max-c.written {
		return fmt.Errorf("%w (the header announces %d bytes, --max-block is %d)", errBlockCap, n, c.max)
	}
	return nil
}

func (c *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.max-c.written {
		return 0, errBlockCap
	}
	n, err := c.w.Write(p)
	c.written += int64(n)
	return n, err
}

// writeBlockFile writes a block's payload to path: into a temporary file
// beside it, renamed into place only once the whole block has come, so a
// refused or broken block leaves no file, nor a truncated one.
func writeBlockFile(path string, max int64, query func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	err = query(&capWriter{w: f, max: max})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// parseSize reads a byte count: a whole number, optionally followed by
// K, M or G (KiB, MiB, GiB; powers of 1024).
func parseSize(s string) (int64, error) {
	num, unit := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return 0, errors.New("want a positive size such as 1048576, 512K, 64M or 1G")
	}
	return n * unit, nil
}
