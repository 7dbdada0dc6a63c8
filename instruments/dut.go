package instruments

import (
	"context"
	"fmt"
	"strings"

	"github.com/scpikit/scpikit/scpi"
)

// DUTCommands says how a device under test is asked about its health:
// each is a command or query of its console. The zero value of a field
// means the default in DefaultDUTCommands.
type DUTCommands struct {
	Identify string // a query answering an identification string
	SelfTest string // a query answering 0 on success
	Reset    string // a command
	Fault    string // a query answering <code>[,<name>]; code 0 is healthy
}

// DefaultDUTCommands suit a device with an IEEE 488.2 style console.
var DefaultDUTCommands = DUTCommands{Identify: "*IDN?", SelfTest: "*TST?", Reset: "*RST", Fault: "FAULt?"}

// GenericDUT drives a device under test over any link, through the
// console commands its DUTCommands name.
type GenericDUT struct {
	base
	cmds DUTCommands
}

// NewDUT makes a DUT driver on an open session, with the given commands
// (zero fields take the defaults).
func NewDUT(s *scpi.Session, id scpi.IDN, cmds DUTCommands) *GenericDUT {
	def := DefaultDUTCommands
	for _, f := range []struct{ have, def *string }{
		{&cmds.Identify, &def.Identify}, {&cmds.SelfTest, &def.SelfTest}, {&cmds.Reset, &def.Reset}, {&cmds.Fault, &def.Fault},
	} {
		if *f.have == "" {
			*f.have = *f.def
		}
	}
	return &GenericDUT{base{s, id}, cmds}
}

func init() {
	Register(Driver{
		Name:   "scpikit DUT",
		Models: []string{"DUT-1"},
		Match: func(id scpi.IDN) bool {
			return strings.EqualFold(id.Manufacturer, "scpikit") && isModel(id, "DUT-1")
		},
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			return NewDUT(s, id, DefaultDUTCommands), nil
		},
	})
}

func (d *GenericDUT) Identify(ctx context.Context) (string, error) {
	return d.s.Query(ctx, d.cmds.Identify)
}

// SelfTestError is a failed self-test and its result code.
type SelfTestError struct{ Code int64 }

func (e *SelfTestError) Error() string {
	return fmt.Sprintf("instruments: DUT self-test failed with code %d", e.Code)
}

func (d *GenericDUT) SelfTest(ctx context.Context) error {
	code, err := d.s.QueryInt(ctx, d.cmds.SelfTest)
	if err != nil {
		return err
	}
	if code != 0 {
		return &SelfTestError{Code: code}
	}
	return nil
}

func (d *GenericDUT) Reset(ctx context.Context) error { return d.s.Write(ctx, d.cmds.Reset) }

func (d *GenericDUT) FaultStatus(ctx context.Context) (Fault, error) {
	r, err := d.s.Query(ctx, d.cmds.Fault)
	if err != nil {
		return Fault{}, err
	}
	fields := scpi.SplitList(r)
	if len(fields) == 0 {
		return Fault{}, &scpi.OpError{Op: "query", Command: d.cmds.Fault, Err: &scpi.ParseError{Want: "<code>[,<name>]", Input: r, Why: "empty"}}
	}
	code, err := scpi.ParseInt(fields[0])
	if err != nil {
		return Fault{}, &scpi.OpError{Op: "query", Command: d.cmds.Fault, Err: err}
	}
	f := Fault{Code: int(code)}
	if len(fields) > 1 {
		f.Name, _ = scpi.ParseString(fields[1])
	}
	return f, nil
}
