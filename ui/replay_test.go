package ui

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pada/core/rank/stat"
	"pada/core/run"
	"pada/core/sampler"
	"pada/wasm/msg"
)

const (
	archA = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
	archB = "|nor_conv_1x1~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|"
	id1   = "AAAAAAAAAAAAAAAAAAAAAA"
	id2   = "abcdefghijklmnopqrstuw"
)

// finishedRace is a two-run race as the page holds it once both runs
// are done: every kind of event, with a ground truth and baselines.
func finishedRace(t *testing.T) *Root {
	t.Helper()
	c := NewRoot(nil, tinyHash+"&theme=dark&views=loss,rank,data,paths,cell,gv,val,drift,acc")
	c.Race()
	if len(c.Runs) != 2 {
		t.Fatalf("%d runs", len(c.Runs))
	}
	for i, r := range c.Runs {
		f := float64(i + 1)
		probs := make([][]float64, 6)
		for e := range probs {
			probs[e] = make([]float64, 5)
			for o := range probs[e] {
				probs[e][o] = 0.2
			}
		}
		probs[2][3], probs[2][0] = 0.3, 0.1
		// The pictures of the data chart's examples, as a worker sends
		// them (example 2 has no class: its label is out of range).
		thumbs := map[int][]byte{1: make([]byte, 256), 4: make([]byte, 256), 2: make([]byte, 256)}
		for id, px := range thumbs {
			for j := range px {
				px[j] = byte(id*50 + j)
			}
		}
		r.Apply(msg.Batch{Thumbs: thumbs, Labels: map[int]int{1: 1, 4: 0, 2: 9}, C: 1, H: 16, W: 16, Mem: 30 << 20, Images: 500, Busy: 2, Events: []run.Event{
			{Type: run.TypeStarted, Time: 0.01, Started: &run.Started{Config: r.Config, Archs: 2, StepsPerEpoch: 2, TrainImages: 900,
				Backend: "go-wasm/wasm-simd128 worker", Classes: []string{"T-shirt", "Dress"},
				Truth: &run.TruthTable{Rows: 500, Known: 2, Doubly: 85, SeedTau: 0.71, Ceiling: 0.84}}},
			{Type: run.TypeStep, Time: 0.5, Step: &run.Step{Step: 1, Loss: 2.3 / f, Acc: 10 * f, Ops: []int{0, 1, 2, 3, 4, 3}, Arch: archA}},
			{Type: run.TypeStep, Time: 0.9, Step: &run.Step{Step: 2, Epoch: 1, Loss: 2.1 / f, Acc: 14 * f, Ops: []int{3, 0, 1, 3, 0, 4}, Arch: archB}},
			{Type: run.TypeEpoch, Time: 1, Epoch: &run.Epoch{Epoch: 0, TrainLoss: 2 / f, ValAcc: 20 * f, GV: 1e-3, GVPerParam: 1e-8, Drift: 2e-3, DriftPerParam: 3e-8,
				PathProbs: probs, GVFixed: &run.GVFixed{Draws: 8, Weighted: 3e-6, Unweighted: 1e-6 * f, Uniform: 2e-6},
				Data: &sampler.Summary{Edges: []float64{0.5, 1, 2}, Counts: []int{3, 5}, Top: []int{1, 4}, Bottom: []int{2}}}},
			{Type: run.TypeRank, Time: 1.2, Rank: &run.RankProgress{Done: 1, Total: 2, Arch: archA, Pred: 30 * f, Truth: 80, Tau: 0}},
			{Type: run.TypeRank, Time: 1.3, Rank: &run.RankProgress{Done: 2, Total: 2, Arch: archB, Pred: 31, Truth: 70.5, Tau: 0.2 * f}},
			{Type: run.TypeDone, Time: 1.4, Done: &run.Done{Tau: 0.2 * f, Archs: 2, Assessment: run.Assessment{
				TauCI:       &stat.Interval{Lo: -0.5, Hi: 0.9},
				Baselines:   []run.Baseline{{Name: "params", Tau: 0.3, CI: stat.Interval{Lo: 0.1, Hi: 0.5}}, {Name: "convs", Tau: 0.4}},
				WithinConvs: &run.WithinTau{Within: stat.Within{Tau: 0.1, Groups: 2}, CI: stat.Interval{Lo: -0.2, Hi: 0.3}}}}},
		}})
		if r.Status != StatusDone {
			t.Fatalf("run %d: %s", i, r.Status)
		}
	}
	return c
}

// pageCharts is everything the page draws from the runs: each chart's
// HTML (prefixed "html "), and the text beside it (vg-content: each
// chart's caption, each run's tau and status lines, the summary).
func pageCharts(c *Root) []string {
	var out []string
	for _, ch := range c.Charts() {
		out = append(out, "html "+ch.ID+": "+ch.HTML, "text "+ch.ID+": "+ch.Caption)
	}
	for i, r := range c.Runs {
		for _, ch := range c.RunCharts(i, r) {
			out = append(out, "html "+ch.ID+": "+ch.HTML)
		}
		out = append(out, "text "+r.Label()+": "+r.TauText()+" | "+r.StatusText())
	}
	return append(out, "text "+c.Summary(), "text "+c.TruthNote(), "text "+c.BaselineNote())
}

// A finished race becomes a record that validates, survives JSON as a
// server stores it, and replays into the same charts, tau lines and
// summary, with the data chart's example pictures and class names.
func TestRecordReplaysTheRace(t *testing.T) {
	c := finishedRace(t)
	rec, err := c.RaceRecord()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != run.RecordVersion || rec.Space != "nb201" || rec.Code == "" || len(rec.Runs) != 2 ||
		rec.Runs[1].Label != "PA&DA" || rec.Runs[1].Kernels != "go-wasm/wasm-simd128 worker" || len(rec.Runs[1].Ranking) != 2 {
		t.Fatalf("record %+v", rec)
	}
	if want := "epochs=2&batch=32&train=1000&archs=5&evalimages=100"; rec.Settings != want {
		t.Errorf("settings %q, want %q (the race, not the page's looks)", rec.Settings, want)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := run.DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rec) {
		t.Fatal("the record changed through JSON")
	}
	viewer := NewRoot(nil, "#share="+id1+"&theme=dark&views=loss,rank,data,paths,cell,gv,val,drift,acc")
	viewer.followShare()
	viewer.ShareFetched(id1, Answer{Code: 200, JSON: true, Body: string(b), Date: "Wed, 02 Dec 2026 07:30:00 GMT"})
	if viewer.ShareErr() != "" || viewer.Shares.Replay == nil {
		t.Fatalf("replay: %q", viewer.ShareErr())
	}
	if x := rec.Runs[1].Examples; x == nil || len(x.Items) != 3 || x.C != 1 || x.H != 16 || x.Items[0].ID != 1 || x.Items[0].Label != 1 || x.Items[2].Label != -1 {
		t.Fatalf("the record's examples: %+v", x)
	}
	want, got := pageCharts(c), pageCharts(viewer)
	pictures := 0
	for i := range want {
		pictures += strings.Count(want[i], "<img ")
		if i >= len(got) || want[i] != got[i] {
			t.Errorf("replayed view %d differs:\n got %.300s\nwant %.300s", i, got[min(i, len(got)-1)], want[i])
		}
	}
	if pictures == 0 || !strings.Contains(strings.Join(got, ""), "example 1: Dress") {
		t.Errorf("the replay shows %d example pictures, and no class names", pictures)
	}
	if len(got) != len(want) {
		t.Errorf("%d views replayed, want %d", len(got), len(want))
	}
	line := viewer.ReplayLine()
	for _, s := range []string{"published 2 Dec 2026 07:30 UTC", "code " + shortCode(rec.Code), "kernels go-wasm/wasm-simd128 worker", "nothing trains"} {
		if !strings.Contains(line, s) {
			t.Errorf("banner %q lacks %q", line, s)
		}
	}
	if !viewer.Replaying() || !strings.Contains(viewer.PageClass(), "replay") || viewer.CanPublish() {
		t.Error("a replay must be marked read-only and offer no Publish")
	}
	viewer.Race()
	viewer.Key(" ")
	viewer.Key("r")
	if len(viewer.Runs) != 2 || viewer.Runs[0].Status != StatusDone {
		t.Error("Race, Space or R changed a replay")
	}
	href := viewer.TrainHref()
	if href != "http://127.0.0.1:8080/#epochs=2&batch=32&train=1000&archs=5&evalimages=100&theme=dark" {
		t.Errorf("train it yourself: %q", href)
	}
	// Following that link leaves the replay for a page ready to race.
	viewer.HashChanged(strings.TrimPrefix(href, "http://127.0.0.1:8080/"))
	if viewer.Replaying() || len(viewer.Runs) != 0 || viewer.State.Epochs != 2 {
		t.Errorf("after train it yourself: replaying %v, %d runs, epochs %d", viewer.Replaying(), len(viewer.Runs), viewer.State.Epochs)
	}
}

// TestOldRecordReplays: a record that the page published before the
// example thumbnails were added (core/run's testdata: a race in headless
// Chromium, as the share API stored it) replays, with ids and no
// pictures in its data chart.
func TestOldRecordReplays(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "core", "run", "testdata", "record-v1-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	viewer := NewRoot(nil, "#share="+id1+"&views=loss,rank,data")
	viewer.followShare()
	viewer.ShareFetched(id1, Answer{Code: 200, JSON: true, Body: string(b)})
	if viewer.ShareErr() != "" || viewer.Shares.Replay == nil || len(viewer.Runs) != 2 || viewer.Runs[1].Status != StatusDone {
		t.Fatalf("the old record: %q", viewer.ShareErr())
	}
	var data string
	for _, ch := range viewer.RunCharts(1, viewer.Runs[1]) {
		data += ch.HTML
	}
	if strings.Contains(data, "<img ") || !strings.Contains(data, "Data importance") {
		t.Errorf("the old record's data chart: %.400s", data)
	}
}

func TestRecordNeedsAFinishedRace(t *testing.T) {
	c := NewRoot(nil, tinyHash)
	if _, err := c.RaceRecord(); err == nil {
		t.Error("a record of no race")
	}
	c.Race()
	if _, err := c.RaceRecord(); err == nil || !strings.Contains(err.Error(), "Uniform (SPOS) has not finished") {
		t.Errorf("record of a running race: %v", err)
	}
	if c.CanPublish() {
		t.Error("Publish offered during a race")
	}
	c = finishedRace(t)
	if !c.CanPublish() {
		t.Error("no Publish for a finished race")
	}
}

const hostile = `<script>window.padaXSS=1</script><img src=x onerror="window.padaXSS=1">"'&`

// A record that carries markup in every string it may hold replays
// with that markup as text: no chart's HTML holds an element or an
// attribute that the page did not write itself.
func TestReplayRendersHostileStringsAsText(t *testing.T) {
	c := finishedRace(t)
	rec, err := c.RaceRecord()
	if err != nil {
		t.Fatal(err)
	}
	HostileRecord(&rec, hostile)
	if err := rec.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	v := NewRoot(nil, "#share="+id1)
	v.followShare()
	v.ShareFetched(id1, Answer{Code: 200, JSON: true, Body: string(b)})
	if v.Shares.Replay == nil {
		t.Fatal(v.ShareErr())
	}
	views := pageCharts(v)
	for _, h := range views {
		if strings.HasPrefix(h, "html ") {
			checkInert(t, h)
		}
	}
	all := strings.Join(views, "\n")
	if !strings.Contains(all, "&lt;script&gt;") {
		t.Error("the hostile label is not shown (escaped) in the charts")
	}
	// Text-only places (vg-content) get the string as it is; links are
	// rebuilt from known settings.
	if v.ReplayTitle() != hostile || !strings.Contains(v.ReplayLine(), hostile) {
		t.Errorf("title %q, line %q", v.ReplayTitle(), v.ReplayLine())
	}
	if h := v.TrainHref(); strings.ContainsAny(h, `<>"' `) || !strings.HasPrefix(h, "http://127.0.0.1:8080/#") {
		t.Errorf("train it yourself from a hostile record: %q", h)
	}
}

// HostileRecord puts s into every string field of rec that a record may
// carry freely (the arch strings and the config's names are validated
// against what they name, so they cannot carry markup).
func HostileRecord(rec *run.Record, s string) {
	rec.Title, rec.Code, rec.Settings = s, s, s
	for i := range rec.Runs {
		rr := &rec.Runs[i]
		rr.Label, rr.Kernels = s, s
		for j := range rr.Events {
			e := &rr.Events[j]
			if e.Started != nil {
				e.Started.Backend = s
				e.Started.Classes = []string{s, s}
			}
			if e.Done != nil {
				for k := range e.Done.Baselines {
					e.Done.Baselines[k].Name = s
				}
			}
		}
		n := len(rr.Events)
		rr.Events = append(rr.Events[:n-1:n-1], run.Event{Type: run.TypeError, Time: 1.35, Error: s}, rr.Events[n-1])
	}
}

// checkInert fails on an element or attribute that markup from a record
// could have made: scripts, images, frames, handlers, javascript: links.
func checkInert(t *testing.T, h string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader("<div>" + strings.SplitN(h, ": ", 2)[1] + "</div>"))
	d.Strict = false
	d.Entity = map[string]string{"nbsp": " "}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed (%v): %.400s", err, h)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "img" {
			// The data chart's example pictures, which the page writes
			// itself: a BMP it encodes from the record's pixel bytes, and
			// text attributes.
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "alt", "title", "width", "height":
				case "src":
					if !strings.HasPrefix(a.Value, "data:image/bmp;base64,") || strings.Trim(a.Value[len("data:image/bmp;base64,"):], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
						t.Errorf("<img src=%.80q> in %.200s", a.Value, h)
					}
				default:
					t.Errorf("attribute %s=%q in <img> in %.200s", a.Name.Local, a.Value, h)
				}
			}
			continue
		}
		switch se.Name.Local {
		case "script", "iframe", "object", "embed", "foreignObject", "a", "use", "image":
			t.Errorf("element <%s> in %.200s", se.Name.Local, h)
		}
		for _, a := range se.Attr {
			if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || strings.Contains(strings.ToLower(a.Value), "javascript:") {
				t.Errorf("attribute %s=%q in <%s>", a.Name.Local, a.Value, se.Name.Local)
			}
		}
	}
}

// What the page says for each answer to fetching a share.
func TestShareFetchedMessages(t *testing.T) {
	good, _ := json.Marshal(mustRecord(t))
	for _, tc := range []struct {
		name string
		a    Answer
		want string // in the message; "" for a replay
	}{
		{"network", Answer{Err: errors.New("Failed to fetch")}, "Could not fetch the published race: Failed to fetch"},
		{"static host", Answer{Code: 404, Body: "404 page not found"}, "no share API"},
		{"static host that answers every path", Answer{Code: 200, Body: "<!doctype html>"}, "no share API"},
		{"deleted", Answer{Code: 404, JSON: true, Body: `{"error":"no such share (deleted, or never published here)"}`}, "cannot be opened (HTTP 404): no such share (deleted"},
		{"wrong version", Answer{Code: 200, JSON: true, Body: `{"version":2,"runs":[]}`}, "version 2 record; this page replays version 1"},
		{"malformed", Answer{Code: 200, JSON: true, Body: `{"version":1,"runs":`}, "malformed and cannot be shown: record:"},
		{"bad field", Answer{Code: 200, JSON: true, Body: `{"version":1,"space":"nb201","code":"x","runs":[],"extra":1}`}, "extra"},
		{"good", Answer{Code: 200, JSON: true, Body: string(good)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewRoot(nil, "#share="+id1)
			c.followShare()
			if c.Shares.Loading != id1 || !c.Replaying() {
				t.Fatal("not loading the link's share")
			}
			c.ShareFetched(id1, tc.a)
			got := c.ShareErr()
			if tc.want == "" {
				if got != "" || c.Shares.Replay == nil || len(c.Runs) != 2 {
					t.Errorf("%q, replay %v", got, c.Shares.Replay != nil)
				}
				return
			}
			if !strings.Contains(got, tc.want) || c.Shares.Replay != nil || len(c.Runs) != 0 {
				t.Errorf("message %q, want %q and no replay", got, tc.want)
			}
		})
	}
	// An answer for a link the page has left is dropped.
	c := NewRoot(nil, "#share="+id1)
	c.followShare()
	c.HashChanged("#share=" + id2)
	c.ShareFetched(id1, Answer{Code: 200, JSON: true, Body: string(good)})
	if c.Shares.Replay != nil || c.Shares.Loading != id2 {
		t.Error("a stale answer replaced the link's share")
	}
	// A malformed id never reaches the network.
	c = NewRoot(nil, "#share=../../api/runs")
	c.followShare()
	if c.Shares.Loading != "" || !strings.Contains(c.ShareErr(), "not a share id") {
		t.Errorf("bad id: loading %q, message %q", c.Shares.Loading, c.ShareErr())
	}
}

func mustRecord(t *testing.T) run.Record {
	rec, err := finishedRace(t).RaceRecord()
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// What the page says for each answer to a publication and a deletion.
func TestPublishAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Answer
		want string
		pub  bool
	}{
		{"published", Answer{Code: 201, JSON: true, Body: `{"id":"` + id1 + `","token":"tok","url":"/#share=` + id1 + `","bytes":1234}`}, "Published (1234 bytes)", true},
		{"too large", Answer{Code: 413, JSON: true, Body: `{"error":"a share is at most 1048576 bytes"}`}, "refused the race (HTTP 413): a share is at most 1048576 bytes", false},
		{"rate limit", Answer{Code: 429, JSON: true, Body: `{"error":"too many shares published from here: try again in 60 s"}`}, "(HTTP 429): too many shares", false},
		{"static host", Answer{Code: 405, Body: "Method Not Allowed"}, "no share API", false},
		{"not a share", Answer{Code: 201, JSON: true, Body: `{"id":"<b>","token":"t"}`}, "not a share", false},
		{"offline", Answer{Err: errors.New("Failed to fetch")}, "Could not publish: Failed to fetch", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := finishedRace(t)
			c.Publish()
			if !c.Shares.Busy {
				t.Fatalf("not publishing: %q", c.Shares.Msg)
			}
			c.Published(tc.a)
			if !strings.Contains(c.Shares.Msg, tc.want) || (c.Shares.Pub != nil) != tc.pub || c.Shares.Busy {
				t.Errorf("message %q (published %v), want %q", c.Shares.Msg, c.Shares.Pub != nil, tc.want)
			}
			if !tc.pub {
				return
			}
			if c.Permalink() != "http://127.0.0.1:8080/#share="+id1 || !strings.Contains(c.ShareEmbedCode(), "#embed=1&amp;share="+id1) {
				t.Errorf("permalink %q, embed %q", c.Permalink(), c.ShareEmbedCode())
			}
			c.DeletePublished()
			c.ShareDeleted(Answer{Code: 403, JSON: true, Body: `{"error":"wrong delete token for this share"}`}, false)
			if c.Shares.Deleted || c.Shares.Msg != "Not deleted (HTTP 403): wrong delete token for this share" {
				t.Errorf("403: %q", c.Shares.Msg)
			}
			c.DeletePublished()
			c.ShareDeleted(Answer{Code: http.StatusNoContent}, false)
			if !c.Shares.Deleted || !strings.Contains(c.Shares.Msg, "Deleted") {
				t.Errorf("204: %q", c.Shares.Msg)
			}
		})
	}
	c := finishedRace(t)
	c.Shares.MaxBytes = 100
	c.Publish()
	if c.Shares.Busy || !strings.Contains(c.Shares.Msg, "at most 100") {
		t.Errorf("an oversize record was sent: %q", c.Shares.Msg)
	}
	c.SharesProbed(Answer{Code: 404, Body: "not found"})
	if c.Shares.OK || !strings.Contains(c.PublishNote(), "no share API") {
		t.Errorf("static host: %q", c.PublishNote())
	}
	c.SharesProbed(Answer{Code: 200, JSON: true, Body: `{"shares":true,"record_version":1,"max_bytes":1048576}`})
	if !c.Shares.OK || c.Shares.MaxBytes != 1048576 {
		t.Errorf("share API not detected: %+v", c.Shares)
	}
}

func TestShareHash(t *testing.T) {
	s, errs := ParseHash("#share=" + id1 + "&embed=1")
	if len(errs) != 0 || s.Share != id1 || !s.Embed || s.Hash() != "share="+id1+"&embed=1" {
		t.Errorf("%+v %v %q", s, errs, s.Hash())
	}
	for _, bad := range []string{"x", id1 + "A", "AAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAA/A", strings.Repeat("<", 500)} {
		s, errs := ParseHash("share=" + bad)
		if s.Share != "" || !strings.Contains(errs["share"], "not a share id") || len(errs["share"]) > 120 {
			t.Errorf("share=%.30s: %q %q", bad, s.Share, errs["share"])
		}
	}
	if shortCode(strings.Repeat("ab", 20)+"+dirty") != "abababababab+dirty" || shortCode("devel") != "devel" {
		t.Error(shortCode(strings.Repeat("ab", 20) + "+dirty"))
	}
}
