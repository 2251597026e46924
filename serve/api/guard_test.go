package api

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pada/core/run"
)

// Who may call the API: the server's own page, allowed origins, and
// clients that are not browsers; never another site.
func TestAPIOrigins(t *testing.T) {
	o := testOptions("")
	o.AllowOrigins = originList{"https://blog.example"}
	ta := startAPI(t, o)
	self := ta.url
	host := strings.TrimPrefix(self, "http://")
	cfg, _ := json.Marshal(apiConfig(1, 1))
	for _, tc := range []struct {
		name, method, path string
		hdr                []string
		code               int
		acao               string // Access-Control-Allow-Origin wanted
	}{
		{"curl GET", "GET", "/api/health", nil, 200, ""},
		{"curl POST", "POST", "/api/runs", nil, 201, ""},
		{"same origin GET", "GET", "/api/runs", []string{"Origin", self, "Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"same origin POST", "POST", "/api/runs", []string{"Origin", self, "Sec-Fetch-Site", "same-origin"}, 201, ""},
		{"same-origin fetch without Origin", "GET", "/api/runs", []string{"Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"typed into the address bar", "GET", "/api/health", []string{"Sec-Fetch-Site", "none"}, 200, ""},
		{"evil GET", "GET", "/api/runs", []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, ""},
		{"evil POST", "POST", "/api/runs", []string{"Origin", "https://evil.example"}, 403, ""},
		{"evil pause", "POST", "/api/runs/000001/pause", []string{"Origin", "https://evil.example"}, 403, ""},
		{"evil preflight", "OPTIONS", "/api/runs", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 403, ""},
		{"opaque origin", "POST", "/api/runs", []string{"Origin", "null"}, 403, ""},
		{"other port of loopback", "GET", "/api/runs", []string{"Origin", "http://127.0.0.1:1", "Sec-Fetch-Site", "same-site"}, 403, ""},
		{"cross-site navigation", "GET", "/api/runs/000001/ranking.csv", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate"}, 403, ""},
		{"same-site without Origin", "GET", "/api/runs", []string{"Sec-Fetch-Site", "same-site"}, 403, ""},
		{"DNS rebinding", "POST", "/api/runs", []string{"Host", "evil.example:" + strings.Split(host, ":")[1], "Origin", "http://evil.example:" + strings.Split(host, ":")[1]}, 403, ""},
		{"localhost name", "GET", "/api/health", []string{"Host", "localhost:" + strings.Split(host, ":")[1]}, 200, ""},
		{"allowed GET", "GET", "/api/runs", []string{"Origin", "https://blog.example", "Sec-Fetch-Site", "cross-site"}, 200, "https://blog.example"},
		{"allowed POST", "POST", "/api/runs", []string{"Origin", "https://blog.example", "Sec-Fetch-Site", "cross-site"}, 201, "https://blog.example"},
		{"allowed preflight", "OPTIONS", "/api/runs", []string{"Origin", "https://blog.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Private-Network", "true"}, 204, "https://blog.example"},
		{"static page untouched", "GET", "/index.html", nil, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.method == "POST" && tc.path == "/api/runs" {
				body = cfg
			}
			code, resp, hdr := ta.do(tc.method, tc.path, body, tc.hdr...)
			if code != tc.code {
				t.Fatalf("%d %s, want %d", code, resp, tc.code)
			}
			if got := hdr.Get("Access-Control-Allow-Origin"); got != tc.acao {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.acao)
			}
			if code == 403 {
				var e apiError
				if err := json.Unmarshal(resp, &e); err != nil || e.Msg == "" {
					t.Errorf("403 body %q is not a JSON error", resp)
				}
			}
			if tc.name == "allowed preflight" && hdr.Get("Access-Control-Allow-Private-Network") != "true" {
				t.Error("no Access-Control-Allow-Private-Network on the preflight")
			}
		})
	}
}

func TestOriginFlag(t *testing.T) {
	var o originList
	for _, ok := range []string{"https://blog.example", "http://127.0.0.1:3000,https://a.example/"} {
		if err := o.Set(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if o.String() != "https://blog.example,http://127.0.0.1:3000,https://a.example" {
		t.Errorf("origins %q", o.String())
	}
	for _, bad := range []string{"blog.example", "ftp://x", "https://blog.example/page", "*"} {
		if err := o.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Bad requests are refused with a JSON error that says where.
func TestAPIBadRequests(t *testing.T) {
	o := testOptions("")
	o.MaxBody = 4096
	ta := startAPI(t, o)
	off := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name   string
		body   string
		code   int
		field  string
		offset *int64
		msg    string
	}{
		{"oversized", `{"preset":"mini","eval":{"archs":"list","list":["` + strings.Repeat("x", 5000) + `"]}}`, 413, "", nil, "4096 bytes"},
		{"syntax", `{"version": 1,, "epochs": 2}`, 400, "", off(15), "byte 15"},
		{"truncated", `{"version": 1, "epochs"`, 400, "", off(23), "end of JSON"},
		{"empty", ``, 400, "", nil, "empty"},
		{"trailing", `{"preset":"mini"} {}`, 400, "", off(19), "after top-level value"},
		{"wrong type", `{"preset":"mini","epochs":"ten"}`, 400, "epochs", off(31), "want int"},
		{"unknown field", `{"preset":"mini","epoch":3}`, 400, "epoch", nil, "unknown field"},
		{"unknown preset", `{"preset":"huge"}`, 400, "preset", nil, "huge"},
		{"invalid value", `{"preset":"mini","sampler":{"path":"darts"}}`, 400, "sampler.path", nil, "darts"},
		{"invalid nested", `{"preset":"mini","eval":{"archs":"list","list":["|bogus|"]}}`, 400, "eval.list[0]", nil, ""},
		{"no version", `{"epochs":3}`, 400, "version", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := ta.do("POST", "/api/runs", []byte(tc.body))
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d %q is not a JSON error", code, body)
			}
			if code != tc.code || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("%d %s; want %d, field %q, message with %q", code, body, tc.code, tc.field, tc.msg)
			}
			if (tc.offset == nil) != (e.Offset == nil) || (tc.offset != nil && *tc.offset != *e.Offset) {
				t.Errorf("offset %v, want %v", e.Offset, tc.offset)
			}
		})
	}
	// A preset with overrides is accepted, and is the preset plus them.
	code, body, _ := ta.do("POST", "/api/runs", []byte(`{"preset":"mini","epochs":1,"seed":9,"data":{"name":"synthetic","train":100,"val_frac":0.2},"shape":{"height":8,"width":8,"channels":4,"batch":16},"eval":{"archs":"sample:2","images":32}}`))
	var created struct{ ID, State string }
	if json.Unmarshal(body, &created); code != 201 || created.ID == "" {
		t.Fatalf("preset with overrides: %d %s", code, body)
	}
	rec := ta.record(created.ID)
	mini, _ := run.Preset("mini")
	if rec.Config.Epochs != 1 || rec.Config.Seed != 9 || rec.Config.LR != mini.LR || rec.Config.Shape.N != mini.Shape.N || rec.Config.Eval.Split != "eval" {
		t.Errorf("merged config %+v", rec.Config)
	}
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/api/runs/nope", 404},
		{"GET", "/api/runs/nope/events", 404},
		{"POST", "/api/runs/nope/pause", 404},
		{"POST", "/api/runs/" + created.ID + "/explode", 404},
		{"GET", "/api/runs/" + created.ID + "/events?from=-1", 400},
		{"GET", "/api/runs/" + created.ID + "/events?format=xml", 400},
		{"GET", "/api/nothing", 404},
	} {
		if code, body, _ := ta.do(tc.method, tc.path, nil); code != tc.code {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.code)
		}
	}
	if code, _, _ := ta.do("GET", "/api/runs/nope/events", nil, "Last-Event-ID", "x"); code != 404 {
		t.Errorf("bad Last-Event-ID on a missing run: %d", code)
	}
	ta.waitFor(created.ID, "done")
}

func TestAPIHealth(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	code, body, hdr := ta.do("GET", "/api/health", nil)
	var h struct {
		OK      bool
		Version string
		Cores   int
		Backend string
	}
	if json.Unmarshal(body, &h); code != http.StatusOK || !h.OK || h.Version != apiVersion || h.Cores < 1 || h.Backend != "cpu" || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("health: %d %s", code, body)
	}
}

// The web command's flags reach the API, and -api=false leaves only the
// static site.
func TestAPIFlags(t *testing.T) {
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "static") })
	for _, tc := range []struct {
		args   []string
		health string // what /api/health answers
	}{
		{[]string{"-max-runs", "2", "-queue", "3", "-threads", "1", "-allow-origin", "https://blog.example"}, `"max_runs":2`},
		{[]string{"-api=false"}, "static"},
		{[]string{"-max-mem", "2G", "-keep-runs", "3", "-data-root", os.TempDir(), "-allow-origin", "https://blog.example"},
			`"data_root":true,"keep_runs":3,"max_body":1048576,"max_events":1000000,"max_mem":2147483648`},
	} {
		fs := flag.NewFlagSet("web", flag.ContinueOnError)
		o := Flags(fs)
		storePath := filepath.Join(t.TempDir(), "sub", "runs.db")
		if err := fs.Parse(append(tc.args, "-store", storePath)); err != nil {
			t.Fatal(err)
		}
		a, err := o.Open("127.0.0.1", t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		h, stop := a.Handler(static), a.Close
		srv := httptest.NewServer(h)
		get := func(path string, hdr ...string) (int, string) {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := get("/api/health"); code != 200 || !strings.Contains(body, tc.health) {
			t.Errorf("%v: health %d %s", tc.args, code, body)
		}
		if _, body := get("/"); body != "static" {
			t.Errorf("%v: / answers %q", tc.args, body)
		}
		if o.Enabled {
			if !o.LoopbackHost {
				t.Error("listening on 127.0.0.1 does not check Host")
			}
			if code, _ := get("/api/health", "Origin", "https://blog.example"); code != 200 {
				t.Errorf("allowed origin: %d", code)
			}
		}
		stop()
		srv.Close()
		http.DefaultClient.CloseIdleConnections()
	}
}

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
