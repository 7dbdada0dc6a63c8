package sim

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/scpikit/scpikit/transport"
)

// EnvBench names the environment variable that points every
// transport.Open of the program at a bench file: SCPIKIT_SIM=bench.yaml
// runs a test program against simulated instruments with no change to its
// code. A resource the bench lacks is then an error, never a silent fall
// back to real hardware.
const EnvBench = "SCPIKIT_SIM"

func init() {
	transport.Register(transport.LinkSim, openSim)
	transport.RegisterInterceptor("sim", envIntercept)
}

// simInstruments holds the instruments that SIM::<model>::INSTR resources
// started, one per resource string, so reopening one (a reconnect) finds
// the same instrument.
var simInstruments = struct {
	sync.Mutex
	byRes map[string]*Instrument
}{byRes: map[string]*Instrument{}}

func openSim(ctx context.Context, r transport.Resource, o transport.Options) (transport.Conn, error) {
	simInstruments.Lock()
	defer simInstruments.Unlock()
	key := strings.ToUpper(r.String()) // model names are case-insensitive
	in, ok := simInstruments.byRes[key]
	if !ok {
		var err error
		if in, err = New(r.Model); err != nil {
			return nil, err
		}
		simInstruments.byRes[key] = in
	}
	in.logTo(o.Log) // its panics go to the program's log
	return in.Conn(), nil
}

// envBenches caches the bench files SCPIKIT_SIM named, by path.
var envBenches = struct {
	sync.Mutex
	byPath map[string]*Bench
}{byPath: map[string]*Bench{}}

func envIntercept(ctx context.Context, r transport.Resource) (transport.Conn, bool, error) {
	path := os.Getenv(EnvBench)
	if path == "" || r.Link() == transport.LinkSim {
		return nil, false, nil
	}
	envBenches.Lock()
	b, ok := envBenches.byPath[path]
	if !ok {
		var err error
		if b, err = LoadBench(path); err != nil {
			envBenches.Unlock()
			return nil, false, fmt.Errorf("%s=%s: %w", EnvBench, path, err)
		}
		envBenches.byPath[path] = b
	}
	envBenches.Unlock()
	c, ok, err := b.Intercept(ctx, r)
	if err == nil && !ok {
		err = fmt.Errorf("%s=%s has no instrument at %s", EnvBench, path, r)
	}
	return c, ok, err
}
