package share_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"pada/wasm/edge/share"
	"pada/wasm/edge/share/sharetest"
)

func TestHandlerOverMemStore(t *testing.T) {
	mux := http.NewServeMux()
	h := &share.Handler{Store: &share.MemStore{}, Limiter: share.NewMemLimiter(20, time.Hour),
		Client: func(r *http.Request) string { return "one" }}
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sharetest.Check(t, &sharetest.Client{Base: srv.URL}, 20)
}

func TestMemLimiter(t *testing.T) {
	l := share.NewMemLimiter(2, time.Minute)
	l.MaxClients = 2
	t0 := time.Unix(1000, 0)
	steps := []struct {
		client string
		at     time.Duration
		retry  time.Duration
	}{
		{"a", 0, 0}, {"a", time.Second, 0}, {"a", 2 * time.Second, 58 * time.Second},
		{"b", 10 * time.Second, 0},
		{"c", 20 * time.Second, 40 * time.Second}, // two clients remembered, both in their window
		{"a", time.Minute, 0},                     // a's window is over
		{"c", 71 * time.Second, 0},                // b's window is over: c takes its place
	}
	for i, s := range steps {
		got, err := l.Allow(nil, s.client, t0.Add(s.at))
		if err != nil || got != s.retry {
			t.Fatalf("step %d (%s at %v): retry %v, %v; want %v", i, s.client, s.at, got, err, s.retry)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, ok := range map[string]bool{
		"AAAAAAAAAAAAAAAAAAAAAA": true, "abcdefghijklmnopqrstu_": false /* last char carries unused bits */, "_-_-_-_-_-_-_-_-_-_-_w": true,
		"": false, "AAAAAAAAAAAAAAAAAAAAA": false, "AAAAAAAAAAAAAAAAAAAAA=": false, "AAAAAAAAAAAAAAAAAAAA/A": false, "../../../etc/passwdxxx": false,
	} {
		if share.ValidID(id) != ok {
			t.Errorf("ValidID(%q) = %v, want %v", id, !ok, ok)
		}
	}
}
