package run

import "testing"

func TestAlternatives(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""}, {[]string{"a"}, "a"}, {[]string{"uniform", "da"}, "uniform or da"},
		{PathSamplers, "uniform, fairnas or pa"},
	} {
		if got := Alternatives(tc.in); got != tc.want {
			t.Errorf("Alternatives(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseSample(t *testing.T) {
	for in, want := range map[string]int{
		"sample:1": 1, "sample:100": 100,
		"sample:0": 0, "sample:-3": 0, "sample:05": 0, "sample:+5": 0, "sample:5x": 0, "sample: 5": 0,
		"sample:": 0, "sample:99999999999999999999": 0, "all": 0, "Sample:5": 0, "list": 0,
	} {
		k, ok := ParseSample(in)
		if k != want || ok != (want > 0) {
			t.Errorf("ParseSample(%q) = %d, %v; want %d", in, k, ok, want)
		}
	}
}
