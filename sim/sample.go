package sim

import (
	"encoding/binary"
	"math"
)

// The sample instrument: a small, fully featured SCPI device for docs,
// tests and first steps. Two source channels into fixed 10 Ω loads, a
// trace buffer readable as ASCII or binary, a display, an arbitrary-data
// store (up to 64 MiB, as an arbitrary waveform generator's memory) and
// a relay matrix. Its command set exercises every feature of
// the engine: optional nodes, suffixes, units and MIN/MAX/DEF, booleans,
// enumerations, strings, blocks, channel lists and the status model.
//
//	*IDN?                                      scpikit,SAMPLE,SIM000001,1.0
//	[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude] <V>|MIN|MAX|DEF     0-10 V
//	[SOURce#:]CURRent[:LEVel][:IMMediate][:AMPLitude] <A>|MIN|MAX|DEF     0-1 A
//	OUTPut#[:STATe] ON|OFF
//	MEASure:VOLTage[:DC]? [(@1,2)]           MEASure:CURRent[:DC]? [(@1,2)]
//	TRACe:POINts <n>                           TRACe:DATA?
//	FORMat[:DATA] ASCii|REAL[,32|64]           FORMat:BORDer NORMal|SWAPped
//	DISPlay[:WINDow]:TEXT[:DATA] "<text>"      DATA:ARBitrary <block>
//	ROUTe:CLOSe (@<list>)  ROUTe:OPEN (@<list>)  ROUTe:CLOSe? (@<list>)
//	INITiate[:IMMediate]  *TRG  FETCh?         SYSTem:ERRor[:NEXT]?  SYSTem:ERRor:COUNt?  SYSTem:VERSion?
//	STATus:QUEStionable:INSTrument:ISUMmary<n>:CONDition?   2 CV, 1 CC, 0 off
type sampleDevice struct {
	volt, curr [2]float64
	output     [2]bool
	points     int
	format     int // 0 ASCii, 1 REAL,32, 2 REAL,64
	swapped    bool
	display    string
	arb        []byte
	closed     [16]bool
	fetched    float64
	triggers   int
}

const sampleLoad = 10.0 // ohms on each channel

func newSample() *sampleDevice {
	d := &sampleDevice{}
	d.Reset()
	return d
}

func (d *sampleDevice) Identity() string { return "scpikit,SAMPLE,SIM000001,1.0" }

func (d *sampleDevice) Reset() {
	*d = sampleDevice{curr: [2]float64{0.1, 0.1}, points: 100}
}

func (d *sampleDevice) SelfTest() int { return 0 }

func (d *sampleDevice) Trigger() error {
	d.triggers++
	d.fetched = d.measure(0, true)
	return nil
}

// measure is Ohm's law into the fixed load, limited by the current
// setting (constant-current crossover).
func (d *sampleDevice) measure(ch int, voltage bool) float64 {
	if !d.output[ch] {
		return 0
	}
	i := d.volt[ch] / sampleLoad
	v := d.volt[ch]
	if i > d.curr[ch] {
		i = d.curr[ch]
		v = i * sampleLoad
	}
	if voltage {
		return v
	}
	return i
}

// relays reads the relay channel list of a ROUTe command: 1 to 16.
func relays(c *Call) ([]int, error) {
	chans, err := c.Channels(0)
	if err != nil {
		return nil, err
	}
	for _, ch := range chans {
		if ch < 1 || ch > len(sampleDevice{}.closed) {
			return nil, ErrDataOutOfRange.WithInfo("channels 1 to 16")
		}
	}
	return chans, nil
}

func sampleChannel(c *Call) (int, error) {
	ch, err := c.SuffixIn("SOUR", 1, 2)
	if err != nil {
		return 0, err
	}
	return ch - 1, nil
}

func sampleCommands() *Commands[*sampleDevice] {
	cmds := NewCommands[*sampleDevice]()
	voltSpec := func(d *sampleDevice, c *Call) (Number, error) {
		_, err := sampleChannel(c)
		return Number{Unit: "V", Min: 0, Max: 10, Default: 0}, err
	}
	currSpec := func(d *sampleDevice, c *Call) (Number, error) {
		_, err := sampleChannel(c)
		return Number{Unit: "A", Min: 0, Max: 1, Default: 0.1}, err
	}
	cmds.Number("[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", voltSpec,
		func(d *sampleDevice, c *Call) float64 { ch, _ := sampleChannel(c); return d.volt[ch] },
		func(d *sampleDevice, c *Call, v float64) error { ch, _ := sampleChannel(c); d.volt[ch] = v; return nil }, nil)
	cmds.Number("[SOURce#:]CURRent[:LEVel][:IMMediate][:AMPLitude]", currSpec,
		func(d *sampleDevice, c *Call) float64 { ch, _ := sampleChannel(c); return d.curr[ch] },
		func(d *sampleDevice, c *Call, v float64) error { ch, _ := sampleChannel(c); d.curr[ch] = v; return nil }, nil)
	outputCh := func(c *Call) (int, error) {
		ch, err := c.SuffixIn("OUTP", 1, 2)
		return ch - 1, err
	}
	cmds.Bool("OUTPut#[:STATe]",
		func(d *sampleDevice, c *Call) (bool, error) {
			ch, err := outputCh(c)
			if err != nil {
				return false, err
			}
			return d.output[ch], nil
		},
		func(d *sampleDevice, c *Call, on bool) error {
			ch, err := outputCh(c)
			if err != nil {
				return err
			}
			d.output[ch] = on
			return nil
		})
	measure := func(voltage bool) func(*sampleDevice, *Call) error {
		return func(d *sampleDevice, c *Call) error {
			chans := []int{1}
			if c.NumParams() > 0 {
				var err error
				if chans, err = c.Channels(0); err != nil {
					return err
				}
			}
			for _, ch := range chans {
				if ch < 1 || ch > 2 {
					return ErrIllegalParameterValue.WithInfo("no such channel")
				}
			}
			for _, ch := range chans {
				c.ReplyNR3(d.measure(ch-1, voltage), 6)
			}
			return nil
		}
	}
	cmds.Handle("MEASure:VOLTage[:DC]?", measure(true))
	cmds.Handle("MEASure:CURRent[:DC]?", measure(false))
	cmds.Number("TRACe:POINts", func(*sampleDevice, *Call) (Number, error) {
		return Number{Min: 1, Max: 100000, Default: 100}, nil
	}, func(d *sampleDevice, _ *Call) float64 { return float64(d.points) },
		func(d *sampleDevice, _ *Call, v float64) error { d.points = int(math.Round(v)); return nil },
		func(c *Call, v float64) { c.ReplyInt(int64(v)) })
	cmds.Handle("TRACe:DATA?", func(d *sampleDevice, c *Call) error {
		trace := make([]float64, d.points)
		for i := range trace {
			trace[i] = math.Sin(2 * math.Pi * float64(i) / float64(d.points))
		}
		var order binary.AppendByteOrder = binary.BigEndian // SCPI's NORMal
		if d.swapped {
			order = binary.LittleEndian
		}
		switch d.format {
		case 1:
			buf := make([]byte, 0, 4*len(trace))
			for _, v := range trace {
				buf = order.AppendUint32(buf, math.Float32bits(float32(v)))
			}
			c.ReplyBlock(buf)
		case 2:
			buf := make([]byte, 0, 8*len(trace))
			for _, v := range trace {
				buf = order.AppendUint64(buf, math.Float64bits(v))
			}
			c.ReplyBlock(buf)
		default:
			for _, v := range trace {
				c.ReplyNR3(v, 6)
			}
		}
		return nil
	})
	cmds.Handle("FORMat[:DATA]", func(d *sampleDevice, c *Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		kind, err := c.Choice(0, "ASCii", "REAL")
		if err != nil {
			return err
		}
		length := 64
		if c.NumParams() == 2 {
			if length, err = c.Int(1, Number{Min: 0, Max: 64}); err != nil {
				return err
			}
		}
		switch {
		case kind == 0:
			d.format = 0
		case length == 32:
			d.format = 1
		case length == 64:
			d.format = 2
		default:
			return ErrIllegalParameterValue.WithInfo("REAL length is 32 or 64")
		}
		return nil
	})
	cmds.Handle("FORMat[:DATA]?", func(d *sampleDevice, c *Call) error {
		c.Reply([]string{"ASC,8", "REAL,32", "REAL,64"}[d.format])
		return nil
	})
	cmds.Choice("FORMat:BORDer", []string{"NORMal", "SWAPped"},
		func(d *sampleDevice, _ *Call) int {
			if d.swapped {
				return 1
			}
			return 0
		},
		func(d *sampleDevice, _ *Call, i int) error { d.swapped = i == 1; return nil })
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]", func(d *sampleDevice, c *Call) error {
		s, err := c.String(0)
		if err != nil {
			return err
		}
		if len(s) > 40 {
			return ErrTooMuchData.WithInfo("40 characters at most")
		}
		d.display = s
		return nil
	})
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]?", func(d *sampleDevice, c *Call) error {
		c.ReplyString(d.display)
		return nil
	})
	cmds.Handle("DATA:ARBitrary", func(d *sampleDevice, c *Call) error {
		b, err := c.Block(0)
		if err != nil {
			return err
		}
		if len(b) > 64<<20 {
			return ErrTooMuchData
		}
		d.arb = append(d.arb[:0], b...)
		return nil
	})
	cmds.Handle("DATA:ARBitrary?", func(d *sampleDevice, c *Call) error {
		c.ReplyBlock(d.arb)
		return nil
	})
	route := func(closeIt bool) func(*sampleDevice, *Call) error {
		return func(d *sampleDevice, c *Call) error {
			chans, err := relays(c)
			if err != nil {
				return err
			}
			for _, ch := range chans {
				d.closed[ch-1] = closeIt
			}
			return nil
		}
	}
	cmds.Handle("ROUTe:CLOSe", route(true))
	cmds.Handle("ROUTe:OPEN", route(false))
	cmds.Handle("ROUTe:CLOSe?", func(d *sampleDevice, c *Call) error {
		chans, err := relays(c)
		if err != nil {
			return err
		}
		for _, ch := range chans {
			c.ReplyBool(d.closed[ch-1])
		}
		return nil
	})
	cmds.Handle("INITiate[:IMMediate]", func(d *sampleDevice, c *Call) error {
		if !d.output[0] {
			return ErrSettingsConflict.WithInfo("output 1 is off")
		}
		return d.Trigger()
	})
	cmds.Handle("FETCh?", func(d *sampleDevice, c *Call) error {
		if d.triggers == 0 {
			return ErrDataCorruptOrStale.WithInfo("no measurement taken")
		}
		c.ReplyNR3(d.fetched, 6)
		return nil
	})
	// SCPI-99's questionable instrument summary: bit 0 voltage unregulated
	// (CC), bit 1 current unregulated (CV), both clear when off.
	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", func(d *sampleDevice, c *Call) error {
		ch, err := c.SuffixIn("ISUM", 1, 2)
		if err != nil {
			return err
		}
		switch {
		case !d.output[ch-1]:
			c.ReplyInt(0)
		case d.volt[ch-1]/sampleLoad > d.curr[ch-1]:
			c.ReplyInt(1)
		default:
			c.ReplyInt(2)
		}
		return nil
	})
	cmds.Handle("SYSTem:ERRor[:NEXT]?", ErrorQueryHandler[*sampleDevice])
	cmds.Handle("SYSTem:ERRor:COUNt?", ErrorCountHandler[*sampleDevice])
	cmds.Handle("SYSTem:VERSion?", func(_ *sampleDevice, c *Call) error { c.Reply("1999.0"); return nil })
	return cmds
}

func init() {
	MustRegister("SAMPLE", "generic two-channel SCPI source with trace, display, arbitrary data and a relay matrix",
		sampleCommands(), newSample)
}
