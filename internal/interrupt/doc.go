// Package interrupt makes a context's end interrupt blocked I/O on a
// link by setting a deadline in the past, the way every transport whose
// I/O honours deadlines does it, and lets the call that armed it wait for
// an interrupt already under way before it restores a deadline of its
// own:
//
//	stop := interrupt.OnDone(ctx, conn)
//	err := exchange(conn)
//	if stop() {
//		err = errors.Join(ctx.Err(), err) // ctx ended during the call
//	}
//	conn.SetDeadline(saved) // the interrupt cannot land after this
package interrupt
