package serial

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/scpikit/scpikit/transport"
)

func init() { transport.Register(transport.LinkSerial, open) }

func open(ctx context.Context, r transport.Resource, o transport.Options) (transport.Conn, error) {
	path, err := DevicePath(r)
	if err != nil {
		return nil, err
	}
	return Open(ctx, path, o.Serial)
}

// ErrSettings is wrapped by errors about line settings the link cannot
// apply.
var ErrSettings = errors.New("serial: unsupported line settings")

// ErrUnsupported is matched by Open's error on a system other than
// Linux: the link's deadlines and flow control are Linux's termios and
// poller, and it has not been built and tested elsewhere.
var ErrUnsupported = errors.New("serial: the ASRL link runs on Linux, and this is " + runtime.GOOS)

// DevicePath is the device file of an ASRL resource: ASRL/dev/ttyUSB0::INSTR
// is /dev/ttyUSB0, and ASRLn::INSTR is /dev/ttyS(n-1), since VISA numbers
// COM ports from 1 as NI-VISA does on Linux. A bare name (ASRLttyUSB0) is
// looked up in /dev.
func DevicePath(r transport.Resource) (string, error) {
	if r.Interface != "ASRL" {
		return "", fmt.Errorf("serial: %s is not an ASRL resource", r)
	}
	switch {
	case strings.HasPrefix(r.SerialPort, "/"):
		return r.SerialPort, nil
	case r.SerialPort != "":
		return "/dev/" + r.SerialPort, nil
	case r.Board >= 1:
		return "/dev/ttyS" + strconv.Itoa(r.Board-1), nil
	}
	return "", fmt.Errorf("serial: %s names no port (ASRL numbers start at 1)", r)
}
