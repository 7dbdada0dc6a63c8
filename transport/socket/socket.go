package socket

import (
	"context"
	"fmt"
	"net"

	"github.com/scpikit/scpikit/internal/tcpdial"
	"github.com/scpikit/scpikit/transport"
)

func init() { transport.Register(transport.LinkSocket, open) }

func open(ctx context.Context, r transport.Resource, o transport.Options) (transport.Conn, error) {
	return Dial(ctx, r.Address(), o)
}

// Dial connects to address ("host:port"). It honours ctx, and
// o.DialTimeout when ctx has no earlier deadline.
func Dial(ctx context.Context, address string, o transport.Options) (*net.TCPConn, error) {
	c, err := tcpdial.Dial(ctx, address, o)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	return c, nil
}
