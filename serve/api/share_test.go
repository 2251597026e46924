package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pada/core/groundtruth"
	"pada/core/run"
	"pada/wasm/edge/share/sharetest"
)

// TestAPIShares holds the native server to the share API's checks
// (the same ones the Worker is held to: wasm/edge).
func TestAPIShares(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	tm := sharetest.Check(t, &sharetest.Client{Base: ta.url, HTTP: ta.client}, sharesPerWindow)
	t.Logf("serve: publish %v, fetch %v (medians), record %d bytes", tm.Publish, tm.Fetch, tm.Bytes)
}

// TestAPISharesKept: a share outlives its server, and the API's guards
// apply to it (a foreign page may not publish or delete).
func TestAPISharesKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	ta := startAPI(t, testOptions(path))
	c := &sharetest.Client{Base: ta.url, HTTP: ta.client}
	p, a := c.Publish(t, sharetest.Record(t))
	if a.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", a.Code, a.Body)
	}
	ta.Close()

	tb := startAPI(t, testOptions(path))
	c = &sharetest.Client{Base: tb.url, HTTP: tb.client}
	if a := c.Do(t, "GET", "/api/shares/"+p.ID, "", nil); a.Code != http.StatusOK {
		t.Fatalf("fetch after a restart: %d %s", a.Code, a.Body)
	}
	foreign := []string{"Origin", "https://evil.example"}
	if a := c.Do(t, "DELETE", "/api/shares/"+p.ID, "", nil, append(foreign, "Authorization", "Bearer "+p.Token)...); a.Code != http.StatusForbidden {
		t.Fatalf("delete from a foreign page: %d %s", a.Code, a.Body)
	}
	body := []byte(`{"version":1}`)
	if a := c.Do(t, "POST", "/api/shares", "application/json", body, foreign...); a.Code != http.StatusForbidden {
		t.Fatalf("publish from a foreign page: %d %s", a.Code, a.Body)
	}
	if a := c.Do(t, "DELETE", "/api/shares/"+p.ID, "", nil, "Authorization", "Bearer "+p.Token); a.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", a.Code, a.Body)
	}
}

// TestShareMeasure publishes a real race: the output folders of `serve
// train -out DIR` named in PADA_SHARE_RUNS (comma-separated), as one
// record, to a fresh native server and, with PADA_EDGE_URL, to a running
// Worker (make edge-dev), and logs the record's size and the median
// publish and fetch times over 10 of each. PADA_SHARE_OUT=FILE also
// writes the record there.
func TestShareMeasure(t *testing.T) {
	dirs := os.Getenv("PADA_SHARE_RUNS")
	if dirs == "" {
		t.Skip("set PADA_SHARE_RUNS=DIR[,DIR...] (folders of serve train -out) to measure a real share")
	}
	rec := run.Record{Version: run.RecordVersion, Space: "nb201", Code: groundtruth.CodeVersion()}
	for _, dir := range strings.Split(dirs, ",") {
		rr, err := recordRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		rec.Runs = append(rec.Runs, rr)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Validate(); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("PADA_SHARE_OUT"); out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	events := 0
	for _, r := range rec.Runs {
		events += len(r.Events)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(b)
	zw.Close()
	t.Logf("record: %d runs, %d events, %d bytes (%d gzipped)", len(rec.Runs), events, len(b), gz.Len())

	ta := startAPI(t, testOptions(""))
	targets := []struct{ name, url string }{{"serve", ta.url}}
	if u := os.Getenv("PADA_EDGE_URL"); u != "" {
		targets = append(targets, struct{ name, url string }{"worker", strings.TrimRight(u, "/")})
	}
	for _, tg := range targets {
		c := &sharetest.Client{Base: tg.url, HTTP: &http.Client{}}
		var pub, get []time.Duration
		for range 10 {
			p, a := c.Publish(t, rec)
			if a.Code != http.StatusCreated {
				t.Fatalf("%s: publish: %d %s", tg.name, a.Code, a.Body)
			}
			pub = append(pub, a.Took)
			f := c.Do(t, "GET", "/api/shares/"+p.ID, "", nil)
			if f.Code != http.StatusOK {
				t.Fatalf("%s: fetch: %d %s", tg.name, f.Code, f.Body)
			}
			get = append(get, f.Took)
			c.Do(t, "DELETE", "/api/shares/"+p.ID, "", nil, "Authorization", "Bearer "+p.Token)
		}
		slices.Sort(pub)
		slices.Sort(get)
		t.Logf("%s: publish median %v (min %v), fetch median %v (min %v) over 10", tg.name, pub[5], pub[0], get[5], get[0])
	}
}

// recordRun reads one `serve train -out DIR` folder as a record's run.
func recordRun(dir string) (run.RecordRun, error) {
	var rr run.RecordRun
	f, err := os.Open(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		return rr, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	for dec.More() {
		var e run.Event
		if err := dec.Decode(&e); err != nil {
			return rr, fmt.Errorf("%s: %w", f.Name(), err)
		}
		rr.Events = append(rr.Events, e)
	}
	if len(rr.Events) == 0 || rr.Events[0].Started == nil {
		return rr, fmt.Errorf("%s: no started event", f.Name())
	}
	s := rr.Events[0].Started
	rr.Config, rr.Kernels = s.Config, s.Backend
	rr.Label = s.Config.Sampler.Path + "/" + s.Config.Sampler.Data
	csvb, err := os.ReadFile(filepath.Join(dir, "ranking.csv"))
	if err != nil {
		return rr, err
	}
	rows, err := rankingRows(csvb)
	if err != nil {
		return rr, err
	}
	for _, r := range rows {
		rr.Ranking = append(rr.Ranking, run.RankRow{Arch: r.Arch, Pred: r.Pred, Truth: r.Truth})
	}
	return rr, nil
}
