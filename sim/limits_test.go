package sim

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChannelListBounds: a channel list that would expand beyond
// MaxChannelList (by one huge range, by ranges whose length overflows
// int, or by many small ranges) is refused with -223 Too much data, on
// the sample model's relays and on the E36312A's outputs.
func TestChannelListBounds(t *testing.T) {
	many := "(@" + strings.Repeat("1:16,", MaxChannelList/16+1) + "1)"
	for _, tc := range []struct {
		model, msg string
	}{
		{"SAMPLE", "ROUT:CLOS (@-9223372036854775808:9223372036854775807)"},
		{"SAMPLE", "ROUT:CLOS (@9223372036854775807:-9223372036854775808)"},
		{"SAMPLE", "ROUT:CLOS (@-9223372036854775808:1)"},
		{"SAMPLE", "ROUT:CLOS (@1:20000)"},
		{"SAMPLE", "ROUT:CLOS " + many},
		{"SAMPLE", "MEAS:VOLT? " + many},
		{"E36312A", "OUTP ON,(@-9223372036854775808:9223372036854775807)"},
		{"E36312A", "OUTP ON," + many},
	} {
		in, err := New(tc.model)
		if err != nil {
			t.Fatal(err)
		}
		replies, codes := runOn(in, tc.msg)
		if diff := cmp.Diff([]int{-223}, codes); replies != nil || diff != "" {
			t.Errorf("%s %.60s: replies %q, codes (-want +got):\n%s", tc.model, tc.msg, replies, diff)
		}
	}
}

func TestChannelListEdges(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  error
	}{
		{"(@1)", []int{1}, nil},
		{"( @ 1 , 3 : 5 )", []int{1, 3, 4, 5}, nil},
		{"(@5:3)", []int{5, 4, 3}, nil},
		{"(@9223372036854775807)", []int{9223372036854775807}, nil},
		{"(@9223372036854775806:9223372036854775807)", []int{9223372036854775806, 9223372036854775807}, nil},
		{"(@-9223372036854775807:-9223372036854775808)", []int{-9223372036854775807, -9223372036854775808}, nil},
		{fmt.Sprintf("(@1:%d)", MaxChannelList), nil, nil},
		{fmt.Sprintf("(@0:%d)", MaxChannelList), nil, ErrTooMuchData},
		{"(@)", nil, ErrInvalidExpression},
		{"(@1,)", nil, ErrInvalidExpression},
		{"(@1:)", nil, ErrInvalidExpression},
		{"(@99999999999999999999)", nil, ErrInvalidExpression},
		{"(1)", nil, ErrInvalidExpression},
	} {
		got, err := parseChannelList([]byte(tc.in))
		if err != tc.err {
			t.Errorf("%s: error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if tc.want != nil {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.in, diff)
			}
		} else if err == nil && len(got) != MaxChannelList {
			t.Errorf("%s: %d channels, want %d", tc.in, len(got), MaxChannelList)
		}
	}
}

// channelListAllocBound is the most parseChannelList may allocate for
// an input of n bytes: the result (at most MaxChannelList ints, allocated
// once) and a little slack, whatever n.
func channelListAllocBound(int) uint64 {
	return 8*MaxChannelList + 4096
}

// FuzzChannelList: any expression expands to a bounded list or fails
// with a SCPI error, and allocates within channelListAllocBound. Its seed
// corpus is in testdata/fuzz/FuzzChannelList.
func FuzzChannelList(f *testing.F) {
	for _, s := range []string{"(@1,3:5)", "(@5:3)", "(@-9223372036854775808:9223372036854775807)", "(@1:16,1:16)", "(@)", "( @ 7 )"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := append(append([]byte("("), data...), ')')
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		list, err := parseChannelList(raw)
		runtime.ReadMemStats(&after)
		if err != nil {
			if _, ok := err.(Error); !ok {
				t.Fatalf("%q: %T %v, want a SCPI error", raw, err, err)
			}
		}
		if len(list) > MaxChannelList {
			t.Fatalf("%q: %d channels", raw, len(list))
		}
		if got, bound := after.TotalAlloc-before.TotalAlloc, channelListAllocBound(len(raw)); got > bound {
			t.Fatalf("%q: allocated %d bytes, bound %d", raw, got, bound)
		}
	})
}
