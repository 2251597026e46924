package run_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
	"pada/core/train"
)

// tinyRun trains a small supernet on synthetic data with PA&DA (so that
// epoch events carry the data summary) and returns the run as a record.
func tinyRun(t testing.TB, label string) run.RecordRun {
	t.Helper()
	c, _ := run.Preset("mini")
	c.Shape = space.Shape{InC: 1, H: 8, W: 8, C: 4, N: 1, Classes: 4, Batch: 16}
	c.Data = run.Data{Name: "synthetic", ValFrac: 0.2}
	c.Epochs = 2
	c.Sampler = run.Sampler{Path: "pa", PathMode: "reference", Data: "da"}
	c.Eval = run.Eval{Split: "eval", Archs: "list", List: []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
		"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
	}}
	c.Events.StepEvery = 2
	sets, err := train.BuildSets(c, train.Synthetic(96, 1, 8, 8, 4, 1), train.Synthetic(32, 1, 8, 8, 4, 2))
	if err != nil {
		t.Fatal(err)
	}
	archs, truth, err := train.SelectArchs(c.Eval, c.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	truth.Acc = []float64{80, 10, -1} // the last one unknown to the table
	be := nn.NewCPU(1)
	defer be.Close()
	net, err := supernet.New(c.Shape, be)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(c.Seed)
	rr := run.RecordRun{Label: label, Config: c, Kernels: "cpu/test"}
	s, err := train.NewSession(c, net, sets, archs, truth, "cpu/test", func(e run.Event) { rr.Events = append(rr.Events, e) })
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

var (
	raceOnce sync.Once
	race     run.Record
)

// tinyRace is a two-run record; callers copy it through JSON before
// changing it.
func tinyRace(t testing.TB) run.Record {
	raceOnce.Do(func() {
		race = run.Record{
			Version: run.RecordVersion, Space: "nb201", Code: "devel",
			Title: "uniform vs PA&DA", Settings: "epochs=2&runs=uniform,pa",
			Runs: []run.RecordRun{tinyRun(t, "PA&DA"), tinyRun(t, "again")},
		}
		race.Runs[0].Examples = examples(3, 16, 16)
	})
	return clone(t, race)
}

// examples are n thumbnails of one shape, as the page records them.
func examples(n, h, w int) *run.RecordExamples {
	x := &run.RecordExamples{C: 1, H: h, W: w}
	for i := range n {
		px := make([]byte, h*w)
		for j := range px {
			px[j] = byte(i*37 + j)
		}
		x.Items = append(x.Items, run.RecordExample{ID: 10 * i, Label: -1, Pixels: px})
	}
	return x
}

func clone(t testing.TB, r run.Record) run.Record {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var c run.Record
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRecordRoundTrip(t *testing.T) {
	r := tinyRace(t)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range r.Runs[0].Events {
		kinds[e.Type]++
	}
	for _, k := range []string{run.TypeStarted, run.TypeStep, run.TypeEpoch, run.TypeRank, run.TypeDone} {
		if kinds[k] == 0 {
			t.Fatalf("the test run has no %s event (%v): the round trip would not cover it", k, kinds)
		}
	}
	if r.Runs[0].Events[2].Epoch == nil && r.Runs[0].Ranking[2].Truth != nil {
		t.Fatal("the unknown truth should be null")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := run.ParseRecord(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("the record changed on the way through JSON:\n got %+v\nwant %+v", got, r)
	}
	// And the text is stable: encoding what was read gives the same bytes.
	b2, _ := json.Marshal(got)
	if !bytes.Equal(b, b2) {
		t.Fatal("re-encoding the parsed record gives other bytes")
	}
}

// TestRecordKeepsHTMLAsData: markup in a record's strings is data, kept
// byte for byte; it is the reader's job to show it as text.
func TestRecordKeepsHTMLAsData(t *testing.T) {
	r := tinyRace(t)
	r.Title = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	r.Runs[0].Label = `</title><b>bold</b>`
	b, _ := json.Marshal(r)
	got, err := run.DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != r.Title || got.Runs[0].Label != r.Runs[0].Label {
		t.Fatalf("markup changed: %q %q", got.Title, got.Runs[0].Label)
	}
}

func TestRecordRefused(t *testing.T) {
	long := strings.Repeat("x", run.MaxRecordString+1)
	cases := []struct {
		name   string
		edit   func(r *run.Record)
		raw    func(b []byte) []byte // applied to the JSON instead of edit
		field  string                // the field the error names
		offset bool                  // the error carries a byte offset
		direct bool                  // Validate the value: JSON cannot carry it (bad UTF-8) or it exceeds the byte limit first
	}{
		{name: "space", edit: func(r *run.Record) { r.Space = "darts" }, field: "space"},
		{name: "long code", edit: func(r *run.Record) { r.Code = long }, field: "code"},
		{name: "long title", edit: func(r *run.Record) { r.Title = strings.Repeat("t", run.MaxRecordText+1) }, field: "title"},
		{name: "bad utf-8", edit: func(r *run.Record) { r.Runs[0].Label = "\xff" }, field: "runs[0].label", direct: true},
		{name: "no runs", edit: func(r *run.Record) { r.Runs = nil }, field: "runs"},
		{name: "too many runs", edit: func(r *run.Record) {
			for len(r.Runs) <= run.MaxRecordRuns {
				r.Runs = append(r.Runs, r.Runs[0])
			}
		}, field: "runs"},
		{name: "bad config", edit: func(r *run.Record) { r.Runs[1].Config.Sampler.Path = "random" }, field: "runs[1].config.sampler.path"},
		{name: "long data dir", edit: func(r *run.Record) { r.Runs[0].Config.Data.Dir = long }, field: "runs[0].config.data.dir"},
		{name: "started config differs", edit: func(r *run.Record) {
			r.Runs[0].Events[0].Started.Config.Epochs++
		}, field: "runs[0].events[0].started.config"},
		{name: "no events", edit: func(r *run.Record) { r.Runs[0].Events = nil }, field: "runs[0].events"},
		{name: "first not started", edit: func(r *run.Record) { r.Runs[0].Events = r.Runs[0].Events[1:] }, field: "runs[0].events[0].type"},
		{name: "second started", edit: func(r *run.Record) { r.Runs[0].Events[1] = r.Runs[0].Events[0] }, field: "runs[0].events[1].type"},
		{name: "unknown type", edit: func(r *run.Record) { r.Runs[0].Events[1].Type = "boom" }, field: "runs[0].events[1].type"},
		{name: "payload of another type", edit: func(r *run.Record) {
			r.Runs[0].Events[1].Type = run.TypeDone
		}, field: "runs[0].events[1]"},
		{name: "two payloads", edit: func(r *run.Record) {
			r.Runs[0].Events[1].Done = &run.Done{}
		}, field: "runs[0].events[1]"},
		{name: "negative time", edit: func(r *run.Record) { r.Runs[0].Events[1].Time = -1 }, field: "runs[0].events[1].t"},
		{name: "step arch", edit: func(r *run.Record) { r.Runs[0].Events[1].Step.Arch = "<b>" }, field: "runs[0].events[1].step.arch"},
		{name: "many classes", edit: func(r *run.Record) {
			r.Runs[0].Events[0].Started.Classes = make([]string, run.MaxRecordList+1)
		}, field: "runs[0].events[0].started.classes"},
		{name: "long class", edit: func(r *run.Record) {
			r.Runs[0].Events[0].Started.Classes = []string{long}
		}, field: "runs[0].events[0].started.classes[0]"},
		{name: "ranking arch", edit: func(r *run.Record) { r.Runs[1].Ranking[2].Arch = "|none~0|" }, field: "runs[1].ranking[2].arch"},
		{name: "ranking accuracy", edit: func(r *run.Record) { r.Runs[1].Ranking[0].Pred = 101 }, field: "runs[1].ranking[0].predicted_acc"},
		{name: "too many events", edit: func(r *run.Record) {
			e := r.Runs[0].Events
			for len(r.Runs[0].Events) <= run.MaxRecordEvents {
				r.Runs[0].Events = append(r.Runs[0].Events, e[1:]...)
			}
		}, field: "runs", direct: true},
		{name: "examples: channels", edit: func(r *run.Record) { r.Runs[0].Examples.C = 2 }, field: "runs[0].examples.c"},
		{name: "examples: height", edit: func(r *run.Record) { r.Runs[0].Examples = examples(1, run.MaxRecordThumbSide+1, 4) }, field: "runs[0].examples.h"},
		{name: "examples: width", edit: func(r *run.Record) { r.Runs[0].Examples = examples(1, 4, 0) }, field: "runs[0].examples.w"},
		{name: "examples: too many", edit: func(r *run.Record) { r.Runs[1].Examples = examples(run.MaxRecordExamples+1, 2, 2) }, field: "runs[1].examples.items"},
		{name: "examples: pixels", edit: func(r *run.Record) { r.Runs[0].Examples.Items[2].Pixels = r.Runs[0].Examples.Items[2].Pixels[1:] }, field: "runs[0].examples.items[2].px"},
		{name: "examples: id", edit: func(r *run.Record) { r.Runs[0].Examples.Items[1].ID = -3 }, field: "runs[0].examples.items[1].id"},
		{name: "examples: twice", edit: func(r *run.Record) { r.Runs[0].Examples.Items[1].ID = 0 }, field: "runs[0].examples.items[1].id"},
		{name: "examples: label", edit: func(r *run.Record) {
			r.Runs[0].Examples.Items[0].Label = len(r.Runs[0].Events[0].Started.Classes)
		}, field: "runs[0].examples.items[0].label"},
		{name: "examples: not base64", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"px":"`), []byte(`"px":"<img>`), 1)
		}, field: "runs.examples.items.px", offset: true},
		{name: "examples: pixel out of range", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"px":"`), []byte(`"px":[256],"x":"`), 1)
		}, field: "runs.examples.items.px", offset: true},
		{name: "unknown field", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"space"`), []byte(`"spaec":1,"space"`), 1)
		}, field: "spaec", offset: true},
		{name: "wrong type", raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"label":"PA\u0026DA"`), []byte(`"label":7`), 1)
		}, field: "runs.label", offset: true},
		{name: "syntax", raw: func(b []byte) []byte { return b[:len(b)/2] }},
		{name: "trailing data", raw: func(b []byte) []byte { return append(b, []byte(` {}`)...) }, offset: true},
		{name: "garbage", raw: func([]byte) []byte { return []byte("<html>") }, offset: true},
		{name: "no version", raw: func([]byte) []byte { return []byte(`{"space":"nb201"}`) }, field: "version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tinyRace(t)
			var b []byte
			var err error
			switch {
			case tc.direct:
				tc.edit(&r)
				err = r.Validate()
			case tc.raw != nil:
				b0, _ := json.Marshal(r)
				b = tc.raw(b0)
				_, err = run.DecodeRecord(b)
			default:
				tc.edit(&r)
				b, _ = json.Marshal(r)
				_, err = run.DecodeRecord(b)
			}
			var re *run.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v (%T), want a *RecordError", err, err)
			}
			if tc.field != "" && re.Field != tc.field {
				t.Fatalf("field %q, want %q (%v)", re.Field, tc.field, err)
			}
			if tc.offset && re.Offset < 0 {
				t.Fatalf("no byte offset in %v", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("the message %q does not name %q", err, tc.field)
			}
		})
	}
}

func TestRecordVersionAndSize(t *testing.T) {
	r := tinyRace(t)
	r.Version = 2
	b, _ := json.Marshal(r)
	// A later version may have fields this one lacks: still a version error.
	b = bytes.Replace(b, []byte(`"space"`), []byte(`"future":true,"space"`), 1)
	var ve *run.VersionError
	if _, err := run.DecodeRecord(b); !errors.As(err, &ve) || ve.Got != 2 {
		t.Fatalf("err = %v, want a VersionError for 2", err)
	}
	big := bytes.Repeat([]byte(" "), run.MaxRecordBytes+1)
	if _, err := run.ParseRecord(bytes.NewReader(big)); !errors.Is(err, run.ErrRecordTooLarge) {
		t.Fatalf("err = %v, want ErrRecordTooLarge", err)
	}
	// Exactly at the limit is read (and refused only for what it is).
	ok, _ := json.Marshal(tinyRace(t))
	pad := append(ok, bytes.Repeat([]byte(" "), run.MaxRecordBytes-len(ok))...)
	if _, err := run.ParseRecord(bytes.NewReader(pad)); err != nil {
		t.Fatalf("a record of exactly MaxRecordBytes: %v", err)
	}
}

// TestRecordWithoutExamples: records published before example
// thumbnails were added (testdata, written by that code: the ui test
// race's record, and one that the page published from a race in headless
// Chromium, as the share API stored it) still read, validate and
// re-encode to the same bytes.
func TestRecordWithoutExamples(t *testing.T) {
	for _, f := range []string{"record-v1-no-examples.json", "record-v1-page.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		r, err := run.DecodeRecord(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(r.Runs) != 2 || r.Runs[0].Examples != nil || r.Runs[1].Examples != nil {
			t.Fatalf("%s: %d runs, examples %v %v", f, len(r.Runs), r.Runs[0].Examples, r.Runs[1].Examples)
		}
		again, _ := json.Marshal(r)
		if !bytes.Equal(again, b) {
			t.Errorf("%s: the old record re-encodes to other bytes", f)
		}
	}
}

func ExampleDecodeRecord() {
	_, err := run.DecodeRecord([]byte(`{"version":1,"space":"nb201","code":"devel","runs":[{"label":7}]}`))
	fmt.Println(err)
	_, err = run.DecodeRecord([]byte(`{"version":9}`))
	fmt.Println(err)
	// Output:
	// record: runs.label (byte 62): want string, got number
	// record: version 9 is not supported; this build reads version 1
}

// FuzzDecodeRecord: no input panics, and whatever is accepted is valid
// and comes back equal through its own encoding.
func FuzzDecodeRecord(f *testing.F) {
	good, _ := json.Marshal(tinyRace(f))
	f.Add(good)
	f.Add([]byte(`{"version":1,"space":"nb201","code":"","runs":[]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add(good[:len(good)/3])
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := run.DecodeRecord(b)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted but invalid: %v", err)
		}
		b2, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := run.DecodeRecord(b2)
		if err != nil && !errors.Is(err, run.ErrRecordTooLarge) {
			t.Fatalf("re-encoded record refused: %v", err)
		}
		if err == nil && !reflect.DeepEqual(r, r2) {
			t.Fatal("the record changed through its own encoding")
		}
	})
}
