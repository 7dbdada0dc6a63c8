// Package scpi is a SCPI session over any transport: writes and queries,
// typed parsing, IEEE 488.2 blocks, the error queue, status and sync, and
// tracing.
//
// A Session is safe for any number of goroutines. Each call holds the
// session's lock from the write through the complete response, so no
// goroutine ever receives another's reply, and Do holds it across a
// sequence:
//
//	s, err := scpi.Open(ctx, "TCPIP0::192.0.2.5::5025::SOCKET")
//	if err != nil { ... }
//	defer s.Close()
//	id, err := s.QueryIDN(ctx)
//	v, err := s.QueryFloat(ctx, "MEAS:VOLT? (@1)")
//	err = s.Do(ctx, func(tx *scpi.Tx) error {
//		if err := tx.Writef(ctx, "VOLT %v,(@1)", 5.0); err != nil {
//			return err
//		}
//		got, err := tx.QueryFloat(ctx, "VOLT? (@1)")
//		...
//	})
//
// Every call takes a context; when it has no deadline the session's
// default timeout (WithTimeout) applies, and cancelling it interrupts
// blocked I/O at once. Timeouts match ErrTimeout (and
// context.DeadlineExceeded).
//
// A reply that arrives after its query timed out never reaches the next
// caller: before its next exchange the session resynchronises (device
// clear where the link has it, else it discards the owed replies as they
// arrive) and logs that it did. A reply that never comes is given up once
// the resync bound (WithResyncTimeout) has passed since it was abandoned;
// the session then reconnects or fences the link with *OPC?, so one lost
// reply cannot wedge the session.
//
// Responses are framed strictly, by the terminator or a block's length,
// never by guessing from a pause. Parse* functions read every IEEE 488.2
// response form (NR1/NR2/NR3 with 9.9E37 as infinity and 9.91E37 as NaN,
// booleans, quoted strings, lists, #H/#Q/#B numbers, definite and
// indefinite blocks); Sprintf and the Format* functions write only forms
// instruments accept.
//
// The instrument's error queue comes back as *DeviceError values (code,
// message, the command that caused it), read on demand with CheckErrors or
// after every command (WithErrorCheck).
//
// Open takes any VISA resource string and opens it with the matching link
// (raw socket, VXI-11, HiSLIP, serial, GPIB through a Prologix controller,
// USBTMC; see package transport). Out-of-band operations go through the
// link where it has them: DeviceClear, StatusByte, Trigger, LockDevice and
// UnlockDevice, Remote and Local.
//
// With a zerolog logger at debug level (WithLogger), every exchange is
// traced with resource, direction, bytes and duration; at any higher
// level tracing costs no allocation.
package scpi
