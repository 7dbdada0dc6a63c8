package scpi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/transport"
	_ "github.com/scpikit/scpikit/transport/gpib"   // Prologix GPIB, for Open
	_ "github.com/scpikit/scpikit/transport/hislip" // the HiSLIP link, for Open
	_ "github.com/scpikit/scpikit/transport/serial" // the serial link, for Open
	_ "github.com/scpikit/scpikit/transport/socket" // the raw socket link, for Open
	_ "github.com/scpikit/scpikit/transport/usbtmc" // Linux USBTMC, for Open
	_ "github.com/scpikit/scpikit/transport/vxi11"  // the VXI-11 link, for Open
)

// Session is a SCPI conversation with one instrument over one link. It is
// safe for any number of goroutines: each call holds the session's lock
// from its write through the complete response, so no goroutine ever gets
// another's reply; Do holds it across a sequence of calls.
type Session struct {
	commands // typed queries and common commands, promoted

	cfg     config
	lock    lockQueue
	waiters sync.Pool     // of *waiter
	done    chan struct{} // closed by Close

	connMu sync.Mutex // guards conn against Close and the interrupt callback
	conn   transport.Conn

	// Guarded by lock.
	rd           reader
	wbuf         []byte
	pending      int  // replies the instrument still owes for abandoned queries
	partialWrite bool // a command went out only in part
	readCut      bool // a Read was cut short part way through a message (see ready)
	broken       error
	lastCmd      string
	owned        bool      // the message query or read returned is not a view of the reader's buffer
	appendTo     []byte    // the slice a QueryAppend appends its reply to; see receive
	appendOn     bool      // appendTo is set
	armed        time.Time // the deadline last set on conn
	holdArmed    bool      // a call of the lock's current hold armed the link: armed is that call's deadline
	owedSince    time.Time // when a call abandoned what is owed (zero: nothing is)
	clearFailed  bool      // device clear failed for what is owed now: do not retry it
	// The last command whose reply was too large for the reader's buffer,
	// and that reply's length: the size the reader expects when the same
	// command is sent again (a DMM's or a logger's buffer dump, read in a
	// loop), to read the next reply straight into memory of that size.
	largeCmd string
	largeLen int
	lastIO   time.Time // when the last command went out or reply came in, while commandGap is set

	commandGap atomic.Int64 // the least time between commands sent (WithCommandGap)

	// Cancellation: interrupt (a context.AfterFunc callback) unblocks the
	// link when the current call's context is done. Guarded by connMu.
	interrupt   func()
	curDone     <-chan struct{} // the current call's ctx.Done() (nil between calls)
	interrupted bool            // interrupt set the link's deadline in the past
	regDone     <-chan struct{} // the Done of the context interrupt is registered with
	regStop     func() bool     // unregisters it
	lastDone    <-chan struct{} // the previous call's ctx.Done(); guarded by lock
	closeOnce   sync.Once
}

// endTerminator is a link that ends every response message with a
// newline, adding one when the instrument marked the end another way
// (VXI-11's and HiSLIP's END) without sending it.
type endTerminator interface{ TerminatesAtEnd() bool }

// readTerminator is a link whose replies end with a byte of its own (a
// serial link set for CR-terminated replies), which frames them unless
// WithTermination says otherwise.
type readTerminator interface{ ReadTerminator() byte }

// aLongTimeAgo is a deadline that has passed: setting it unblocks I/O.
var aLongTimeAgo = time.Unix(1, 0)

// NewSession starts a session over an open link. The session owns conn:
// Close closes it.
func NewSession(conn transport.Conn, opts ...Option) *Session {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.timeout <= 0 {
		cfg.timeout = defaultConfig().timeout
	}
	if cfg.resyncTimeout <= 0 {
		cfg.resyncTimeout = cfg.timeout
	}
	if cfg.maxErrors <= 0 {
		cfg.maxErrors = defaultConfig().maxErrors
	}
	if cfg.writeTerm == "" {
		cfg.writeTerm = "\n"
	}
	if cfg.readTerm == 0 {
		cfg.readTerm = '\n'
		if t, ok := conn.(readTerminator); ok {
			cfg.readTerm = t.ReadTerminator()
		}
	}
	if t, ok := conn.(endTerminator); ok && t.TerminatesAtEnd() {
		// The link gives every response a terminator, bare blocks too:
		// one left unread would be the next query's (empty) reply.
		cfg.blockTerm = true
	}
	s := &Session{
		cfg:  cfg,
		done: make(chan struct{}),
		conn: conn,
		rd:   newReader(conn, cfg.readTerm, cfg.maxResponse),
	}
	s.commands.c = s
	s.commandGap.Store(int64(cfg.commandGap))
	s.interrupt = func() {
		s.connMu.Lock()
		defer s.connMu.Unlock()
		// A registration kept from an earlier call may fire at any time:
		// it cuts short only a call whose own context is done.
		if s.curDone == nil {
			return
		}
		select {
		case <-s.curDone:
			s.conn.SetDeadline(aLongTimeAgo)
			s.interrupted = true
		default:
		}
	}
	return s
}

// Open opens resource with transport.Open and starts a session on it. The
// session reconnects to the same resource when its link fails (see
// WithReconnect).
func Open(ctx context.Context, resource string, opts ...Option) (*Session, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	// The session's logger first: WithTransportOptions may set another.
	topts := append([]transport.Option{transport.WithLogger(cfg.log)}, cfg.transportOpts...)
	conn, err := transport.Open(ctx, resource, topts...)
	if err != nil {
		return nil, err
	}
	reopen := func(ctx context.Context) (transport.Conn, error) {
		return transport.Open(ctx, resource, topts...)
	}
	all := append([]Option{WithResource(resource), WithReconnect(reopen)}, opts...)
	return NewSession(conn, all...), nil
}

// Resource returns the instrument's name as given to Open or WithResource.
func (s *Session) Resource() string { return s.cfg.resource }

// Close closes the link. Calls blocked on it return errors matching
// ErrClosed; later calls fail the same way. Close is idempotent.
func (s *Session) Close() error {
	err := ErrClosed
	s.closeOnce.Do(func() {
		close(s.done)
		s.lock.mu.Lock()
		if s.lock.expiry != nil {
			s.lock.expiry.Stop() // waiters leave on done
		}
		s.lock.mu.Unlock()
		s.connMu.Lock()
		if s.regStop != nil {
			s.regStop()
			s.regStop, s.regDone = nil, nil
		}
		err = s.conn.Close()
		s.connMu.Unlock()
	})
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

func (s *Session) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// The session lock is a FIFO queue of waiters. A call that finds it free
// takes it at once; otherwise it queues and is handed the lock by the call
// before it, in arrival order. A waiter that is a query is handed the lock
// with its command already sent when the session is in step (see
// handOff): the hand-off wakes a goroutine, which on a machine with more
// than one CPU costs about as much as the round trip itself, and this way
// the wake-up happens while the instrument works on the query rather than
// before the command goes out. At most one command is ever outstanding,
// so a query the instrument never answers cannot shift replies between
// callers.
type lockQueue struct {
	mu    sync.Mutex
	held  bool
	queue []*waiter // FIFO; the head is handed the lock next

	// One timer for the whole queue enforces the default timeout of
	// waiters whose context has no deadline, instead of a timer per wait:
	// their deadlines rise in queue order, so it only ever needs to run
	// for the earliest.
	expiry      *time.Timer
	expiryArmed bool
}

// waiter is one call waiting for the lock.
type waiter struct {
	ready chan struct{} // receives once the lock is handed over, or the wait expired
	// Guarded by lockQueue.mu.
	taken    bool      // out of the queue: a hand-off (or expiry) is coming
	expired  bool      // the default timeout passed before the lock came
	deadline time.Time // the default timeout's end (zero: the context has a deadline)

	// A query's command, which the holder may send for it on hand-off,
	// with its context.
	ctx context.Context
	cmd string

	pre sent // set by the holder before ready
}

// sent is a command the previous holder sent for a query while handing
// it the lock (armed for its context: the query must disarm), and err the
// session's error for a failed send.
type sent struct {
	ok  bool
	err error
}

// acquire takes the session lock, waiting no longer than ctx allows (the
// default timeout when ctx has no deadline), first come, first served.
func (s *Session) acquire(ctx context.Context) error {
	_, err := s.acquireQuery(ctx, "")
	return err
}

// acquireQuery is acquire for a query of cmd (cmd "": not a query). When
// the lock was handed over with cmd already sent, pre.ok is set and the
// caller must go on with pre (see Session.query).
func (s *Session) acquireQuery(ctx context.Context, cmd string) (pre sent, err error) {
	if s.closed() {
		return sent{}, s.opErr("lock", "", ErrClosed)
	}
	q := &s.lock
	q.mu.Lock()
	if !q.held {
		q.held = true
		q.mu.Unlock()
		s.holdArmed = false
		return sent{}, nil
	}
	w, _ := s.waiters.Get().(*waiter)
	if w == nil {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	w.ctx, w.cmd, w.taken, w.expired, w.pre = ctx, cmd, false, false, sent{}
	w.deadline = time.Time{}
	if _, ok := ctx.Deadline(); !ok {
		w.deadline = time.Now().Add(s.cfg.timeout)
		if !q.expiryArmed {
			s.armExpiry(s.cfg.timeout)
		}
	}
	q.queue = append(q.queue, w)
	q.mu.Unlock()

	var cause error
	select {
	case <-w.ready:
	case <-ctx.Done():
		cause = ctxCause(ctx)
	case <-s.done:
		cause = ErrClosed
	}
	if cause != nil && !s.withdraw(w) {
		// The lock (or the expiry) is already on its way to this call,
		// and a query's command may be out: take it; the call then fails
		// on its own context and accounts for any reply owed.
		<-w.ready
		cause = nil
	}
	if w.expired {
		cause = ErrTimeout
	}
	pre = w.pre
	w.ctx, w.pre = nil, sent{}
	s.waiters.Put(w)
	if cause != nil {
		return sent{}, s.opErr("lock", "", cause)
	}
	return pre, nil
}

// withdraw takes w out of the queue; false when the holder has already
// taken it to hand it the lock.
func (s *Session) withdraw(w *waiter) bool {
	q := &s.lock
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.taken {
		return false
	}
	if i := slices.Index(q.queue, w); i >= 0 {
		q.queue = slices.Delete(q.queue, i, i+1)
	}
	return true
}

// armExpiry starts the queue's expiry timer to fire after d; lock.mu is
// held.
func (s *Session) armExpiry(d time.Duration) {
	q := &s.lock
	q.expiryArmed = true
	if q.expiry == nil {
		q.expiry = time.AfterFunc(d, s.expire)
		return
	}
	q.expiry.Reset(d)
}

// expire ends the waits whose default timeout has passed, and runs the
// timer again for the earliest one left.
func (s *Session) expire() {
	q := &s.lock
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expiryArmed = false
	now := time.Now()
	keep := q.queue[:0]
	var next time.Time
	for _, w := range q.queue {
		switch {
		case w.deadline.IsZero():
		case !now.Before(w.deadline):
			w.taken, w.expired = true, true
			w.ready <- struct{}{}
			continue
		case next.IsZero():
			next = w.deadline
		}
		keep = append(keep, w)
	}
	clear(q.queue[len(keep):])
	q.queue = keep
	if !next.IsZero() {
		s.armExpiry(next.Sub(now))
	}
}

// release hands the lock to the first waiter, or frees it.
func (s *Session) release() {
	q := &s.lock
	q.mu.Lock()
	if len(q.queue) == 0 {
		q.held = false
		q.mu.Unlock()
		return
	}
	w := q.queue[0]
	q.queue = slices.Delete(q.queue, 0, 1)
	w.taken = true
	q.mu.Unlock()
	if w.cmd != "" {
		w.pre = s.sendFor(w.ctx, w.cmd)
	}
	if !w.pre.ok {
		s.holdArmed = false // the waiter's hold starts with the link not armed for it
	}
	w.ready <- struct{}{}
}

// sendFor sends a waiting query's command on its behalf, still holding the
// lock, when that is exactly what the query would do first: the session
// is in step (nothing to resynchronise), the command is valid and its
// context live. Otherwise it leaves everything to the query.
//
// The write happens on the releasing call's time, after that call has its
// reply, so it must not hold that call past its own deadline, which the
// link still has (s.armed) when a call of this hold armed it. A hold that
// never armed the link (a Do that only computed, a call refused before
// its I/O) leaves the link with an older call's deadline, which says
// nothing of this one's: then nothing is sent, and the waiter writes its
// own command. When the waiter's deadline is no earlier, the
// command goes out under that deadline and the link is armed for the
// waiter once it is out; a write that cannot finish by then (a link that
// stopped taking bytes) is left to the waiter's call, which resynchronises
// first if part of it went out. When the waiter's deadline is earlier,
// the link is armed for the waiter first, which bounds the write sooner.
func (s *Session) sendFor(ctx context.Context, cmd string) sent {
	if !s.holdArmed || s.cfg.observer != nil || s.commandGap.Load() > 0 || s.broken != nil || s.owes() || s.readCut || s.closed() || ctx.Err() != nil ||
		s.checkCommand("query", cmd) != nil {
		return sent{}
	}
	due, ok := ctx.Deadline()
	if !ok {
		due = time.Now().Add(s.cfg.timeout)
	}
	if s.armed.IsZero() || due.Before(s.armed) { // (zero: a new link, no deadline set)
		if err := s.arm(ctx, "query", cmd); err != nil {
			return sent{}
		}
		pre := sent{ok: true}
		if err := s.send(cmd, nil); err != nil {
			pre.err = s.fail(ctx, "query", cmd, err)
		}
		return pre
	}
	if err := s.send(cmd, nil); err != nil {
		if !isTimeout(err) {
			s.fail(ctx, "query", cmd, err) // the waiter's call reconnects or reports it
		}
		return sent{}
	}
	if err := s.arm(ctx, "query", cmd); err != nil {
		// Given up, or closed, just as the command went out: its reply is
		// owed, and the query fails on its own when it finds out.
		s.pending++
		return sent{}
	}
	return sent{ok: true}
}

func ctxCause(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}

func (s *Session) opErr(op, cmd string, err error) error {
	return &OpError{Op: op, Resource: s.cfg.resource, Command: cmd, Err: err}
}

// Do runs fn with the session locked, so that a sequence of calls (set,
// then read back; select a channel, then measure) is atomic with respect
// to every other goroutine. fn must use only the Tx it is given, not the
// Session (that would wait for the lock fn holds). Waiting for the lock
// honours ctx.
func (s *Session) Do(ctx context.Context, fn func(tx *Tx) error) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	tx := &Tx{s: s}
	tx.commands.c = tx
	defer func() { tx.done = true }()
	return fn(tx)
}

// Tx is the locked view of a session inside Do. It has the Session's
// methods; each takes its own context.
type Tx struct {
	commands
	s    *Session
	done bool
}

// Resource is the session's resource string.
func (tx *Tx) Resource() string { return tx.s.Resource() }

func (tx *Tx) check(op, cmd string) error {
	if tx.done {
		return tx.s.opErr(op, cmd, ErrTxDone)
	}
	return nil
}

// ----- the call cycle: arm a deadline, resynchronise, exchange, disarm -----

// arm bounds the link's I/O by ctx's deadline, or the default timeout, and
// makes cancelling ctx interrupt blocked I/O. After a nil error the call
// must disarm.
func (s *Session) arm(ctx context.Context, op, cmd string) error {
	if s.closed() {
		return s.opErr(op, cmd, ErrClosed)
	}
	done := ctx.Done()
	if done != nil {
		s.connMu.Lock()
		s.curDone = done
		// context.AfterFunc costs two allocations. A caller that passes
		// the same context to call after call (a test run's, a
		// monitor's) registers once: from the second call in a row with
		// the same context, the registration is kept across calls (see
		// disarm) and reused here. regDone is read under connMu: Close,
		// which holds no session lock, clears it. One critical section
		// with curDone: each costs a lock and an unlock per call.
		if done != s.regDone && !s.closed() {
			if s.regStop != nil {
				s.regStop()
			}
			s.regStop, s.regDone = context.AfterFunc(ctx, s.interrupt), done
		}
		s.connMu.Unlock()
	}
	if err := s.armDeadline(ctx); err != nil {
		s.holdArmed = false
		s.disarm()
		return s.fail(ctx, op, cmd, err)
	}
	s.holdArmed = true
	// After curDone is set and the deadline armed: a cancellation from
	// here on interrupts the I/O, and every deadline the call sets later
	// (resynchronising, reconnecting) keeps it (see setDeadline). disarm
	// undoes an interrupt that came already.
	if ctx.Err() != nil {
		s.disarm()
		return s.opErr(op, cmd, ctxCause(ctx))
	}
	return nil
}

// armDeadline sets the link's deadline for a call: the context's, or the
// default timeout from now. Setting a deadline costs about as much as a
// tenth of a loopback round trip, so the default is coalesced: a deadline
// already armed between T and T+T/8 from now is kept, and a new one is set
// T+T/16 ahead. A call without a context deadline thus times out after
// between T and T+T/8, never sooner.
func (s *Session) armDeadline(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		if dl.Equal(s.armed) {
			return nil
		}
		return s.setDeadline(ctx, dl)
	}
	t := s.cfg.timeout
	earliest := time.Now().Add(t)
	if !s.armed.Before(earliest) && !s.armed.After(earliest.Add(t/8)) {
		return nil
	}
	return s.setDeadline(ctx, earliest.Add(t/16))
}

// setDeadline sets the link's deadline for a call armed for ctx, and
// remembers it. A cancellation of ctx that came just before would have
// had its interrupt (a deadline in the past) overwritten by this one: a
// ctx already done gets the past deadline back, so the call's I/O ends at
// once. (One that comes after interrupts as usual.)
func (s *Session) setDeadline(ctx context.Context, t time.Time) error {
	s.armed = t
	err := s.conn.SetDeadline(t)
	if ctx.Err() != nil {
		s.armed = aLongTimeAgo
		s.conn.SetDeadline(aLongTimeAgo)
	}
	return err
}

// disarm undoes arm. interrupt runs under connMu and checks curDone, so
// once curDone is cleared here a late interrupt can never cut short the
// next call's I/O. The AfterFunc registration is dropped unless the same
// context served the call before this one too (then it is likely to serve
// the next, and is kept for it).
func (s *Session) disarm() {
	s.noteIO() // a block read, or what a call cut short read, ends here
	s.connMu.Lock()
	done := s.curDone
	s.curDone = nil
	if s.interrupted {
		s.interrupted = false
		s.armed = aLongTimeAgo // what the interrupt set
	}
	if s.regStop != nil && (done == nil || done != s.lastDone) {
		s.regStop()
		s.regStop, s.regDone = nil, nil
	}
	s.connMu.Unlock()
	s.lastDone = done
	// The resync bound runs from the moment a call walks away from a reply
	// (a call that fails while resynchronising leaves the earlier moment).
	if s.owedSince.IsZero() && s.owes() {
		s.owedSince = s.cfg.now()
	}
}

// ready brings the link into a usable, synchronised state before a call
// sends anything: it reconnects a failed link when it can, and discards
// replies owed to abandoned queries.
func (s *Session) ready(ctx context.Context, op, cmd string) error {
	if s.broken != nil {
		if s.cfg.reconnect == nil {
			return s.opErr(op, cmd, s.broken)
		}
		if err := s.reconnect(ctx, "link failed"); err != nil {
			return s.opErr(op, cmd, err)
		}
	}
	if op != "read" && s.readCut {
		// A Read cut short part way through a message left the rest to
		// come: a Read goes on with it, anything else must not take it
		// for its own reply.
		s.pending++
		s.readCut = false
	}
	if s.owes() {
		if err := s.resync(ctx); err != nil {
			return s.fail(ctx, op, cmd, err)
		}
	}
	return nil
}

// owes reports whether the instrument may still send bytes no caller
// will read: replies to abandoned queries, the rest of a block, or a
// command that went out in part.
func (s *Session) owes() bool { return s.pending > 0 || s.partialWrite || s.rd.owed > 0 }

// inStep records that nothing is owed any more.
func (s *Session) inStep() {
	s.rd.reset()
	s.pending, s.partialWrite, s.clearFailed, s.readCut = 0, false, false, false
	s.owedSince = time.Time{}
}

// resync brings the session back in step after an abandoned exchange:
// device clear where the link has it; else discard the owed replies as
// they arrive, for at most the resync bound counted from when they were
// abandoned (not from when the next caller came, and not cut short for
// good by a caller in a hurry); once that bound has passed, give them up
// and fence the link (reconnect where the session can, else a *OPC?
// round trip). A late reply never reaches the next caller.
func (s *Session) resync(ctx context.Context) error {
	owed := s.pending
	if c, ok := s.conn.(transport.Clearer); ok && !s.clearFailed {
		err := c.Clear(ctx)
		if err == nil {
			s.inStep()
			s.warn().Str("method", "device clear").Int("owed_replies", owed).Msg("scpi: resynchronised")
			return nil
		}
		// Once per abandoned exchange: the calls that follow within the
		// bound go straight to discarding, and log nothing more.
		s.clearFailed = true
		s.warn().Err(err).Msg("scpi: device clear failed; discarding late replies instead")
	}
	if s.partialWrite {
		// Finish the fragment so the instrument parses (and rejects) it
		// rather than gluing it to the next command.
		if _, err := s.conn.Write([]byte(s.cfg.writeTerm)); err != nil {
			return err
		}
		s.partialWrite = false
	}
	if s.owedSince.IsZero() {
		s.owedSince = s.cfg.now() // not stamped by disarm: count from now
	}
	if left := s.cfg.resyncTimeout - s.cfg.now().Sub(s.owedSince); left > 0 {
		discarded, err := s.discardOwed(ctx, left)
		if err == nil {
			s.owedSince, s.clearFailed = time.Time{}, false
			s.warn().Str("method", "discard").Int("discarded_replies", discarded).Msg("scpi: resynchronised after an abandoned exchange")
			return nil
		}
		if ctx.Err() != nil || !isTimeout(err) {
			return err // the caller gave up or the link failed; stay owed
		}
		if s.cfg.now().Sub(s.owedSince) < s.cfg.resyncTimeout {
			// This caller's deadline came before the bound: the replies
			// may still come, and the next caller waits out the rest.
			return err
		}
	}
	return s.giveUp(ctx)
}

// discardOwed reads and drops the owed replies, waiting no longer than
// left or the caller's deadline. It returns how many whole replies it
// dropped.
func (s *Session) discardOwed(ctx context.Context, left time.Duration) (int, error) {
	ctxDeadline, hasDeadline := ctx.Deadline()
	window := time.Now().Add(left)
	if hasDeadline && window.After(ctxDeadline) {
		window = ctxDeadline
	}
	s.setDeadline(ctx, window)
	// Without a caller's deadline, the call's own default timeout starts
	// after the resync, so time spent cleaning up is not charged to it.
	defer func() {
		if hasDeadline {
			s.setDeadline(ctx, ctxDeadline)
		} else {
			s.setDeadline(ctx, time.Now().Add(s.cfg.timeout))
		}
	}()
	discarded := 0
	for s.pending > 0 || s.rd.owed > 0 {
		if err := s.skipOwed(); err != nil {
			return discarded, err
		}
		if s.pending == 0 {
			break
		}
		if _, err := s.rd.next(true); err != nil {
			return discarded, err
		}
		s.noteIO()
		s.pending--
		discarded++
	}
	return discarded, nil
}

// giveUp abandons replies that did not come within the resync bound and
// makes sure none can still arrive for the next caller: a fresh link where
// the session can open one, else a *OPC? fence. It is the one place that
// logs a lost reply.
func (s *Session) giveUp(ctx context.Context) error {
	owed, since := s.pending, s.owedSince
	if s.cfg.reconnect != nil {
		return s.reconnect(ctx, "late replies did not arrive within the resync bound")
	}
	// The instrument answers in order: whatever a lost query still sends
	// comes before the "1" that answers *OPC?, so it is read and dropped
	// here. A fence that itself times out is owed like any other reply.
	s.inStep()
	if err := s.send("*OPC?", nil); err != nil {
		return err
	}
	late := 0
	for {
		msg, err := s.rd.next(false)
		if errors.Is(err, ErrResponseTooLarge) {
			_, err = s.rd.next(true)
			msg = nil
		}
		if err != nil {
			s.pending++
			return err
		}
		if v, err := ParseInt(string(msg)); err == nil && v == 1 {
			break
		}
		late++
	}
	s.noteIO()
	s.warn().Str("method", "*OPC? fence").Int("lost_replies", owed).Int("late_replies_discarded", late).
		Dur("abandoned_for", s.cfg.now().Sub(since)).Msg("scpi: gave up on replies that did not arrive; resynchronised")
	return nil
}

func (s *Session) skipOwed() error {
	if s.rd.owed == 0 {
		return nil
	}
	return s.rd.skipOwed()
}

func (s *Session) reconnect(ctx context.Context, why string) error {
	conn, err := s.cfg.reconnect(ctx)
	if err != nil {
		return fmt.Errorf("reconnect: %w", errors.Join(ErrDisconnected, err))
	}
	s.connMu.Lock()
	if s.closed() {
		// Close ran while the link was dialled: it closed the old one,
		// and nothing would ever close this one.
		s.connMu.Unlock()
		conn.Close()
		return ErrClosed
	}
	s.conn.Close()
	s.conn = conn
	s.connMu.Unlock()
	s.rd.src = conn
	s.inStep()
	s.broken = nil
	s.armed = time.Time{}
	s.armDeadline(ctx)
	s.warn().Str("method", "reconnect").Str("reason", why).Msg("scpi: resynchronised")
	return nil
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fail turns a link error into the session's error, and records what it
// means for the next call.
func (s *Session) fail(ctx context.Context, op, cmd string, err error) error {
	switch {
	case s.closed():
		err = ErrClosed
	case isTimeout(err):
		if ctx.Err() != nil {
			err = ctxCause(ctx)
		} else {
			err = ErrTimeout
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, io.ErrClosedPipe), isNetError(err):
		err = fmt.Errorf("%w: %w", ErrDisconnected, err)
		s.broken = err
	}
	return s.opErr(op, cmd, err)
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || (errors.As(err, &ne) && !ne.Timeout())
}

// ----- exchanges; the lock is held -----

func (s *Session) checkCommand(op, cmd string) error {
	// A newline would end the message early on most links, and the rest
	// would be taken as a second command whose reply nobody reads.
	if strings.IndexByte(cmd, '\n') >= 0 || strings.Contains(cmd, s.cfg.writeTerm) {
		return s.opErr(op, cmd, fmt.Errorf("%w: the command contains the message terminator", ErrInvalidCommand))
	}
	return nil
}

// send writes cmd with its terminator, or the parts of a command followed
// by a block payload.
func (s *Session) send(cmd string, block []byte) error {
	if gap := time.Duration(s.commandGap.Load()); gap > 0 {
		if err := s.waitGap(gap); err != nil {
			return err
		}
		defer s.noteIO()
	}
	var start time.Time
	tracing := s.tracing()
	if tracing {
		start = time.Now()
	}
	s.wbuf = append(s.wbuf[:0], cmd...)
	if block != nil {
		s.wbuf = AppendBlockHeader(s.wbuf, len(block))
		if len(block) < 64<<10 {
			s.wbuf = append(s.wbuf, block...)
			block = nil
		}
	}
	if block == nil {
		s.wbuf = append(s.wbuf, s.cfg.writeTerm...)
	}
	n, err := s.conn.Write(s.wbuf)
	if err == nil && block != nil {
		// A large payload goes out from the caller's slice, uncopied.
		var m int
		m, err = s.conn.Write(block)
		n += m
		if err == nil {
			var k int
			k, err = s.conn.Write([]byte(s.cfg.writeTerm))
			n += k
		}
	}
	if err != nil && n > 0 {
		s.partialWrite = true
	}
	if tracing {
		s.trace("send", s.wbuf, len(block), time.Since(start))
	}
	s.lastCmd = cmd
	return err
}

// noteIO stamps the end of an exchange with the instrument (a command
// sent, a reply read) while a command gap is set: the gap counts from
// the later of the two, as an instrument still busy answering a slow
// query is not ready for the next command until its reply is out.
func (s *Session) noteIO() {
	if s.commandGap.Load() > 0 {
		s.lastIO = time.Now()
	}
}

// waitGap waits until gap has passed since the last exchange with the
// instrument (noteIO): no longer than the call's deadline, and not past
// the end of its context. Either ends it with an error the link's own
// would give (os.ErrDeadlineExceeded), with nothing sent.
func (s *Session) waitGap(gap time.Duration) error {
	wait := time.Until(s.lastIO.Add(gap))
	if s.lastIO.IsZero() || wait <= 0 {
		return nil
	}
	s.connMu.Lock()
	done := s.curDone
	s.connMu.Unlock()
	late := false
	if !s.armed.IsZero() {
		if left := time.Until(s.armed); left < wait {
			wait, late = max(left, 0), true
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		if late {
			return os.ErrDeadlineExceeded
		}
		return nil
	case <-done:
		return os.ErrDeadlineExceeded
	}
}

// SetCommandGap sets the least time between commands sent, as
// WithCommandGap does; 0 sends each at once. A driver whose instrument
// drops commands that come too close sets it, so that every command to
// it is paced, its own and the session's.
func (s *Session) SetCommandGap(d time.Duration) { s.commandGap.Store(int64(max(d, 0))) }

func (s *Session) receive(discard bool) ([]byte, error) {
	var start time.Time
	tracing := s.tracing()
	if tracing {
		start = time.Now()
	}
	if s.appendOn {
		// A QueryAppend's slice, for its reply only: not for what a resync
		// drains before it, nor for an error query after it.
		s.rd.into, s.rd.intoOn = s.appendTo, true
		s.appendTo, s.appendOn = nil, false
	}
	s.rd.hint = 0
	if !discard && s.lastCmd == s.largeCmd {
		// Room for the terminator (and a CR before it) and for a reply a
		// little longer than the last.
		s.rd.hint = s.largeLen + s.largeLen/32 + 64
	}
	msg, err := s.rd.next(discard)
	if err != nil {
		s.rd.detachInto()
	}
	s.rd.into, s.rd.intoOn, s.rd.hint = nil, false, 0
	if err == nil && !discard {
		if s.rd.spilledLen > 0 {
			s.largeCmd, s.largeLen = s.lastCmd, s.rd.spilledLen
		} else if s.lastCmd == s.largeCmd {
			s.largeCmd, s.largeLen = "", 0
		}
	}
	if err != nil {
		s.pending++ // the rest of this reply is still owed
		return nil, err
	}
	s.noteIO()
	if tracing {
		s.trace("recv", msg, 0, time.Since(start))
	}
	return msg, nil
}

func (s *Session) write(ctx context.Context, cmd string, block []byte) (err error) {
	op := "write"
	if block != nil {
		op = "write block"
	}
	if s.cfg.observer != nil {
		defer s.observe(op, cmd, time.Now(), &err)
	}
	if err := s.checkCommand(op, cmd); err != nil {
		return err
	}
	if err := s.arm(ctx, op, cmd); err != nil {
		return err
	}
	defer s.disarm()
	if err := s.ready(ctx, op, cmd); err != nil {
		return err
	}
	if err := s.send(cmd, block); err != nil {
		return s.fail(ctx, op, cmd, err)
	}
	if s.cfg.check != CheckExplicit {
		return s.checkErrors(ctx)
	}
	return nil
}

// query sends cmd and returns the response message; the slice is valid
// until the next exchange.
func (s *Session) query(ctx context.Context, cmd string) (msg []byte, err error) {
	return s.queryAfter(ctx, cmd, sent{})
}

// queryAfter is query, when pre.ok after the lock's previous holder sent
// cmd for it (see release).
func (s *Session) queryAfter(ctx context.Context, cmd string, pre sent) (msg []byte, err error) {
	if pre.ok {
		defer s.disarm()
		if pre.err != nil {
			return nil, pre.err
		}
		if ctx.Err() != nil || s.closed() {
			// Given up while waiting for the lock: the reply is owed.
			s.pending++
			if s.closed() {
				return nil, s.opErr("query", cmd, ErrClosed)
			}
			return nil, s.opErr("query", cmd, ctxCause(ctx))
		}
		msg, err = s.reply(ctx, cmd)
	} else {
		if s.cfg.observer != nil {
			defer s.observe("query", cmd, time.Now(), &err)
		}
		if err := s.checkCommand("query", cmd); err != nil {
			return nil, err
		}
		if err := s.arm(ctx, "query", cmd); err != nil {
			return nil, err
		}
		defer s.disarm()
		if err := s.ready(ctx, "query", cmd); err != nil {
			return nil, err
		}
		msg, err = s.exchange(ctx, cmd)
	}
	if err != nil {
		return nil, err
	}
	s.owned = s.rd.fresh
	if s.cfg.check == CheckAfterEach {
		if !s.owned {
			// The error query reads through the same buffer.
			msg, s.owned = slices.Clone(msg), true
		}
		if err := s.checkErrors(ctx); err != nil {
			return msg, err
		}
	}
	return msg, nil
}

// text turns the message query or read returned into a string, without a
// copy when the message is the caller's to keep (a large one, joined from
// the reader's spill): a reply near the response cap is then held once,
// not twice.
func (s *Session) text(msg []byte) string {
	owned := s.owned
	s.owned = false
	if owned && len(msg) > 0 {
		return unsafe.String(unsafe.SliceData(msg), len(msg))
	}
	return string(msg)
}

// appended is dst with msg, the message a QueryAppend read: already
// there when the reader appended it in place of a join.
func (s *Session) appended(dst, msg []byte) []byte {
	out := s.rd.intoOut
	s.rd.intoOut, s.appendTo, s.appendOn, s.owned = nil, nil, false, false
	if out != nil {
		return out[:len(dst)+len(msg)] // less a trailing \r the reader trimmed
	}
	return append(dst, msg...)
}

// read returns the next response message without writing.
func (s *Session) read(ctx context.Context) (msg []byte, err error) {
	if s.cfg.observer != nil {
		defer s.observe("read", "", time.Now(), &err)
	}
	if err := s.arm(ctx, "read", ""); err != nil {
		return nil, err
	}
	defer s.disarm()
	if err := s.ready(ctx, "read", ""); err != nil {
		return nil, err
	}
	msg, err = s.rd.next(false)
	if err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			s.readCut = false
			s.pending++
			return nil, s.opErr("read", "", err)
		}
		s.readCut = s.rd.partial()
		return nil, s.fail(ctx, "read", "", err)
	}
	s.readCut = false
	s.owned = s.rd.fresh
	if s.tracing() {
		s.trace("recv", msg, 0, 0)
	}
	return msg, nil
}

// exchange is one write and its reply, in an armed, ready call.
func (s *Session) exchange(ctx context.Context, cmd string) ([]byte, error) {
	if err := s.send(cmd, nil); err != nil {
		return nil, s.fail(ctx, "query", cmd, err)
	}
	return s.reply(ctx, cmd)
}

// reply reads the reply to cmd, sent.
func (s *Session) reply(ctx context.Context, cmd string) ([]byte, error) {
	msg, err := s.receive(false)
	if err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			return nil, s.opErr("query", cmd, fmt.Errorf("%w (%d bytes)", err, s.cfg.maxResponse))
		}
		return nil, s.fail(ctx, "query", cmd, err)
	}
	return msg, nil
}

// errorsLocked drains the error queue, at most maxErrors entries.
func (s *Session) errorsLocked(ctx context.Context) ([]DeviceError, error) {
	var out []DeviceError
	cause := s.lastCmd
	for range s.cfg.maxErrors {
		msg, err := s.exchange(ctx, s.cfg.errorQuery)
		if err != nil {
			return out, err
		}
		de, err := ParseDeviceError(string(msg))
		if err != nil {
			return out, s.opErr("query", s.cfg.errorQuery, err)
		}
		if de.Code == 0 {
			return out, nil
		}
		de.Command = cause
		out = append(out, de)
	}
	return out, s.opErr("query", s.cfg.errorQuery,
		fmt.Errorf("%w: still reporting errors after %d reads", ErrErrorQueueNotDrained, s.cfg.maxErrors))
}

// checkErrors drains the queue and returns its entries as one error.
func (s *Session) checkErrors(ctx context.Context) error {
	des, err := s.errorsLocked(ctx)
	if s.cfg.check == CheckExplicit {
		// Which command caused an entry is only known when every command
		// is checked.
		for i := range des {
			des[i].Command = ""
		}
	}
	if len(des) == 0 {
		return err // nil, or an OpError of the error query
	}
	errs := make([]error, 0, len(des)+1)
	for i := range des {
		errs = append(errs, &des[i])
	}
	if err != nil {
		errs = append(errs, err)
	}
	// An OpError like every other failed call, naming the instrument;
	// errors.As still finds each *DeviceError through it.
	return s.opErr("error check", "", errors.Join(errs...))
}

// ----- tracing -----

func (s *Session) tracing() bool {
	return s.cfg.log.GetLevel() <= zerolog.DebugLevel && zerolog.GlobalLevel() <= zerolog.DebugLevel
}

func (s *Session) trace(dir string, b []byte, extra int, took time.Duration) {
	n := len(b)
	shown := b
	if len(shown) > s.cfg.traceBytes {
		shown = shown[:s.cfg.traceBytes]
	}
	s.cfg.log.Debug().Str("resource", s.cfg.resource).Str("dir", dir).
		Bytes("data", shown).Int("bytes", n+extra).Bool("truncated", len(shown) < n || extra > 0).
		Dur("took", took).Msg("scpi")
}

func (s *Session) warn() *zerolog.Event {
	return s.cfg.log.Warn().Str("resource", s.cfg.resource)
}
