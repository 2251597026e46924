package run

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseConfig: a pasted config either parses into a valid Config that
// survives a JSON round trip, or is refused with an error; never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"mini", "nb201"} {
		c, _ := Preset(name)
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"shape":{"height":-4}}`))
	f.Add([]byte(`{"version":1,"eval":{"archs":"sample:99999999999999999999"}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1,"shape":{"in_channels":16,"height":512,"width":512,"channels":1024,"cells":32,"classes":256,"batch":4096},"data":{"name":"synthetic","train":10000000},"epochs":100000,"lr":1,"sampler":{"path":"pa","path_mode":"reference","data":"da"},"eval":{"split":"eval","archs":"all"},"events":{"step_every":1}}`))
	f.Add([]byte(`{"version":1,"shape":{"in_channels":1,"height":16,"width":16,"channels":8,"cells":1,"classes":10,"batch":64},"data":{"name":"synthetic","train":9223372036854775807},"epochs":1,"lr":1,"sampler":{"path":"pa","path_mode":"reference","data":"da"},"eval":{"split":"eval","archs":"all"},"events":{"step_every":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever passes Validate fits the fixed budget, with every
		// estimate non-negative (no overflow).
		r := c.Estimate()
		for _, v := range []int64{r.Params, r.ParamBytes, r.TrainBytes, r.RankBytes, r.DataBytes, r.Events} {
			if v < 0 {
				t.Fatalf("negative estimate %+v", r)
			}
		}
		if r.Total > MaxMemory || r.Events > MaxEvents || r.Total < r.ParamBytes+r.TrainBytes {
			t.Fatalf("a valid config is over the budget: %+v", r)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseConfig(bytes.NewReader(out)); err != nil {
			t.Fatalf("a valid config does not round-trip: %v\n%s", err, out)
		}
	})
}
