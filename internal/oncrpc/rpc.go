package oncrpc

import (
	"errors"
	"fmt"
)

// Message types and reply states of RFC 5531.
const (
	msgCall  = 0
	msgReply = 1

	replyAccepted = 0
	replyDenied   = 1
)

// AcceptStat says whether an accepted call ran (RFC 5531 accept_stat).
type AcceptStat uint32

// The accept_stat values.
const (
	Success      AcceptStat = 0
	ProgUnavail  AcceptStat = 1
	ProgMismatch AcceptStat = 2
	ProcUnavail  AcceptStat = 3
	GarbageArgs  AcceptStat = 4
	SystemErr    AcceptStat = 5
)

func (s AcceptStat) String() string {
	switch s {
	case Success:
		return "success"
	case ProgUnavail:
		return "program unavailable"
	case ProgMismatch:
		return "program version mismatch"
	case ProcUnavail:
		return "procedure unavailable"
	case GarbageArgs:
		return "garbage arguments"
	case SystemErr:
		return "system error"
	}
	return fmt.Sprintf("accept_stat %d", uint32(s))
}

// RPCError is a reply that did not carry results: the call was denied,
// or accepted but not run (Stat is not Success).
type RPCError struct {
	Denied bool       // MSG_DENIED: RPC version mismatch or authentication error
	Stat   AcceptStat // for accepted replies
}

func (e *RPCError) Error() string {
	if e.Denied {
		return "oncrpc: call denied by the server"
	}
	return "oncrpc: " + e.Stat.String()
}

// Call is the header of an RPC call. Credentials and verifier are
// AUTH_NONE when encoded; decoding accepts any flavor and skips its body.
type Call struct {
	XID     uint32
	Prog    uint32
	Vers    uint32
	Proc    uint32
	RPCVers uint32 // 2; decoders report what came
}

// AppendCall appends the header of a call to e; the arguments follow.
func AppendCall(e *Encoder, xid, prog, vers, proc uint32) {
	e.Uint32(xid)
	e.Uint32(msgCall)
	e.Uint32(2)
	e.Uint32(prog)
	e.Uint32(vers)
	e.Uint32(proc)
	e.Uint32(0) // AUTH_NONE credentials
	e.Uint32(0)
	e.Uint32(0) // AUTH_NONE verifier
	e.Uint32(0)
}

// ErrNotCall is matched by DecodeCall's error for a message that is a
// reply, not a call.
var ErrNotCall = errors.New("oncrpc: not a call")

// DecodeCall reads a call header; d is left at the arguments.
func DecodeCall(d *Decoder) (Call, error) {
	var c Call
	c.XID = d.Uint32()
	if t := d.Uint32(); d.Err() == nil && t != msgCall {
		return c, fmt.Errorf("%w: message type %d", ErrNotCall, t)
	}
	c.RPCVers = d.Uint32()
	c.Prog = d.Uint32()
	c.Vers = d.Uint32()
	c.Proc = d.Uint32()
	for range 2 { // credentials, verifier
		d.Uint32()
		d.Opaque(400)
	}
	return c, d.Err()
}

// AppendAcceptedReply appends the header of an accepted reply with stat;
// for Success the results follow. For ProgMismatch the supported version
// range (low, high) is appended.
func AppendAcceptedReply(e *Encoder, xid uint32, stat AcceptStat) {
	e.Uint32(xid)
	e.Uint32(msgReply)
	e.Uint32(replyAccepted)
	e.Uint32(0) // AUTH_NONE verifier
	e.Uint32(0)
	e.Uint32(uint32(stat))
}

// AppendRPCMismatch appends a denied reply for a call whose RPC version is
// not 2.
func AppendRPCMismatch(e *Encoder, xid uint32) {
	e.Uint32(xid)
	e.Uint32(msgReply)
	e.Uint32(replyDenied)
	e.Uint32(0) // RPC_MISMATCH
	e.Uint32(2)
	e.Uint32(2)
}

// DecodeReply reads a reply header and returns its xid; d is left at the
// results. A reply without results gives an *RPCError.
func DecodeReply(d *Decoder) (xid uint32, err error) {
	xid = d.Uint32()
	if t := d.Uint32(); d.Err() == nil && t != msgReply {
		d.fail("message type %d where a reply was due", t)
	}
	switch stat := d.Uint32(); {
	case d.Err() != nil:
	case stat == replyDenied:
		return xid, &RPCError{Denied: true}
	case stat != replyAccepted:
		d.fail("reply_stat %d", stat)
	default:
		d.Uint32()
		d.Opaque(400)
		if as := AcceptStat(d.Uint32()); d.Err() == nil && as != Success {
			return xid, &RPCError{Stat: as}
		}
	}
	return xid, d.Err()
}
