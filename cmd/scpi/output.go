package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
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

// writeBlockFile writes a block's payload to path. A regular file (or
// none yet) is written into a temporary file beside it, renamed into place
// only once the whole block has come, so a refused or broken block leaves
// no file, nor a truncated one; a symbolic link to a regular file has its
// target replaced that way, the link kept. Anything else (a FIFO, a
// device such as /dev/null, a dangling link) is written through as it is,
// never replaced. A replaced file keeps its mode; a new one gets the mode
// os.Create would give it (0666 less the umask). Errors name path, not the
// temporary file.
func writeBlockFile(path string, max int64, query func(io.Writer) error) error {
	target, mode, replace, err := blockTarget(path)
	if err != nil {
		return err
	}
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			return err
		}
		err = query(&capWriter{w: f, max: max})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	f, err := createBeside(target)
	if err != nil {
		return renamed(err, path)
	}
	tmp := f.Name()
	if mode != nil {
		err = f.Chmod(*mode)
	}
	if err == nil {
		err = query(&capWriter{w: f, max: max})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = renamed(os.Rename(tmp, target), path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// blockTarget says where writeBlockFile writes for path: the file that a
// rename replaces and the mode to keep (nil: a new file), or, replace
// false, path itself, written through.
func blockTarget(path string) (target string, mode *fs.FileMode, replace bool, err error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return path, nil, true, nil
	case err != nil:
		return "", nil, false, err
	case fi.Mode()&fs.ModeSymlink != 0:
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			return path, nil, false, nil // dangling, or to a FIFO or device: through it
		}
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return path, nil, false, nil
		}
		fi = st
	case fi.Mode().IsRegular():
		target = path
	default:
		return path, nil, false, nil
	}
	m := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	return target, &m, true, nil
}

// createBeside creates a new, hidden file in path's folder, with the mode
// os.Create gives (0666, less the umask, which the system applies: the
// umask cannot be read portably, nor changed safely while other threads
// run).
func createBeside(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 1000 {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(uint64(rand.Uint32()), 10)+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
}

// renamed puts path in err where it names the temporary file: a person
// asked for path and knows nothing of the other.
func renamed(err error, path string) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return &fs.PathError{Op: "write", Path: path, Err: pe.Err}
	case errors.As(err, &le):
		return &fs.PathError{Op: "write", Path: path, Err: le.Err}
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
