// Command quickstart drives a stand-in two-channel power supply over a
// real TCP raw socket on loopback, with no hardware: identification,
// concurrent set-and-read-back from several goroutines, a timed-out query
// whose late reply the session discards, a binary block and the error
// queue.
//
//	go run ./examples/quickstart
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/scpi"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	addr, stop, err := standInSupply()
	if err != nil {
		return err
	}
	defer stop()
	resource := "TCPIP0::" + strings.Replace(addr, ":", "::", 1) + "::SOCKET"

	ctx := context.Background()
	logger := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	s, err := scpi.Open(ctx, resource, scpi.WithLogger(logger.Level(zerolog.WarnLevel)), scpi.WithTimeout(2*time.Second))
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Println("resource:", resource)

	id, err := s.QueryIDN(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("identified: %s %s (serial %s)\n", id.Manufacturer, id.Model, id.Serial)

	// Several goroutines share one session; Do makes set-then-read-back
	// atomic, so no goroutine sees another's setting.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			ch := g%2 + 1
			for i := range 25 {
				want := float64(g) + float64(i)/10
				err := s.Do(ctx, func(tx *scpi.Tx) error {
					if err := tx.Writef(ctx, "VOLT %v,(@%d)", want, ch); err != nil {
						return err
					}
					got, err := tx.QueryFloat(ctx, fmt.Sprintf("VOLT? (@%d)", ch))
					if err == nil && got != want {
						err = fmt.Errorf("channel %d read back %v after setting %v", ch, got, want)
					}
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("4 goroutines x 25 set/read-back pairs: all consistent")

	// A slow measurement times out; its late reply never reaches the
	// next query: the session resynchronises first (see the warning).
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = s.Query(short, "MEAS:SLOW?")
	cancel()
	fmt.Println("slow query:", err, "| matches scpi.ErrTimeout:", errors.Is(err, scpi.ErrTimeout))
	v, err := s.QueryFloat(ctx, "MEAS:VOLT? (@1)")
	if err != nil {
		return err
	}
	fmt.Printf("next query got its own answer: %.2f V\n", v)

	trace, err := scpi.QueryValues[float32](ctx, s, "TRAC:DATA?", binary.LittleEndian)
	if err != nil {
		return err
	}
	fmt.Printf("binary block: %d float32 points, first %.2f, last %.2f\n", len(trace), trace[0], trace[len(trace)-1])

	if err := s.Write(ctx, "VOLT:BOGUS 1"); err != nil {
		return err
	}
	var de *scpi.DeviceError
	if err := s.CheckErrors(ctx); errors.As(err, &de) {
		fmt.Printf("error queue: %d %q\n", de.Code, de.Message)
	}
	return nil
}

// standInSupply serves a minimal two-channel supply on 127.0.0.1.
func standInSupply() (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serveSupply(c) })
		}
	})
	return ln.Addr().String(), func() { ln.Close(); wg.Wait() }, nil
}

func serveSupply(c net.Conn) {
	defer c.Close()
	volts := map[string]string{"1": "0", "2": "0"}
	var errQueue []string
	r := bufio.NewReader(c)
	reply := func(s string) { c.Write([]byte(s + "\n")) }
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(line)
		switch {
		case cmd == "*IDN?":
			reply("Acme Instruments,PS-2,SN0042,1.0")
		case strings.HasPrefix(cmd, "VOLT "):
			var v, ch string
			fmt.Sscanf(strings.NewReplacer(",", " ", "(@", "", ")", "").Replace(cmd), "VOLT %s %s", &v, &ch)
			volts[ch] = v
		case strings.HasPrefix(cmd, "VOLT? (@"):
			reply(volts[cmd[8:9]])
		case cmd == "MEAS:SLOW?":
			time.Sleep(200 * time.Millisecond) // a slow measurement
			reply("+1.00000E+00")
		case cmd == "MEAS:VOLT? (@1)":
			f, _ := strconv.ParseFloat(volts["1"], 64)
			reply(strconv.FormatFloat(f*0.999, 'E', 5, 64))
		case cmd == "TRAC:DATA?":
			pts := make([]float32, 1000)
			for i := range pts {
				pts[i] = float32(i) / 100
			}
			c.Write(scpi.AppendBlock(nil, scpi.EncodeBlock(pts, binary.LittleEndian)))
			reply("")
		case cmd == "SYST:ERR?":
			if len(errQueue) == 0 {
				reply(`+0,"No error"`)
				continue
			}
			reply(errQueue[0])
			errQueue = errQueue[1:]
		default:
			errQueue = append(errQueue, `-113,"Undefined header"`)
		}
	}
}
