package tcpdial

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/scpikit/scpikit/transport"
)

// Dial connects to address ("host:port"). It honours ctx, and
// o.DialTimeout when ctx has no earlier deadline.
func Dial(ctx context.Context, address string, o transport.Options) (*net.TCPConn, error) {
	if o.DialTimeout <= 0 {
		o = transport.NewOptions()
	}
	d := net.Dialer{Timeout: o.DialTimeout}
	if o.KeepAlive < 0 {
		d.KeepAlive = -1
	} else {
		d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: o.KeepAlive, Interval: o.KeepAlive, Count: 3}
		if o.KeepAlive == 0 {
			d.KeepAliveConfig.Idle, d.KeepAliveConfig.Interval = 15*time.Second, 15*time.Second
		}
	}
	c, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("dial %s gave a %T, not a TCP connection", address, c)
	}
	if err := tc.SetNoDelay(true); err != nil {
		tc.Close()
		return nil, fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	return tc, nil
}
