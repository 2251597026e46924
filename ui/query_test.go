package ui

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"testing"
)

// TestQueryMatchesURL holds queryEscape and parseQuery to net/url's
// QueryEscape and ParseQuery, which they replace in the page.
func TestQueryMatchesURL(t *testing.T) {
	cases := []string{
		"", "a", "a=1", "a=1&b=2", "a=1&a=2", "&&a=1&", "=", "=1", "a=", "a",
		"space=nb201-small&archs=60", "config=%7B%22x%22%3A1%7D", "a=b+c", "a=%2B",
		"a=%zz", "a=%2", "a=%", "%=1", "a=1;b=2", "a;b", "a=1&b=%G0&c=%41",
		"x=%e4%b8%ad", "x=\x00\xff", "k=v=w", "+=+", "a=%252F",
		"share=0123456789abcdef0123456789abcdef&embed=1",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab=&%+;2Fz \x00\xc3"
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, q := range cases {
		want, werr := url.ParseQuery(q)
		got, gerr := parseQuery(q)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Errorf("parseQuery(%q) error %v, net/url %v", q, gerr, werr)
		}
		if !reflect.DeepEqual(map[string][]string(want), got) {
			t.Errorf("parseQuery(%q) = %v, net/url %v", q, got, want)
		}
		if got, want := queryEscape(q), url.QueryEscape(q); got != want {
			t.Errorf("queryEscape(%q) = %q, net/url %q", q, got, want)
		}
		if back, err := parseQuery("k=" + queryEscape(q)); err != nil || len(back["k"]) != 1 || back["k"][0] != q {
			t.Errorf("parseQuery(k=queryEscape(%q)) = %v, %v", q, back, err)
		}
	}
}
