package instruments

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/scpi"
)

// Driver is a registered model family.
type Driver struct {
	Name   string   // "Keysight E36300"
	Models []string // the models it drives, as *IDN? names them
	// Match reports whether the driver drives the identified instrument.
	Match func(id scpi.IDN) bool
	// New makes the driver on an open session.
	New func(s *scpi.Session, id scpi.IDN) (Instrument, error)
}

var drivers = struct {
	sync.RWMutex
	list []Driver
}{}

// Register adds a driver to those Open detects. Meant for init functions;
// panics on a duplicate name.
func Register(d Driver) {
	drivers.Lock()
	defer drivers.Unlock()
	for _, have := range drivers.list {
		if have.Name == d.Name {
			panic("instruments: Register called twice for " + d.Name)
		}
	}
	drivers.list = append(drivers.list, d)
}

// Drivers lists the registered drivers, by name.
func Drivers() []Driver {
	drivers.RLock()
	defer drivers.RUnlock()
	out := slices.Clone(drivers.list)
	slices.SortFunc(out, func(a, b Driver) int { return strings.Compare(a.Name, b.Name) })
	return out
}

type openConfig struct {
	session []scpi.Option
	log     zerolog.Logger
}

// Option configures Open.
type Option func(*openConfig)

// WithSessionOptions passes options to the scpi session.
func WithSessionOptions(opts ...scpi.Option) Option {
	return func(c *openConfig) { c.session = append(c.session, opts...) }
}

// WithLogger sets the logger for detection warnings (and the session's).
func WithLogger(l zerolog.Logger) Option {
	return func(c *openConfig) {
		c.log = l
		c.session = append(c.session, scpi.WithLogger(l))
	}
}

// Open opens resource, reads *IDN? and returns the matching driver. An
// instrument no driver matches gets the generic SCPI-99 supply driver and
// a warning.
func Open(ctx context.Context, resource string, opts ...Option) (Instrument, error) {
	cfg := openConfig{log: zerolog.Nop()}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := scpi.Open(ctx, resource, cfg.session...)
	if err != nil {
		return nil, err
	}
	inst, err := detect(ctx, s, cfg.log)
	if err != nil {
		s.Close()
		return nil, err
	}
	return inst, nil
}

// New detects the instrument on an open session and returns its driver.
func New(ctx context.Context, s *scpi.Session) (Instrument, error) {
	return detect(ctx, s, zerolog.Nop())
}

func detect(ctx context.Context, s *scpi.Session, log zerolog.Logger) (Instrument, error) {
	id, err := s.QueryIDN(ctx)
	if err != nil {
		return nil, fmt.Errorf("instruments: identify %s: %w", s.Resource(), err)
	}
	for _, d := range Drivers() {
		if d.Match(id) {
			return d.New(s, id)
		}
	}
	log.Warn().Str("resource", s.Resource()).Str("idn", id.String()).
		Msg("instruments: no driver for this model; using the generic SCPI-99 supply driver")
	return NewGenericSupply(ctx, s, id)
}

// isModel reports whether id's model is one of models (any case).
func isModel(id scpi.IDN, models ...string) bool {
	for _, m := range models {
		if strings.EqualFold(id.Model, m) {
			return true
		}
	}
	return false
}
