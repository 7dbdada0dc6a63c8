// Command burnin is the threading notes' scenario, end to end: several
// DUTs powered from two supplies (a Rigol DP832 and a Keysight E36312A),
// a do_something loop of measurements on each, a fault monitor, one DUT
// that faults part-way and is isolated while the others go on, every
// supply output switched off and read back at the end, and the reports
// written.
//
//	go run ./examples/burnin                       # on the embedded simulated bench
//	go run ./examples/burnin -station station.yaml -sim=false   # on real instruments
//	go run ./examples/burnin -serve 127.0.0.1:8080             # with the station page
//
// -serve serves the station page (package station) while the run goes
// on: every DUT live, and stop buttons that stop the run the way Ctrl-C
// does. It follows the station store, so it needs one.
//
// Ctrl-C stops the run; the outputs still go off (a second Ctrl-C does not
// skip that), and so they do on SIGTERM, SIGHUP (a closed terminal or ssh
// session), SIGQUIT and a closed stdout or stderr (burnin | head).
//
// The exit status is harness.ExitCode's: 0 when every DUT passed, 1 when
// one did not (the embedded bench's injected fault makes dut-2 fail, so
// the default run exits 1; -fault= runs clean), 3 when the safe state
// could not be verified, 128+N after signal N (130 for Ctrl-C).
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/internal/loopback"
	"github.com/scpikit/scpikit/metrics"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/station"
	"github.com/scpikit/scpikit/units"
	"go.yaml.in/yaml/v3"
)

//go:embed bench.yaml
var defaultBench []byte

//go:embed station.yaml
var defaultStation []byte

// Station is the wiring of the bench as the test sees it.
type Station struct {
	ID           string            `yaml:"id"` // the station's name in the store (default: the host name)
	Supplies     map[string]string `yaml:"supplies"`
	DUTs         []StationDUT      `yaml:"duts"`
	Voltage      float64           `yaml:"voltage"`
	CurrentLimit float64           `yaml:"current_limit"`
	CurrentBand  [2]float64        `yaml:"current_band"`
}

// StationDUT is one DUT: its console and the supply output it hangs on.
type StationDUT struct {
	Name    string `yaml:"name"`
	Slot    string `yaml:"slot"` // the fixture position
	Console string `yaml:"console"`
	Supply  string `yaml:"supply"`
	Channel int    `yaml:"channel"`
}

type config struct {
	station    Station
	bench      *sim.Bench // nil on real instruments
	duration   time.Duration
	faultDUT   string
	faultAt    time.Duration
	hangDUT    string // its test code blocks, ignoring its context
	policy     harness.Policy
	reportsDir string
	storePath  string    // the station store ("": none)
	db         string    // the central database the store replicates to ("": none)
	progress   io.Writer // where the progress line goes (nil: none)
	info       harness.RunInfo
	serve      string           // the station page's address ("": not served)
	onServe    func(url string) // told the page's URL once it is served (tests)
}

func main() {
	// A closed stdout (burnin | head) must cost a line of output, never the
	// reports or the exit status: SIGPIPE watched for the program's whole
	// life (not ignored, which the harness's own watching would undo for a
	// moment as the run ends) makes such writes fail with EPIPE instead of
	// killing it. The harness still stops the run when it sees stdout gone.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	os.Exit(run())
}

func run() int {
	stationFile := flag.String("station", "", "station file (default: the embedded one)")
	benchFile := flag.String("bench", "", "simulated bench file (default: the embedded one)")
	simulate := flag.Bool("sim", true, "simulate the instruments in process")
	duration := flag.Duration("duration", 4*time.Second, "how long the burn-in runs")
	fault := flag.String("fault", "dut-2@1.5s", "simulation: inject an overtemperature fault into DUT@time after the start, once it has booted (empty: none)")
	hang := flag.String("hang", "", "demonstration: DUT whose test code blocks for ever once it has booted, ignoring its context (as a stuck cgo call would), to show that the safe state does not wait for it")
	policy := flag.String("policy", "isolate", "on a fault: isolate (the other DUTs go on) or stop (everything stops)")
	reports := flag.String("reports", "reports", "directory for the JSON, JUnit and HTML reports")
	store := flag.String("store", results.DefaultPath(), "the station store the run is kept in, as it is taken (empty: none; $"+results.EnvStore+" sets the default)")
	operator := flag.String("operator", os.Getenv("USER"), "who runs the test, for the record")
	batch := flag.String("batch", "", "the batch or work order, for the record")
	verbose := flag.Bool("v", false, "log at debug level")
	serveAddr := flag.String("serve", "", "serve the station page on this address (127.0.0.1:8080) while the run goes on: its prompts and stop buttons act on the run")
	allowRemote := flag.Bool("allow-remote", false, "allow -serve beyond loopback: anyone who reaches it can stop the run")
	db := flag.String("db", os.Getenv(results.EnvCentral), "replicate the station store to this central database (postgres://...) while the run goes on; default $"+results.EnvCentral)
	flag.Parse()

	cfg := config{duration: *duration, reportsDir: *reports, storePath: *store, serve: *serveAddr, db: *db}
	if cfg.db != "" && cfg.storePath == "" {
		fmt.Fprintln(os.Stderr, "burnin: -db replicates the station store: drop -store= or name one")
		return 2
	}
	if cfg.serve != "" {
		warning, err := loopback.Policy{Program: "burnin", Serves: "serves the station page (stop buttons)", Risk: "stop the run",
			What: "the station page"}.Check("-serve", cfg.serve, *allowRemote)
		if err != nil {
			fmt.Fprintln(os.Stderr, "burnin:", err)
			return 2
		}
		if warning != "" {
			fmt.Fprintln(os.Stderr, warning)
		}
		if cfg.storePath == "" {
			fmt.Fprintln(os.Stderr, "burnin: -serve needs the station store, which the page follows: drop -store= or name one")
			return 2
		}
	}
	switch *policy {
	case "isolate":
		cfg.policy = harness.IsolateDUT
	case "stop":
		cfg.policy = harness.StopAll
	default:
		fmt.Fprintf(os.Stderr, "burnin: -policy %q: want isolate or stop\n", *policy)
		return 2
	}
	stationYAML := defaultStation
	if *stationFile != "" {
		b, err := os.ReadFile(*stationFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "burnin:", err)
			return 2
		}
		stationYAML = b
	}
	if err := yaml.Unmarshal(stationYAML, &cfg.station); err != nil || len(cfg.station.DUTs) == 0 {
		fmt.Fprintf(os.Stderr, "burnin: station: %v (want supplies: and duts:)\n", err)
		return 2
	}
	if *simulate {
		var err error
		if *benchFile != "" {
			cfg.bench, err = sim.LoadBench(*benchFile)
		} else {
			cfg.bench, err = sim.ParseBench(defaultBench, ".")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "burnin: bench:", err)
			return 2
		}
		defer cfg.bench.Close()
		if *fault != "" {
			name, at, ok := strings.Cut(*fault, "@")
			d, err := time.ParseDuration(at)
			if !ok || err != nil {
				fmt.Fprintf(os.Stderr, "burnin: -fault %q: want DUT@duration\n", *fault)
				return 2
			}
			cfg.faultDUT, cfg.faultAt = name, d
		}
	}
	cfg.hangDUT = *hang
	stationSource := "embedded"
	if *stationFile != "" {
		stationSource = *stationFile
	}
	cfg.info = harness.RunInfo{Operator: *operator, Batch: *batch, Config: map[string]string{
		"station": stationSource, "simulated": fmt.Sprint(*simulate), "duration": duration.String(), "fault": *fault, "policy": *policy}}
	level := zerolog.InfoLevel
	if *verbose {
		level = zerolog.DebugLevel
	}
	// Log lines and the progress line share stderr: colour and a line
	// redrawn in place on a terminal, plain lines in a file or a CI log.
	console := harness.NewConsole(os.Stderr)
	cfg.progress = console
	return burnIn(context.Background(), cfg, console.Logger().Level(level), os.Stdout)
}

func burnIn(ctx context.Context, cfg config, log zerolog.Logger, out *os.File) int {
	var sessionOpts []scpi.Option
	if cfg.bench != nil {
		sessionOpts = append(sessionOpts, scpi.WithTransportOptions(cfg.bench.TransportOption()))
	}
	var m *metrics.Metrics // with -serve: the page's /metrics
	open := func(ctx context.Context, res string) (instruments.Instrument, error) {
		opts := sessionOpts
		if m != nil {
			opts = append(slices.Clip(opts), m.ObserveSession(res))
		}
		return instruments.Open(ctx, res, instruments.WithSessionOptions(opts...), instruments.WithLogger(log))
	}
	st := cfg.station
	band := harness.Between(st.CurrentBand[0], st.CurrentBand[1])
	info := cfg.info
	if info.Station == "" {
		info.Station = st.ID // the host name when the station file has none
	}
	// The supplies, for the record and the station page's instruments.
	config := map[string]string{}
	for k, v := range info.Config {
		config[k] = v
	}
	for name, res := range st.Supplies {
		config[station.InstrumentKey+name] = res
	}
	info.Config = config
	runOpts := []harness.Option{harness.WithLogger(log), harness.WithSafeStateTimeout(5 * time.Second), harness.WithRunInfo(info)}
	if cfg.progress != nil {
		runOpts = append(runOpts, harness.WithProgress(cfg.progress))
	}
	var store *results.Store
	if cfg.storePath != "" {
		var err error
		if store, err = results.Open(cfg.storePath); err != nil {
			fmt.Fprintf(os.Stderr, "burnin: the station store: %v\n(-store FILE names another; -store= keeps none)\n", err)
			return 1
		}
		defer store.Close()
		if n := store.Stats().Recovered; n > 0 {
			log.Warn().Int("runs", n).Msg("burnin: runs the station stopped during were closed as aborted")
		}
		runOpts = append(runOpts, harness.WithSink(store))
		if cfg.db != "" {
			// In the background: a measurement waits for the station
			// store only. When the run is over, closing the store gives
			// the central database up to 10 s to catch up; what it does
			// not take then waits in the outbox for station sync.
			store.ReplicateTo(cfg.db, results.ReplicaOptions{Station: info.Station, Log: log, FinalSync: 10 * time.Second})
			fmt.Fprintf(out, "central database: replicating to %s\n", results.Redact(cfg.db))
		}
	}
	if cfg.serve != "" && store != nil {
		// The page in this process, following the store; its answers and
		// stop buttons reach the run through the store (WithControl), the
		// way they would from station serve in another process.
		// Its /metrics count this run's events on their way to the store,
		// and its instruments' SCPI calls.
		reg := prometheus.NewRegistry()
		var err error
		if m, err = metrics.New(reg); err == nil {
			err = m.ObserveStore(store)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "burnin: -serve: %v\n", err)
			return 1
		}
		runOpts = append(runOpts, harness.WithSink(m.Sink(store)))
		srvCtx, stopServer := context.WithCancel(context.Background())
		srv, err := station.Serve(srvCtx, store, cfg.serve, station.WithLogger(log), station.WithMetrics(metrics.Handler(reg)))
		if err != nil {
			stopServer()
			fmt.Fprintf(os.Stderr, "burnin: -serve %s: %v\n", cfg.serve, err)
			return 1
		}
		defer func() {
			stopServer()
			srv.Wait()
		}()
		fmt.Fprintf(out, "station page: %s\n", srv.URL())
		if cfg.onServe != nil {
			cfg.onServe(srv.URL())
		}
		runOpts = append(runOpts, harness.WithControl(store))
	}

	rec, err := harness.Run(ctx, "burn-in", func(t *harness.Test) error {
		supplies := map[string]instruments.PowerSupply{}
		for name, res := range st.Supplies {
			inst, err := open(t.Context(), res)
			if err != nil {
				return fmt.Errorf("supply %s: %w", name, err)
			}
			psu, ok := inst.(instruments.PowerSupply)
			if !ok {
				return fmt.Errorf("supply %s at %s is a %s, not a supply", name, res, inst.Identity().Model)
			}
			supplies[name] = psu
			t.Cleanup(func() { psu.Close() })
			t.SupplySafeState(psu) // registered before any output goes on
		}
		start := time.Now()
		deadline := start.Add(cfg.duration)
		booted := make(chan struct{}) // closed when the DUT to fault has booted
		for _, sd := range st.DUTs {
			psu := supplies[sd.Supply]
			if psu == nil {
				return fmt.Errorf("%s: no supply %q", sd.Name, sd.Supply)
			}
			var faulted chan struct{}
			if sd.Name == cfg.faultDUT && cfg.bench != nil {
				faulted = booted
			}
			t.DUT(sd.Name, func(d *harness.DUTRun) error {
				return burnInDUT(d, cfg, sd, psu, open, band, deadline, faulted)
			}, harness.WithUnit(harness.Unit{Slot: sd.Slot}))
		}
		if cfg.faultDUT != "" && cfg.bench != nil {
			t.Go("fault injector", func(ctx context.Context) error {
				board, ok := cfg.bench.Named(cfg.faultDUT)
				if !ok {
					return fmt.Errorf("-fault: no DUT %q on the bench", cfg.faultDUT)
				}
				// At the time asked, but never before the board has booted:
				// a fault in a board still booting would be another test.
				select {
				case <-booted:
				case <-t.Stopping():
					return nil
				}
				timer := time.NewTimer(time.Until(start.Add(cfg.faultAt)))
				defer timer.Stop()
				select {
				case <-timer.C:
					log.Warn().Str("dut", cfg.faultDUT).Msg("simulation: injecting an overtemperature fault")
					return board.Inject(sim.TimedFault{Fault: "overtemperature"})
				case <-t.Stopping():
					return nil
				}
			})
		}
		return nil
	}, runOpts...)

	return report(ctx, rec, err, cfg, store, out)
}

// burnInDUT powers one DUT and runs its do_something loop until the
// burn-in time is up or the run (or this DUT) is stopped.
//
// faulted, for the DUT the simulation faults, is closed once it has
// booted; that DUT then runs until its monitor has found the fault (the
// point of the demonstration), however slow the machine, up to a minute
// past the burn-in.
func burnInDUT(d *harness.DUTRun, cfg config, sd StationDUT, psu instruments.PowerSupply,
	open func(context.Context, string) (instruments.Instrument, error), band harness.Limit, deadline time.Time,
	faulted chan struct{}) error {
	ctx := d.Context()
	t := d.Test()
	if err := d.PowerOn(ctx, psu, sd.Channel, units.Voltage(cfg.station.Voltage), units.Current(cfg.station.CurrentLimit)); err != nil {
		return err
	}
	// The board boots: its console answers once it is powered, and its
	// self-test passes once it has finished booting.
	var dut instruments.DUT
	err := d.Phase("boot", func(ctx context.Context) error {
		for {
			var err error
			if dut == nil {
				// A board still below its power-on threshold is silent:
				// each probe of it gets a short deadline of its own.
				probe, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
				var inst instruments.Instrument
				inst, err = open(probe, sd.Console)
				cancel()
				if err == nil {
					dut = inst.(instruments.DUT)
					d.Cleanup(func() { dut.Close() }) // after its monitors have ended
					// The board says who it is, as a real station reads a
					// serial from the console: the record carries it.
					id := dut.Identity()
					if err := d.Identify(harness.Unit{Serial: id.Serial, Part: id.Model,
						Metadata: map[string]string{"firmware": id.Firmware, "manufacturer": id.Manufacturer}}); err != nil {
						return err
					}
				}
			}
			if dut != nil {
				if err = dut.SelfTest(ctx); err == nil {
					return nil
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s did not boot: %w", sd.Name, err)
			case <-time.After(20 * time.Millisecond): // poll the booting board
			}
		}
	}, harness.Timeout(5*time.Second))
	if err != nil {
		return err
	}
	if faulted != nil {
		close(faulted)
		deadline = deadline.Add(time.Minute)
	}
	// check_faults, but one that can stop the test: poll the board's fault
	// status, and watch its supply current against its band.
	t.Monitor(harness.Monitor{Name: "check_faults", DUT: sd.Name, Interval: 100 * time.Millisecond, Policy: cfg.policy,
		Check: func(ctx context.Context) error {
			f, err := dut.FaultStatus(ctx)
			if err == nil && f.Code != 0 {
				return errors.New("DUT reports " + f.String())
			}
			return err
		}})
	t.Monitor(harness.Monitor{Name: "supply current", DUT: sd.Name, Interval: 50 * time.Millisecond, Policy: cfg.policy,
		Check: t.WatchCurrent(sd.Name, psu, sd.Channel, band)})

	if sd.Name == cfg.hangDUT {
		log := t.Log()
		log.Warn().Str("dut", sd.Name).Msg("simulation: this DUT's test code now blocks, ignoring its context")
		select {} // for ever: only the end of the process ends it
	}
	// while not stop_test.is_set(): do_something()
	for !d.Stopping() && time.Now().Before(deadline) {
		err := d.Phase("do_something", func(ctx context.Context) error {
			v, err := psu.MeasureVoltage(ctx, sd.Channel)
			if err != nil {
				return err
			}
			if err := d.Measure("supply voltage", v, harness.Equals(cfg.station.Voltage, 0.05*cfg.station.Voltage)); err != nil {
				return err
			}
			temp, err := dut.Session().QueryFloat(ctx, "MEAS:TEMP?")
			if err != nil {
				return err
			}
			return d.Measure("board temperature", units.Temperature(temp), harness.AtMost(85).WithMarginal(0.1))
		})
		if err != nil && !d.Stopping() {
			return err
		}
		select { // the loop's own pace: one step every 100 ms
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	return nil
}

func report(ctx context.Context, rec *harness.Record, err error, cfg config, store *results.Store, out *os.File) int {
	// The reports first, rebuilt from the store as any later report is
	// (station report): a closed stdout must not lose them.
	saved := rec
	if store != nil {
		if stored, rerr := store.Record(ctx, rec.ID); rerr == nil {
			saved = stored
		} else {
			fmt.Fprintln(os.Stderr, "burnin: reading the run back from the store:", rerr)
		}
	}
	paths, serr := saved.Save(cfg.reportsDir)
	fmt.Fprintf(out, "\nburn-in: %s", rec.Outcome)
	if rec.StopCause != "" {
		fmt.Fprintf(out, " (stopped: %s)", rec.StopCause)
	}
	fmt.Fprintln(out)
	for _, d := range rec.DUTs {
		line := fmt.Sprintf("  %-6s %-10s %-8s %s", d.Name, d.Unit.Serial, d.Outcome, d.StopCause)
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	for _, f := range rec.Faults {
		fmt.Fprintf(out, "  fault at %.2fs on %s from %s: %s\n", f.Time.Sub(rec.Started).Seconds(), f.DUT, f.Source, f.Message)
	}
	for _, g := range rec.Stuck {
		fmt.Fprintf(out, "  STUCK: %s never returned; its outputs stay fenced off\n", g)
	}
	verified := 0
	for _, s := range rec.SafeState {
		if s.Verified {
			verified++
		} else {
			fmt.Fprintf(out, "  SAFE STATE NOT VERIFIED: %s: %s\n", s.Name, s.Error)
		}
	}
	fmt.Fprintf(out, "  safe state: %d of %d actions verified\n", verified, len(rec.SafeState))
	if serr != nil {
		fmt.Fprintln(os.Stderr, "burnin: writing reports:", serr)
	}
	if store != nil {
		fmt.Fprintf(out, "stored: run %s in %s (station show %s)\n", rec.ID, store.Path(), rec.ID)
	}
	fmt.Fprintln(out, "reports:")
	for _, p := range paths {
		fmt.Fprintln(out, "  "+p)
	}
	if err != nil && !isDUTFault(err) {
		fmt.Fprintln(os.Stderr, "burnin:", err)
	}
	code := harness.ExitCode(rec, err)
	fmt.Fprintf(out, "exit status %d: %s\n", code, exitMeaning(code))
	return code
}

// exitMeaning says what an exit status of harness.ExitCode tells.
func exitMeaning(code int) string {
	switch {
	case code == 0:
		return "every DUT passed"
	case code == 1:
		return "a DUT did not pass"
	case code == 3:
		return "the safe state was NOT verified: the bench may not be safe to touch"
	case code > 128:
		return "stopped by a signal; the safe state verified"
	}
	return "see the log"
}

// isDUTFault reports whether the run stopped on a DUT's fault, which the
// burn-in exists to find.
func isDUTFault(err error) bool {
	var f *harness.Fault
	return errors.As(err, &f) && f.DUT != ""
}
