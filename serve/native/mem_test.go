package native

import "testing"

func TestMemTotal(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"MemTotal:       16318480 kB\nMemFree:         1000 kB\n", 16318480 << 10},
		{"MemFree: 5 kB\n", 0},
		{"MemTotal: lots kB\n", 0},
		{"MemTotal: 99999999999999999 kB\n", 0},
		{"", 0},
	} {
		if got := memTotal([]byte(c.in)); got != c.want {
			t.Errorf("memTotal(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}
