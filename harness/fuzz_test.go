package harness_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/scpikit/scpikit/harness"
)

// FuzzReplay folds whatever events a store might hold (a damaged file, a
// hostile writer) into a record and writes its reports: nothing panics,
// and a run without its end is still settled.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(`{"run":"R","seq":1,"time":"2026-12-01T10:00:00Z","kind":"run.started","info":{"name":"x"}}
{"run":"R","seq":2,"time":"2026-12-01T10:00:01Z","kind":"dut.started","dut":"d","unit":{"serial":"S"}}
{"run":"R","seq":3,"time":"2026-12-01T10:00:02Z","kind":"phase.started","dut":"d","phase":{"name":"p","attempt":1}}
{"run":"R","seq":4,"time":"2026-12-01T10:00:03Z","kind":"measurement","dut":"d","measurement":{"dut":"d","phase":"p","name":"v","value":"NaN","values":[1,"+Inf"],"axis":{"name":"t","unit":"s","start":0,"step":-1},"unit":"V","limit":{"comparator":"between","low":1,"high":-1,"action":"stop_run"},"outcome":"fail"}}
{"run":"R","seq":5,"time":"2026-12-01T10:00:04Z","kind":"sample","dut":"d","sample":{"name":"i","unit":"A","value":0.5,"band":{"comparator":"at_most","high":1,"action":"fail"}}}
{"run":"R","seq":6,"time":"2026-12-01T10:00:05Z","kind":"fault","dut":"d","fault":{"source":"m","message":"boom"}}`))
	f.Add([]byte(`{"kind":"run.ended","end":{"outcome":"pass","duts":[{"name":"ghost","outcome":"error"}]}}
{"kind":"phase.ended","dut":"d","phase":{"name":"never started","attempt":7}}
{"kind":"attachment","attachment":{"name":"a","media_type":"text/plain","data":"AAEC"}}
{"kind":"sample","sample":{"name":"i","unit":"A","value":"-Inf"}}`))
	f.Add([]byte(`{"kind":"measurement","measurement":null}
{"kind":"phase.started","phase":null}
{"kind":"unit.identified","dut":"","unit":{"metadata":{"k":"v"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var events []harness.Event
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e harness.Event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				events = append(events, e)
			}
		}
		rec := harness.Replay(events)
		end := harness.AbortedEnd(events)
		settled := harness.Replay(append(events, end))
		for _, r := range []*harness.Record{rec, settled} {
			r.WriteJUnit(io.Discard)
			r.WriteHTML(io.Discard)
			// The streamed JSON is encoding/json's, byte for byte.
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			wantErr := enc.Encode(r)
			if err := r.WriteJSON(&got); (err != nil) != (wantErr != nil) || wantErr == nil && !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("WriteJSON: %v, encoding/json: %v\n%s\nwant\n%s", err, wantErr, got.Bytes(), want.Bytes())
			}
			r.Measurements()
			for _, d := range r.DUTs {
				d.Summaries()
			}
		}
		if settled.Ended.IsZero() && len(events) > 0 && !end.Time.IsZero() {
			t.Fatal("AbortedEnd did not end the run")
		}
	})
}
