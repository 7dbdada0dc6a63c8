package loopback

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	p := Policy{Program: "station", Serves: "serves the station page", Risk: "stop runs", What: "the station page"}
	for _, tc := range []struct {
		addr    string
		allow   bool
		warn    string // part of the warning; "" for none
		refused bool
		bad     bool
	}{
		{"127.0.0.1:8080", false, "", false, false},
		{"127.0.0.2:8080", false, "", false, false},
		{"[::1]:8080", false, "", false, false},
		{"LOCALHOST:8080", false, "", false, false},
		{":8080", false, "", true, false},
		{"0.0.0.0:8080", false, "", true, false},
		{"[::]:8080", false, "", true, false},
		{"10.0.0.5:8080", false, "", true, false},
		{"example.com:8080", false, "", true, false},
		{"[::ffff:127.0.0.1]:8080", false, "", false, false},
		{":8080", true, "every interface", false, false},
		{"[::]:8080", true, "every interface", false, false},
		{"10.0.0.5:8080", true, "on 10.0.0.5", false, false},
		{"8080", false, "", false, true},
		{"", false, "", false, true},
	} {
		warning, err := p.Check("--listen", tc.addr, tc.allow)
		var refused RemoteError
		if got := errors.As(err, &refused); got != tc.refused {
			t.Errorf("%q allow=%v: error %v", tc.addr, tc.allow, err)
		}
		if tc.bad != (err != nil && !tc.refused) {
			t.Errorf("%q: error %v", tc.addr, err)
		}
		if tc.refused && (!strings.Contains(err.Error(), "--allow-remote") || !strings.Contains(err.Error(), "stop runs")) {
			t.Errorf("%q: the error %q does not say what to do and why", tc.addr, err)
		}
		if (tc.warn == "") != (warning == "") || !strings.Contains(warning, tc.warn) {
			t.Errorf("%q allow=%v: warning %q, want one with %q", tc.addr, tc.allow, warning, tc.warn)
		}
		if warning != "" && (!strings.HasPrefix(warning, "station: warning: ") || !strings.Contains(warning, "no authentication")) {
			t.Errorf("%q: the warning %q does not say who and why", tc.addr, warning)
		}
	}
}
