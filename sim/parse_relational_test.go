package sim

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Rigol's relational keywords (">V", "<C", "=P") are character data; a
// comparison sign anywhere else is still a syntax error.
func TestParseRelationalCharacterData(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want []string // raw character parameters
		err  error
	}{
		{"MONI:VOLT:COND >V,OR", []string{">V", "OR"}, nil},
		{"DELAY:STOP <c, 1.5", []string{"<c"}, nil},
		{"TRIG:OUT:COND D1,=P,2", []string{"D1", "=P"}, nil},
		{"MONI:VOLT:COND > V", nil, ErrSyntax},
		{"MONI:VOLT:COND >5", nil, ErrSyntax},
		{"MONI:VOLT:COND <", nil, ErrSyntax},
		{"MONI:VOLT:COND >V&", nil, ErrInvalidCharacterData},
	} {
		var u unit
		_, err := parseUnit([]byte(tc.msg), &u)
		if !errors.Is(err, tc.err) {
			t.Errorf("%q: error %v, want %v", tc.msg, err, tc.err)
			continue
		}
		var got []string
		for _, p := range u.params {
			if p.kind == ParamCharacter {
				got = append(got, string(p.raw))
			}
		}
		if err == nil {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%q (-want +got):\n%s", tc.msg, diff)
			}
		}
	}
}
