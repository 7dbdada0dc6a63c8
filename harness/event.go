package harness

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/scpi"
)

// EventKind says what an Event records.
type EventKind string

// The kinds of event a run emits, in the order a run emits them.
const (
	EventRunStarted   EventKind = "run.started"     // Event.Info: name, station, operator, batch, software, configuration
	EventDUTStarted   EventKind = "dut.started"     // a DUT's function started; Event.Unit: what is known of the unit so far
	EventUnit         EventKind = "unit.identified" // Event.Unit: identity learned during the run (merged into what was known)
	EventDUTEnded     EventKind = "dut.ended"       // its function returned; Event.Cause: its error, if any
	EventPhaseStarted EventKind = "phase.started"   // Event.Phase: name and attempt
	EventPhaseEnded   EventKind = "phase.ended"     // Event.Phase: with its outcome and error
	EventMeasurement  EventKind = "measurement"     // Event.Measurement
	EventSample       EventKind = "sample"          // Event.Sample: a monitor's reading, for charts
	EventAttachment   EventKind = "attachment"      // Event.Attachment: bytes with a media type
	EventFault        EventKind = "fault"           // Event.Fault
	EventSafeState    EventKind = "safe_state"      // Event.SafeState: one action as it ran
	EventStopping     EventKind = "run.stopping"    // Event.Cause: the run was told to stop
	// A prompt is asked, then either answered or cancelled: every
	// prompt event is followed by exactly one of the two (or by run.ended
	// when the station stopped in between). They share Prompt.ID.
	EventPrompt          EventKind = "prompt"           // Event.Prompt: what is asked (ID, Text, Input, Choices, Timeout, ImageType, Image)
	EventPromptAnswered  EventKind = "prompt.answered"  // Event.Prompt: ID, Answer and By (who answered: "page", "terminal"...)
	EventPromptCancelled EventKind = "prompt.cancelled" // Event.Prompt: ID and Cause (a stop, the prompt's timeout, refused answers)
	EventRunEnded        EventKind = "run.ended"        // Event.End: the verdicts
)

// Event is one thing a run did, as it happened. A run's events, in
// order of Seq, are its whole record: the in-memory Record, the station
// store and every report are built from them (Replay), so they cannot
// disagree. Exactly one payload field is set, as Kind says.
type Event struct {
	Run  string    `json:"run"` // the run's ID
	Seq  uint64    `json:"seq"` // 1, 2, 3... within the run
	Time time.Time `json:"time"`
	Kind EventKind `json:"kind"`
	DUT  string    `json:"dut,omitempty"`

	Info        *RunInfo         `json:"info,omitempty"`
	Unit        *Unit            `json:"unit,omitempty"`
	Phase       *PhaseEvent      `json:"phase,omitempty"`
	Measurement *Measurement     `json:"measurement,omitempty"`
	Sample      *Sample          `json:"sample,omitempty"`
	Attachment  *Attachment      `json:"attachment,omitempty"`
	Fault       *Fault           `json:"fault,omitempty"`
	SafeState   *SafeStateRecord `json:"safe_state,omitempty"`
	Prompt      *PromptEvent     `json:"prompt,omitempty"`
	Cause       string           `json:"cause,omitempty"`
	End         *RunEnd          `json:"end,omitempty"`
}

// RunInfo is who ran what, where: given up front (WithRunInfo), it is the
// first event of the run.
type RunInfo struct {
	Name     string            `json:"name"`
	Station  string            `json:"station,omitempty"`  // the station's id (its host name unless given)
	Operator string            `json:"operator,omitempty"` // who ran it
	Batch    string            `json:"batch,omitempty"`    // batch or work order
	Software string            `json:"software,omitempty"` // the test program's version (its module version and VCS revision unless given)
	Config   map[string]string `json:"config,omitempty"`   // settings that shaped the run (file names, limits, flags)
	// SeriesPoints is the most points each series of the record keeps
	// (Options.SeriesPoints): Run sets it, so that a record rebuilt from
	// the events decimates as the run's own did. 0 (events from before
	// it was recorded) is DefaultSeriesPoints.
	SeriesPoints int `json:"series_points,omitempty"`
}

// withDefaults fills in the run's name, the station (the host name) and
// the software (the main module's version and VCS revision).
func (in RunInfo) withDefaults(name string) RunInfo {
	in.Name = name
	if in.Station == "" {
		in.Station, _ = os.Hostname()
	}
	if in.Software == "" {
		in.Software = programVersion()
	}
	return in
}

// programVersion is the running program's module path and version, with
// its VCS revision when the build recorded one.
func programVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := bi.Main.Path
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v += "@" + bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += " " + s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			v += " (modified)"
		}
	}
	return strings.TrimSpace(v)
}

// Unit is what identifies the physical unit a DUT slot holds. Fields left
// empty are unknown; a later identification fills them in.
type Unit struct {
	Serial   string            `json:"serial,omitempty"`
	Part     string            `json:"part,omitempty"`     // part number
	Revision string            `json:"revision,omitempty"` // hardware revision
	Slot     string            `json:"slot,omitempty"`     // the test socket or fixture position
	Metadata map[string]string `json:"metadata,omitempty"` // anything else: firmware, lot, MAC address
}

// Merge is u with what v knows: v's fields win where both are set, and
// the metadata are merged.
func (u Unit) Merge(v Unit) Unit {
	for _, f := range []struct {
		dst *string
		src string
	}{{&u.Serial, v.Serial}, {&u.Part, v.Part}, {&u.Revision, v.Revision}, {&u.Slot, v.Slot}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if len(v.Metadata) > 0 {
		m := make(map[string]string, len(u.Metadata)+len(v.Metadata))
		for k, x := range u.Metadata {
			m[k] = x
		}
		for k, x := range v.Metadata {
			m[k] = x
		}
		u.Metadata = m
	}
	return u
}

// UnitFromIDN is the identity a DUT reports to *IDN?
// (scpi.Session.QueryIDN): its serial number, its model as the part
// number, and its manufacturer and firmware as metadata, for Identify. A
// serial of "0", what an instrument answers when it has none, is left
// out, so it neither identifies the unit nor replaces a serial known
// otherwise (a scanned label); so are empty fields.
func UnitFromIDN(id scpi.IDN) Unit {
	u := Unit{Part: strings.TrimSpace(id.Model)}
	if serial := strings.TrimSpace(id.Serial); serial != "0" {
		u.Serial = serial
	}
	meta := map[string]string{}
	if v := strings.TrimSpace(id.Manufacturer); v != "" {
		meta["manufacturer"] = v
	}
	if v := strings.TrimSpace(id.Firmware); v != "" {
		meta["firmware"] = v
	}
	if len(meta) > 0 {
		u.Metadata = meta
	}
	return u
}

// PhaseEvent is a phase attempt starting or ending.
type PhaseEvent struct {
	Name    string  `json:"name"`
	Attempt int     `json:"attempt"`
	Outcome Outcome `json:"outcome"`         // when it ended
	Error   string  `json:"error,omitempty"` // when it ended
}

// Sample is one reading of a monitored quantity, for charts. The first
// sample of a series carries the band it is held to.
type Sample struct {
	Name  string     `json:"name"`
	Unit  string     `json:"unit"`
	Value float64    `json:"-"`
	Band  *LimitSpec `json:"band,omitempty"`
}

// Attachment is a file the run keeps with its record: an instrument's
// transcript, a screen capture, a trace.
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"` // "text/plain", "image/png", "application/octet-stream"
	Data      []byte `json:"data"`
}

// MaxAttachment is the largest attachment a run takes (16 MiB): the
// record is for results, not bulk data.
const MaxAttachment = 16 << 20

// RunEnd is the run's verdicts, settled as it ended (or, for a run a
// crash left unfinished, when its store was next opened).
type RunEnd struct {
	Outcome   Outcome          `json:"outcome"`
	StopCause string           `json:"stop_cause,omitempty"`
	DUTs      []DUTVerdict     `json:"duts"`
	Stuck     []StuckGoroutine `json:"stuck,omitempty"`
	// Recovered is set when the station stopped before the run ended and
	// the verdicts were settled afterwards from the stored events.
	Recovered bool `json:"recovered,omitempty"`
}

// DUTVerdict is one DUT's verdict at the end of the run.
type DUTVerdict struct {
	Name      string  `json:"name"`
	Outcome   Outcome `json:"outcome"`
	StopCause string  `json:"stop_cause,omitempty"`
}

// Sink takes a run's events as they happen: the station store, a
// replicator, a live page. Emit is called in the order of Seq, must not
// block (queue, do not write, in the call), and returns a channel that
// receives one value: nil once the event is durable, or why it could not
// be made so. A measurement call returns only after that value has come,
// or half of ReturnGrace after its DUT was stopped (ErrUnconfirmed).
//
// Every path out of Run ends the run's events with run.ended, also when
// run.started was refused (the sink refuses what follows and can forget
// the run) or the run's context ended before it was confirmed. When the
// sink cannot make run.ended durable, Run's error says so and the record
// it returns is whole; the station store then holds the run unfinished
// until it is next opened, and closes it as aborted (recovered).
type Sink interface {
	Emit(e Event) <-chan error
}

// ErrNotRecorded is matched by the error of a call whose event the sink
// could not make durable: the value is in the in-memory record, not in
// the station store.
var ErrNotRecorded = errors.New("harness: not recorded in the station store")

// ErrUnconfirmed is matched by the error of a call that stopped waiting
// for the sink before it confirmed the call's event: the DUT or the run
// was stopped while the event was being written. The value is in the
// in-memory record, and the sink has it and may still make it durable
// (the station store commits what is queued when it closes), so it is
// not ErrNotRecorded.
var ErrUnconfirmed = errors.New("harness: not yet confirmed by the station store")

// NewRunID makes a run ID: 26 characters of Crockford base32, the first
// ten the time in milliseconds, the rest random. IDs made on any station
// are unique, and they sort by the time they were made.
func NewRunID(t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:]) // never fails (crypto/rand's documented contract)
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	// 128 bits as 26 base32 digits, the top digit holding 3 bits.
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 | uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// A number in JSON: NaN and the infinities (an overloaded meter's 9.91E37
// and ±9.9E37) are written as strings, since JSON has no literal for them.
type jsonNumber float64

func (n jsonNumber) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*n = jsonNumber(math.NaN())
	case `"+Inf"`, `"Inf"`:
		*n = jsonNumber(math.Inf(1))
	case `"-Inf"`:
		*n = jsonNumber(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("harness: not a number: %s", b)
		}
		*n = jsonNumber(f)
	}
	return nil
}

func numbers(v []float64) []jsonNumber {
	if v == nil {
		return nil
	}
	out := make([]jsonNumber, len(v))
	for i, x := range v {
		out[i] = jsonNumber(x)
	}
	return out
}

func floats(v []jsonNumber) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

type sampleJSON struct {
	Name  string     `json:"name"`
	Unit  string     `json:"unit"`
	Value jsonNumber `json:"value"`
	Band  *LimitSpec `json:"band,omitempty"`
}

func (s Sample) MarshalJSON() ([]byte, error) {
	return json.Marshal(sampleJSON{s.Name, s.Unit, jsonNumber(s.Value), s.Band})
}

func (s *Sample) UnmarshalJSON(b []byte) error {
	var j sampleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Sample{Name: j.Name, Unit: j.Unit, Value: float64(j.Value), Band: j.Band}
	return nil
}
