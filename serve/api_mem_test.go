package main

import "testing"

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64 // 0: an error
	}{
		{"1073741824", 1 << 30}, {"8G", 8 << 30}, {"8GiB", 8 << 30}, {"512m", 512 << 20}, {"64k", 64 << 10}, {"2T", 0},
		{"64G", 64 << 30}, {"65G", 0}, {"0", 0}, {"-1G", 0}, {"lots", 0}, {"", 0}, {"9223372036854775807", 0},
	} {
		got, err := parseBytes(c.in)
		if (err != nil) != (c.want == 0) || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

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
