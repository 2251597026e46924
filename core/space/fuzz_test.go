package space

import "testing"

// FuzzParse checks that Parse never panics and that whatever it accepts
// is exactly what String produces. Regression seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(best)
	f.Add("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			// Errors quote clipped tokens, so they stay short however long s is.
			if err.Error() == "" || len(err.Error()) > 512 {
				t.Errorf("Parse(%q): error message of length %d", s, len(err.Error()))
			}
			return
		}
		if got := a.String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
		if i := a.Index(); i < 0 || i >= NumArchs {
			t.Errorf("Parse(%q).Index() = %d", s, i)
		}
	})
}
