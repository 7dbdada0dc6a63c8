//go:build !linux

package serial

import (
	"context"
	"fmt"
	"time"

	"github.com/scpikit/scpikit/transport"
)

// Port is an open serial link; on this system none can be opened.
type Port struct{}

// Open refuses with ErrUnsupported: on this system, reach the instrument
// by a LAN resource, or a Prologix GPIB adapter by its Ethernet model.
func Open(ctx context.Context, path string, o transport.SerialOptions) (*Port, error) {
	return nil, fmt.Errorf("%w: %s: reach the instrument by its LAN resource (TCPIP::host::INSTR, ::5025::SOCKET)", ErrUnsupported, path)
}

func (p *Port) Read(b []byte) (int, error)    { return 0, ErrUnsupported }
func (p *Port) Write(b []byte) (int, error)   { return 0, ErrUnsupported }
func (p *Port) SetDeadline(t time.Time) error { return ErrUnsupported }
func (p *Port) Close() error                  { return nil }
