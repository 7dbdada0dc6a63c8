package metrics

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/scpikit/scpikit/scpi"
)

// ObserveSession is the session option that counts a session's calls,
// their latency and their errors under the label instrument: the
// instrument's resource string or its model ("TCPIP0::10.0.0.5::5025::SOCKET",
// "DP832"), something there are few of, never a serial number or
// anything else that grows without end (past 100 instruments, further
// ones are counted as "other"). Pass it to scpi.Open, or to
// instruments.Open through instruments.WithSessionOptions.
func (m *Metrics) ObserveSession(instrument string) scpi.Option {
	return scpi.WithObserver(m.SessionObserver(instrument))
}

// SessionObserver is the scpi.Observer ObserveSession installs.
func (m *Metrics) SessionObserver(instrument string) scpi.Observer {
	inst := m.instruments.bound(instrument)
	o := &sessionObserver{m: m, inst: inst, latency: m.scpiLatency.WithLabelValues(inst),
		requests: map[string]prometheus.Counter{}, errs: map[string]prometheus.Counter{}}
	for _, op := range []string{"write", "write block", "query", "query block", "read", "errors"} {
		o.requests[op] = m.scpiRequests.WithLabelValues(inst, op)
	}
	for _, k := range errorKinds {
		o.errs[k] = m.scpiErrors.WithLabelValues(inst, k)
	}
	return o
}

// errorKinds are the kinds of failed call counted apart.
var errorKinds = []string{"timeout", "device", "cancelled", "closed", "invalid", "link"}

type sessionObserver struct {
	m        *Metrics
	inst     string
	latency  prometheus.Observer
	requests map[string]prometheus.Counter // read-only once made: no lock on the hot path
	errs     map[string]prometheus.Counter
}

func (o *sessionObserver) ObserveCall(c scpi.Call) {
	if r, ok := o.requests[c.Op]; ok {
		r.Inc()
	} else { // an operation newer than this package: the scpi package's set is small
		o.m.scpiRequests.WithLabelValues(o.inst, c.Op).Inc()
	}
	o.latency.Observe(c.Took.Seconds())
	if c.Err != nil {
		o.errs[errorKind(c.Err)].Inc()
	}
}

// errorKind sorts a failed call's error into one of errorKinds.
func errorKind(err error) string {
	var de *scpi.DeviceError
	switch {
	case errors.Is(err, scpi.ErrTimeout):
		return "timeout"
	case errors.As(err, &de):
		return "device"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, scpi.ErrClosed):
		return "closed"
	case errors.Is(err, scpi.ErrInvalidCommand):
		return "invalid"
	}
	return "link"
}
