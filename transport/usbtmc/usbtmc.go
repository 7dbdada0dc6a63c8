package usbtmc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scpikit/scpikit/transport"
)

func init() { transport.Register(transport.LinkUSBTMC, open) }

func open(ctx context.Context, r transport.Resource, _ transport.Options) (transport.Conn, error) {
	if !supported {
		return nil, fmt.Errorf("%w: %s: reach the instrument by its LAN resource (TCPIP::host::INSTR, ::hislip0, ::5025::SOCKET) or through a GPIB adapter", ErrUnsupported, r)
	}
	path, err := System.Resolve(r)
	if err != nil {
		return nil, err
	}
	return Open(ctx, path)
}

// ErrNotFound is matched when no usbtmc device has the resource's vendor,
// product and serial.
var ErrNotFound = errors.New("usbtmc: no such device")

// ErrUnsupported is matched when a USB resource is opened on a system
// other than Linux: the link is the Linux kernel's usbtmc driver.
var ErrUnsupported = errors.New("usbtmc: USB instruments need the Linux kernel's usbtmc driver, and this is " + runtime.GOOS)

// ErrNotUSBTMC is matched by out-of-band calls on a file the usbtmc
// driver does not serve.
var ErrNotUSBTMC = errors.New("usbtmc: not a usbtmc device")

// Resolver finds usbtmc devices under a sysfs and a /dev tree. Tests and
// containers point it at other roots.
type Resolver struct {
	Sys string // "/sys"
	Dev string // "/dev"
}

// System is the machine's own sysfs and /dev.
var System = Resolver{Sys: "/sys", Dev: "/dev"}

// Device is one usbtmc device present.
type Device struct {
	Path      string // /dev/usbtmc0
	VendorID  uint16
	ProductID uint16
	Serial    string
	Interface int
}

// Resource is the device's VISA resource string.
func (d Device) Resource() string {
	return fmt.Sprintf("USB0::0x%04X::0x%04X::%s::INSTR", d.VendorID, d.ProductID, d.Serial)
}

// List returns the usbtmc devices present, in /dev name order.
func (rs Resolver) List() ([]Device, error) {
	class := filepath.Join(rs.Sys, "class", "usbmisc")
	entries, err := os.ReadDir(class)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no usbmisc devices at all
	}
	if err != nil {
		return nil, fmt.Errorf("usbtmc: %w", err)
	}
	var out []Device
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "usbtmc") {
			continue
		}
		d, err := rs.describe(filepath.Join(class, name))
		if err != nil {
			continue // a device going away while we look
		}
		d.Path = filepath.Join(rs.Dev, name)
		out = append(out, d)
	}
	return out, nil
}

// describe reads the vendor, product and serial of the USB device above
// a usbmisc entry, and its interface number.
func (rs Resolver) describe(entry string) (Device, error) {
	intf, err := filepath.EvalSymlinks(filepath.Join(entry, "device"))
	if err != nil {
		return Device{}, err
	}
	usb := filepath.Dir(intf)
	read := func(dir, name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(b)), err
	}
	var d Device
	for _, f := range []struct {
		name string
		set  func(uint64)
	}{
		{"idVendor", func(v uint64) { d.VendorID = uint16(v) }},
		{"idProduct", func(v uint64) { d.ProductID = uint16(v) }},
	} {
		s, err := read(usb, f.name)
		if err != nil {
			return d, err
		}
		v, err := strconv.ParseUint(s, 16, 16)
		if err != nil {
			return d, fmt.Errorf("usbtmc: %s/%s: %q is not a hex id", usb, f.name, s)
		}
		f.set(v)
	}
	d.Serial, _ = read(usb, "serial") // some instruments have none
	d.Interface = -1
	if s, err := read(intf, "bInterfaceNumber"); err == nil {
		if v, err := strconv.ParseUint(s, 16, 8); err == nil {
			d.Interface = int(v)
		}
	}
	return d, nil
}

// Resolve finds the /dev/usbtmcN of a USB resource.
func (rs Resolver) Resolve(r transport.Resource) (string, error) {
	if r.Interface != "USB" {
		return "", fmt.Errorf("%w: %s is not a USB resource", transport.ErrBadResource, r)
	}
	devs, err := rs.List()
	if err != nil {
		return "", err
	}
	for _, d := range devs {
		if d.VendorID == r.VendorID && d.ProductID == r.ProductID && strings.EqualFold(d.Serial, r.SerialNumber) &&
			(r.USBInterface == transport.NoAddress || r.USBInterface == d.Interface) {
			return d.Path, nil
		}
	}
	return "", fmt.Errorf("%w: %s (%d usbtmc devices present)", ErrNotFound, r, len(devs))
}

// Dial resolves r and opens it.
func (rs Resolver) Dial(ctx context.Context, r transport.Resource) (*Conn, error) {
	path, err := rs.Resolve(r)
	if err != nil {
		return nil, err
	}
	return Open(ctx, path)
}

// The driver's ioctls (linux/usb/tmc.h).
const (
	ioctlClear    = 91<<8 | 2
	ioctlAbortIn  = 91<<8 | 4
	ioctlGetTmo   = 2<<30 | 4<<16 | 91<<8 | 9
	ioctlSetTmo   = 1<<30 | 4<<16 | 91<<8 | 10
	ioctlReadSTB  = 2<<30 | 1<<16 | 91<<8 | 18
	ioctlRENCtl   = 1<<30 | 1<<16 | 91<<8 | 19
	ioctlGoLocal  = 91<<8 | 20
	ioctlTrigger  = 91<<8 | 22
	minTimeoutMS  = 100 // the driver's floor
	noDeadlineTMO = 5000
)

// Conn is an open usbtmc device.
type Conn struct {
	f      *os.File
	path   string
	driver bool // the usbtmc driver answers its ioctls
	dmu    sync.Mutex
	dl     time.Time
	tmo    uint32      // the driver timeout last set, ms
	rmu    sync.Mutex  // one read at a time
	inRead atomic.Bool // a read waits in the driver
}

// Open opens a usbtmc device file (or a stand-in for one).
func Open(ctx context.Context, path string) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|openFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("usbtmc: %w", err)
	}
	c := &Conn{f: f, path: path}
	c.control(func(fd int) error {
		_, err := ioctlGet(fd, ioctlGetTmo)
		c.driver = err == nil
		return nil
	})
	return c, nil
}

// Path is the device file.
func (c *Conn) Path() string { return c.path }

// control runs fn with the file descriptor.
func (c *Conn) control(fn func(fd int) error) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Write sends a program message.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.f.Write(b)
	if err != nil {
		return n, fmt.Errorf("usbtmc: write %s: %w", c.path, c.mapErr(err))
	}
	return n, nil
}

// Read reads a response, bounded by the deadline.
func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.driver {
		c.dmu.Lock()
		tmo := uint32(noDeadlineTMO)
		if !c.dl.IsZero() {
			left := time.Until(c.dl)
			if left <= 0 {
				c.dmu.Unlock()
				return 0, fmt.Errorf("usbtmc: read %s: %w", c.path, os.ErrDeadlineExceeded)
			}
			tmo = driverTimeout(left)
		}
		if tmo != c.tmo {
			// Remembered only once the driver has it: a failure is
			// tried again by the next read.
			if err := c.control(func(fd int) error { return ioctlSetPointer(fd, ioctlSetTmo, int(tmo)) }); err != nil {
				c.dmu.Unlock()
				return 0, fmt.Errorf("usbtmc: read %s: set the driver's timeout to %d ms: %w", c.path, tmo, err)
			}
			c.tmo = tmo
		}
		c.inRead.Store(true)
		c.dmu.Unlock()
		defer c.inRead.Store(false)
	}
	for {
		n, err := c.f.Read(b)
		if err != nil && c.driver && errors.Is(err, syscall.ETIMEDOUT) && c.deadlineZero() {
			continue // no deadline: the driver's own timeout is not ours
		}
		if err != nil {
			return n, fmt.Errorf("usbtmc: read %s: %w", c.path, c.mapErr(err))
		}
		return n, nil
	}
}

// driverTimeout is the driver's timeout in ms for a read with left to
// go: no less than the driver's floor, and no more than the int32 the
// ioctl takes (a deadline weeks away would wrap to a short timeout, or
// one below the floor that the driver refuses).
func driverTimeout(left time.Duration) uint32 {
	return uint32(min(max(left.Milliseconds(), minTimeoutMS), math.MaxInt32))
}

func (c *Conn) deadlineZero() bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.dl.IsZero()
}

// mapErr makes the driver's timeout an os.ErrDeadlineExceeded, as every
// link's timeout is.
func (c *Conn) mapErr(err error) error {
	if errors.Is(err, syscall.ETIMEDOUT) {
		return fmt.Errorf("%w (%w)", os.ErrDeadlineExceeded, err)
	}
	return err
}

// SetDeadline bounds reads and writes; a past time aborts a read waiting
// in the driver.
func (c *Conn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	c.dl = t
	c.dmu.Unlock()
	if c.driver && !t.IsZero() && !time.Now().Before(t) && c.inRead.Load() {
		c.control(func(fd int) error { return ioctlSet(fd, ioctlAbortIn, 0) })
	}
	return c.f.SetDeadline(t)
}

// ioctl runs one of the driver's requests, bounded by ctx (the driver
// itself bounds control requests to a few seconds).
func (c *Conn) ioctl(ctx context.Context, what string, fn func(fd int) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !c.driver {
		return fmt.Errorf("%w: %s (%s)", ErrNotUSBTMC, c.path, what)
	}
	if err := c.control(fn); err != nil {
		if errors.Is(err, syscall.ENOTTY) || errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("usbtmc: %s: the device does not support it: %w", what, err)
		}
		return fmt.Errorf("usbtmc: %s: %w", what, err)
	}
	return nil
}

// Clear sends INITIATE_CLEAR and waits for it to complete.
func (c *Conn) Clear(ctx context.Context) error {
	return c.ioctl(ctx, "clear", func(fd int) error { return ioctlSet(fd, ioctlClear, 0) })
}

// HoldsReplies is true (transport.ReplyHolder): a reply comes only in answer to REQUEST_DEV_DEP_MSG_IN.
func (c *Conn) HoldsReplies() bool { return true }

// ReadStatusByte sends READ_STATUS_BYTE.
func (c *Conn) ReadStatusByte(ctx context.Context) (byte, error) {
	var stb byte
	err := c.ioctl(ctx, "read status byte", func(fd int) error {
		v, err := ioctlGet(fd, ioctlReadSTB) // the driver writes one byte
		stb = byte(v)
		return err
	})
	return stb, err
}

// Trigger sends a USB488 TRIGGER message.
func (c *Conn) Trigger(ctx context.Context) error {
	return c.ioctl(ctx, "trigger", func(fd int) error { return ioctlSet(fd, ioctlTrigger, 0) })
}

// Remote asserts REN (REN_CONTROL 1): the instrument goes remote when next
// addressed.
func (c *Conn) Remote(ctx context.Context) error {
	return c.ioctl(ctx, "remote", func(fd int) error { return ioctlSetPointer(fd, ioctlRENCtl, 1) })
}

// Local sends GOTO_LOCAL.
func (c *Conn) Local(ctx context.Context) error {
	return c.ioctl(ctx, "local", func(fd int) error { return ioctlSet(fd, ioctlGoLocal, 0) })
}

// Close closes the device, aborting a read that waits in the driver.
func (c *Conn) Close() error {
	if c.driver && c.inRead.Load() {
		c.control(func(fd int) error { return ioctlSet(fd, ioctlAbortIn, 0) })
	}
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("usbtmc: %w", err)
	}
	return nil
}
