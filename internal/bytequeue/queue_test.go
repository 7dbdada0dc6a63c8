package bytequeue

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQueueOrderAndEOF(t *testing.T) {
	q := New()
	q.Write([]byte("abc"))
	q.Write([]byte("def"))
	q.Close()
	if _, err := q.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after close: %v", err)
	}
	got, err := io.ReadAll(readerFunc(func(p []byte) (int, error) { return q.Read(p, nil) }))
	if err != nil || string(got) != "abcdef" {
		t.Fatalf("got %q, %v", got, err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestReadWakesOnWrite(t *testing.T) {
	q := New()
	done := make(chan string)
	go func() {
		b := make([]byte, 8)
		n, _ := q.Read(b, &Deadline{})
		done <- string(b[:n])
	}()
	q.Write([]byte("hi"))
	if s := <-done; s != "hi" {
		t.Fatalf("got %q", s)
	}
}

func TestDeadlinePastFailsAtOnce(t *testing.T) {
	q := New()
	var d Deadline
	d.Set(time.Unix(1, 0))
	if _, err := q.Read(make([]byte, 1), &d); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if !d.Expired() {
		t.Fatal("Expired() = false for a past deadline")
	}
}

func TestDeadlineSetInterruptsBlockedRead(t *testing.T) {
	q := New()
	var d Deadline
	errc := make(chan error)
	go func() {
		_, err := q.Read(make([]byte, 1), &d)
		errc <- err
	}()
	// The reader may or may not be blocked yet; either way a past deadline
	// must end the read.
	d.Set(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestDeadlineInFutureExpires(t *testing.T) {
	q := New()
	var d Deadline
	d.Set(time.Now().Add(20 * time.Millisecond))
	if _, err := q.Read(make([]byte, 1), &d); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}
