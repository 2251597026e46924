// Package sharetest checks a running server's share API end to end over
// HTTP, so that the native server and the Worker are held to the same
// answers by the same test.
package sharetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/train"
	"pada/wasm/edge/share"
)

var (
	once sync.Once
	rec  run.Record
)

// Record is a real two-run race (a small supernet trained on synthetic
// data with uniform and with PA&DA sampling), trained once per process;
// the PA&DA run carries example thumbnails, as the page records them
// (synthetic data has no class names: their labels are -1).
func Record(t testing.TB) run.Record {
	t.Helper()
	once.Do(func() {
		rec = run.Record{Version: run.RecordVersion, Space: "nb201", Code: "devel",
			Title: "uniform vs PA&DA", Settings: "epochs=2&runs=uniform,pa"}
		for _, p := range [][2]string{{"uniform", "uniform"}, {"pa", "da"}} {
			rec.Runs = append(rec.Runs, tinyRun(t, p[0], p[1]))
		}
		x := &run.RecordExamples{C: 1, H: 8, W: 8}
		for i := range 4 {
			px := make([]byte, 64)
			for j := range px {
				px[j] = byte(i*60 + j)
			}
			x.Items = append(x.Items, run.RecordExample{ID: i, Label: -1, Pixels: px})
		}
		rec.Runs[1].Examples = x
	})
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var c run.Record
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func tinyRun(t testing.TB, path, data string) run.RecordRun {
	c, _ := run.Preset("mini")
	c.Shape = space.Shape{InC: 1, H: 8, W: 8, C: 4, N: 1, Classes: 4, Batch: 16}
	c.Data = run.Data{Name: "synthetic", ValFrac: 0.2}
	c.Epochs = 2
	c.Sampler = run.Sampler{Path: path, PathMode: "reference", Data: data}
	c.Eval = run.Eval{Split: "eval", Archs: "list", List: []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
		"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
	}}
	c.Events.StepEvery = 2
	be := nn.NewCPU(1)
	defer be.Close()
	p, err := train.Prepare(c, train.Inputs{Train: train.Synthetic(96, 1, 8, 8, 4, 1), Eval: train.Synthetic(32, 1, 8, 8, 4, 2),
		Backend: be, BackendName: "cpu/test"})
	if err != nil {
		t.Fatal(err)
	}
	p.Truth.Acc = []float64{80, 10, -1}
	rr := run.RecordRun{Label: path + "/" + data, Config: c, Kernels: "cpu/test"}
	s, err := p.Start(func(e run.Event) { rr.Events = append(rr.Events, e) })
	if err != nil {
		t.Fatal(err)
	}
	for s.Advance() {
	}
	as, pred, tr := s.Predictions()
	for i, a := range as {
		row := run.RankRow{Arch: a.String(), Pred: pred[i]}
		if tr[i] >= 0 {
			row.Truth = &tr[i]
		}
		rr.Ranking = append(rr.Ranking, row)
	}
	return rr
}

// Client talks to one server's share API.
type Client struct {
	Base string // e.g. http://127.0.0.1:8787
	HTTP *http.Client
	// Header is added to every request (e.g. an Origin the server accepts).
	Header http.Header
}

// Answer is a reply, read whole.
type Answer struct {
	Code   int
	Header http.Header
	Body   []byte
	Took   time.Duration
}

// Do sends one request.
func (c *Client) Do(t testing.TB, method, path, ctype string, body []byte, hdr ...string) Answer {
	t.Helper()
	req, err := http.NewRequest(method, c.Base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading: %v", method, path, err)
	}
	return Answer{Code: resp.StatusCode, Header: resp.Header, Body: b, Took: time.Since(start)}
}

// Publish posts r and returns what the server answered.
func (c *Client) Publish(t testing.TB, r run.Record) (share.Published, Answer) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Do(t, "POST", "/api/shares", "application/json", b)
	var p share.Published
	if a.Code == http.StatusCreated {
		if err := json.Unmarshal(a.Body, &p); err != nil {
			t.Fatalf("publish answer %s: %v", a.Body, err)
		}
	}
	return p, a
}

func want(t testing.TB, what string, a Answer, code int) {
	t.Helper()
	if a.Code != code {
		t.Fatalf("%s: %d %s, want %d", what, a.Code, a.Body, code)
	}
	if ct := a.Header.Get("Content-Type"); a.Code != http.StatusNoContent && !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, want application/json", what, ct)
	}
}

// wantError checks a 4xx answer: its code, that it is a JSON error, and
// that it names field (when given).
func wantError(t testing.TB, what string, a Answer, code int, field string, offset bool) {
	t.Helper()
	want(t, what, a, code)
	var e struct {
		Error  string `json:"error"`
		Field  string `json:"field"`
		Offset *int64 `json:"offset"`
	}
	if err := json.Unmarshal(a.Body, &e); err != nil || e.Error == "" {
		t.Fatalf("%s: the answer %q is not a JSON error", what, a.Body)
	}
	if e.Field != field {
		t.Fatalf("%s: field %q, want %q (%s)", what, e.Field, field, e.Error)
	}
	if offset && e.Offset == nil {
		t.Fatalf("%s: no byte offset in %s", what, a.Body)
	}
}

// Timing is what Check measured.
type Timing struct {
	Publish, Fetch time.Duration // medians over Check's publications and fetches
	Bytes          int           // the stored size of the test record
}

// Check runs the whole share API against c: publish, fetch and compare
// whole records, delete without, with a wrong and with the right token,
// the refusals (oversize, malformed, wrong version, wrong content type),
// an HTML-carrying share kept as JSON data, and, when limit > 0, that
// publication limit+1 within the window is refused with 429. The
// server's limiter must count from zero when Check starts.
func Check(t *testing.T, c *Client, limit int) Timing {
	r := Record(t)
	published := 0
	var pubs, fetches []time.Duration
	stored := 0

	t.Run("info", func(t *testing.T) {
		a := c.Do(t, "GET", "/api/shares", "", nil)
		want(t, "info", a, http.StatusOK)
		var in share.Info
		if err := json.Unmarshal(a.Body, &in); err != nil || in != (share.Info{Shares: true, RecordVersion: run.RecordVersion, MaxBytes: run.MaxRecordBytes}) {
			t.Fatalf("GET /api/shares: %s (%v)", a.Body, err)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		for range 3 {
			p, a := c.Publish(t, r)
			published++
			want(t, "publish", a, http.StatusCreated)
			pubs = append(pubs, a.Took)
			stored = p.Bytes
			if !share.ValidID(p.ID) || !share.ValidID(p.Token) || p.ID == p.Token {
				t.Fatalf("id %q, token %q: want two distinct 128-bit base64url strings", p.ID, p.Token)
			}
			if a.Header.Get("Location") != "/api/shares/"+p.ID || p.URL != "/#share="+p.ID {
				t.Fatalf("Location %q, url %q", a.Header.Get("Location"), p.URL)
			}
			f := c.Do(t, "GET", "/api/shares/"+p.ID, "", nil)
			want(t, "fetch", f, http.StatusOK)
			fetches = append(fetches, f.Took)
			if f.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatal("fetch: no X-Content-Type-Options: nosniff")
			}
			got, err := run.DecodeRecord(f.Body)
			if err != nil {
				t.Fatalf("the fetched record does not read back: %v", err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("fetched record differs from the published one:\n got %+v\nwant %+v", got, r)
			}
			if len(f.Body) != p.Bytes {
				t.Fatalf("fetched %d bytes, publish said %d", len(f.Body), p.Bytes)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		p, a := c.Publish(t, r)
		published++
		want(t, "publish", a, http.StatusCreated)
		path := "/api/shares/" + p.ID
		wantError(t, "delete without token", c.Do(t, "DELETE", path, "", nil), http.StatusForbidden, "", false)
		other := p.Token[:len(p.Token)-1] + map[bool]string{true: "A", false: "B"}[p.Token[len(p.Token)-1] != 'A']
		wantError(t, "delete with a wrong token", c.Do(t, "DELETE", path, "", nil, "Authorization", "Bearer "+other), http.StatusForbidden, "", false)
		want(t, "fetch after refused deletes", c.Do(t, "GET", path, "", nil), http.StatusOK)
		if a := c.Do(t, "DELETE", path, "", nil, "Authorization", "Bearer "+p.Token); a.Code != http.StatusNoContent {
			t.Fatalf("delete with the token: %d %s", a.Code, a.Body)
		}
		wantError(t, "fetch after delete", c.Do(t, "GET", path, "", nil), http.StatusNotFound, "", false)
		wantError(t, "delete again", c.Do(t, "DELETE", path, "", nil, "Authorization", "Bearer "+p.Token), http.StatusNotFound, "", false)
		wantError(t, "unknown id", c.Do(t, "GET", "/api/shares/AAAAAAAAAAAAAAAAAAAAAA", "", nil), http.StatusNotFound, "", false)
		wantError(t, "not an id", c.Do(t, "GET", "/api/shares/..%2F..%2Fetc", "", nil), http.StatusNotFound, "", false)
	})

	t.Run("html is data", func(t *testing.T) {
		h := Record(t)
		h.Title = `<script>alert(1)</script><img src=x onerror=alert(2)>`
		h.Runs[0].Label = `</script><b>bold</b>`
		p, a := c.Publish(t, h)
		published++
		want(t, "publish", a, http.StatusCreated)
		f := c.Do(t, "GET", "/api/shares/"+p.ID, "", nil)
		want(t, "fetch", f, http.StatusOK)
		if f.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(f.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("headers %v: want nosniff and a sandboxing CSP", f.Header)
		}
		if bytes.ContainsAny(f.Body, "<>") {
			t.Fatalf("the stored record carries raw markup: %.200s", f.Body)
		}
		got, err := run.DecodeRecord(f.Body)
		if err != nil || got.Title != h.Title || got.Runs[0].Label != h.Runs[0].Label {
			t.Fatalf("markup changed on the way: %q %q %v", got.Title, got.Runs[0].Label, err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		good, _ := json.Marshal(r)
		bad := Record(t)
		bad.Runs[1].Config.Sampler.Path = "random"
		badB, _ := json.Marshal(bad)
		many := Record(t)
		for len(many.Runs[1].Examples.Items) <= run.MaxRecordExamples {
			e := many.Runs[1].Examples.Items[0]
			e.ID = len(many.Runs[1].Examples.Items)
			many.Runs[1].Examples.Items = append(many.Runs[1].Examples.Items, e)
		}
		manyB, _ := json.Marshal(many)
		short := Record(t)
		short.Runs[1].Examples.Items[3].Pixels = short.Runs[1].Examples.Items[3].Pixels[:63]
		shortB, _ := json.Marshal(short)
		v2 := bytes.Replace(good, []byte(`"version":1,"space"`), []byte(`"version":2,"space"`), 1)
		big := append(bytes.Repeat([]byte(" "), run.MaxRecordBytes), good...)
		post := func(ctype string, b []byte) Answer {
			if ctype == "application/json" { // the others are refused before the limiter
				published++
			}
			return c.Do(t, "POST", "/api/shares", ctype, b)
		}
		wantError(t, "oversize", post("application/json", big), http.StatusRequestEntityTooLarge, "", false)
		wantError(t, "bad field", post("application/json", badB), http.StatusBadRequest, "runs[1].config.sampler.path", false)
		wantError(t, "too many examples", post("application/json", manyB), http.StatusBadRequest, "runs[1].examples.items", false)
		wantError(t, "an example's pixels", post("application/json", shortB), http.StatusBadRequest, "runs[1].examples.items[3].px", false)
		wantError(t, "truncated", post("application/json", good[:len(good)/2]), http.StatusBadRequest, "", false)
		wantError(t, "not JSON", post("application/json", []byte("<html><script>alert(1)</script>")), http.StatusBadRequest, "", true)
		wantError(t, "wrong version", post("application/json", v2), http.StatusUnprocessableEntity, "version", false)
		wantError(t, "form post", post("application/x-www-form-urlencoded", good), http.StatusUnsupportedMediaType, "", false)
		wantError(t, "html post", post("text/html", good), http.StatusUnsupportedMediaType, "", false)
	})

	if limit > 0 {
		t.Run("rate limit", func(t *testing.T) {
			// Refusals count too: a client cannot probe the validator
			// without limit either.
			for published < limit {
				_, a := c.Publish(t, r)
				published++
				want(t, fmt.Sprintf("publication %d of %d", published, limit), a, http.StatusCreated)
			}
			_, a := c.Publish(t, r)
			wantError(t, fmt.Sprintf("publication %d past the limit of %d", published+1, limit), a, http.StatusTooManyRequests, "", false)
			if a.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		})
	}
	return Timing{Publish: median(pubs), Fetch: median(fetches), Bytes: stored}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
