package sim

import (
	"os"
	"sync"
)

// PTYServer serves a simulated instrument on a pseudo-terminal, for
// clients that speak to serial instruments: they open Path (a /dev/pts
// device) as they would /dev/ttyUSB0.
type PTYServer struct {
	in     *Instrument
	master *os.File
	slave  *os.File // held open so the master does not see EIO between clients
	path   string
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// ServePTY opens a pseudo-terminal pair, puts it in raw mode and serves in
// on it until Close.
func ServePTY(in *Instrument, opts ServerOptions) (*PTYServer, error) {
	opts = opts.withDefaults()
	// A pseudo-terminal is one line for the server's whole life: silence
	// on it frees no slot, and ending it would end the server.
	opts.IdleTimeout = -1
	return servePTY(in, func(master *os.File, done <-chan struct{}, path string) {
		serveStream(master, in, opts, done, path)
	})
}

// servePTY opens a raw pseudo-terminal pair and runs serve on its master
// side until Close.
func servePTY(in *Instrument, serve func(master *os.File, done <-chan struct{}, path string)) (*PTYServer, error) {
	master, slave, path, err := openPTY()
	if err != nil {
		return nil, err
	}
	p := &PTYServer{in: in, master: master, slave: slave, path: path, done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		serve(master, p.done, path)
	}()
	return p, nil
}

// Path is the device to open, e.g. /dev/pts/3.
func (p *PTYServer) Path() string { return p.path }

// Resource is the VISA resource string for Path.
func (p *PTYServer) Resource() string { return "ASRL" + p.path + "::INSTR" }

// Close stops serving and closes the pseudo-terminal.
func (p *PTYServer) Close() error {
	var err error
	p.once.Do(func() {
		close(p.done)
		err = p.master.Close()
		p.slave.Close()
		p.wg.Wait()
	})
	return err
}
