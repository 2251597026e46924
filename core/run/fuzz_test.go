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
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(bytes.NewReader(b))
		if err != nil {
			return
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
