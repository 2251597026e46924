package groundtruth

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestDefaultFileFor: "default" names a shipped table of the run's space,
// and a space without one is refused by name.
func TestDefaultFileFor(t *testing.T) {
	for _, c := range []struct{ space, file, err string }{
		{"", DefaultFile, ""},
		{"nb201", DefaultFile, ""},
		{"nb201-small", "groundtruth-nb201small.csv", ""},
		{"darts", "", `"darts"`},
	} {
		f, err := DefaultFileFor(c.space)
		if f != c.file || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("DefaultFileFor(%q) = %q, %v; want %q, error with %q", c.space, f, err, c.file, c.err)
			continue
		}
		if f == "" {
			continue
		}
		b, err := os.ReadFile("../../public/data/" + f)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := ReadAny(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := c.space
		if want == "" {
			want = "nb201"
		}
		if got := tab.Space().Name(); got != want {
			t.Errorf("%s holds space %q, want %q", f, got, want)
		}
	}
}
