package groundtruth_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"pada/core/groundtruth"
	"pada/core/space"
	"pada/core/train"
)

func TestSample(t *testing.T) {
	small, large := groundtruth.Sample(20, 3), groundtruth.Sample(50, 3)
	if len(small) != 20 || len(large) != 50 {
		t.Fatalf("got %d and %d architectures, want 20 and 50", len(small), len(large))
	}
	if !slices.Equal(small, large[:20]) {
		t.Error("Sample(20) is not a prefix of Sample(50): a table could not grow")
	}
	if slices.Equal(large, groundtruth.Sample(50, 4)) {
		t.Error("seeds 3 and 4 drew the same sample")
	}
	reps := map[space.Arch]bool{}
	for _, a := range space.UniqueArchs() {
		reps[a] = true
	}
	keys := map[string]bool{}
	for _, a := range large {
		if !reps[a] {
			t.Errorf("%s is not its class's representative", a)
		}
		if keys[a.Key()] {
			t.Errorf("class of %s drawn twice", a)
		}
		keys[a.Key()] = true
	}
	if n := len(groundtruth.Sample(10000, 0)); n != 6466 {
		t.Errorf("a sample larger than the space has %d classes, want 6466", n)
	}
}

// Two networks of different classes.
const (
	archB = "|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
	archC = "|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|"
)

// isomorphicPair returns two different spellings of one network.
func isomorphicPair(t *testing.T) (space.Arch, space.Arch) {
	t.Helper()
	// With node 1 = node 0 (skip), the edges 2<-0 and 2<-1 see the same
	// input, so swapping their ops gives the same network.
	a := mustParse(t, "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|none~0|none~1|avg_pool_3x3~2|")
	b := mustParse(t, "|skip_connect~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|none~0|none~1|avg_pool_3x3~2|")
	if a == b || a.Key() != b.Key() {
		t.Fatalf("%s and %s are not two spellings of one class", a, b)
	}
	return a, b
}

func TestPlan(t *testing.T) {
	a, a2 := isomorphicPair(t)
	b, c := mustParse(t, archB), mustParse(t, archC)
	have := groundtruth.NewTable([]groundtruth.Row{{Arch: b, Acc: 80}})
	type task struct {
		arch  space.Arch
		seeds int
	}
	for _, tc := range []struct {
		name   string
		archs  []space.Arch
		have   *groundtruth.Table
		doubly int
		want   []task
	}{
		{"all seeds", []space.Arch{a, b, c}, nil, -1, []task{{a, 2}, {b, 2}, {c, 2}}},
		{"isomorphic spelling skipped", []space.Arch{a, a2, b}, nil, -1, []task{{a, 2}, {b, 2}}},
		{"second seed for the first class", []space.Arch{a, b, c}, nil, 1, []task{{a, 2}, {b, 1}, {c, 1}}},
		{"a repeat does not use up the doubly count", []space.Arch{a, a2, b, c}, nil, 2, []task{{a, 2}, {b, 2}, {c, 1}}},
		{"done classes left out, still counted", []space.Arch{b, a, c}, have, 2, []task{{a, 2}, {c, 1}}},
		{"a spelling of a done class left out", []space.Arch{a2}, groundtruth.NewTable([]groundtruth.Row{{Arch: a}}), -1, nil},
		{"no second seed", []space.Arch{a, b}, nil, 0, []task{{a, 1}, {b, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []task
			for _, p := range groundtruth.Plan(tc.archs, tc.have, 2, tc.doubly) {
				for i, s := range p.Seeds {
					if s != i {
						t.Fatalf("task %s has seeds %v", p.Arch, p.Seeds)
					}
				}
				got = append(got, task{p.Arch, len(p.Seeds)})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("plan %v, want %v", got, tc.want)
			}
		})
	}
}

// tinyBuilder builds tables for tinyConfig.
func tinyBuilder(t *testing.T, workers int) *groundtruth.Builder {
	c := tinyConfig()
	c.Epochs = 1
	sets := tinySets(t, c, 48, 11)
	return &groundtruth.Builder{Config: c, Train: sets.Train, Eval: sets.Eval, Seeds: []uint64{0, 1}, Workers: workers,
		NewTrainer: train.StandaloneFor(c, sets.Train, sets.Eval)}
}

func tinyProtocol(b *groundtruth.Builder) groundtruth.Protocol {
	return groundtruth.NewProtocol(b.Config, "train-hash", "eval-hash", b.Seeds, "test")
}

// build runs b on the plan for archs against the table in file (the
// header is written when file is empty), appending rows as the command
// does; stop, if not nil, is called after each row with the number
// appended so far and may cancel the build.
func build(t *testing.T, b *groundtruth.Builder, file *bytes.Buffer, archs []space.Arch, doubly int, stop func(n int)) error {
	t.Helper()
	p := tinyProtocol(b)
	have, sound, err := groundtruth.Resume(bytes.NewReader(file.Bytes()), p)
	if err != nil {
		t.Fatal(err)
	}
	file.Truncate(int(sound))
	if have == nil {
		if err := groundtruth.WriteHeader(file, p); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	return b.Build(context.Background(), groundtruth.Plan(archs, have, len(b.Seeds), doubly), func(r groundtruth.Row) error {
		file.Write(groundtruth.FormatRow(r, len(b.Seeds)))
		n++
		if stop != nil {
			stop(n)
		}
		return nil
	})
}

func readTable(t *testing.T, b []byte) *groundtruth.Table {
	t.Helper()
	tab, err := groundtruth.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%v in\n%s", err, b)
	}
	return tab
}

// rowsByKey drops the timings, which differ from run to run.
func rowsByKey(tab *groundtruth.Table) map[string]string {
	m := map[string]string{}
	for _, r := range tab.Rows {
		r.Seconds = 0
		r.Index = 0
		m[r.Key] = string(groundtruth.FormatRow(r, len(tab.Protocol.Seeds)))
	}
	return m
}

// TestBuildResume interrupts a build after its first row, continues it,
// and checks that the table then holds exactly the rows of an
// uninterrupted build: none lost, none twice, the same numbers.
func TestBuildResume(t *testing.T) {
	archs := groundtruth.Sample(8, 1)
	var whole bytes.Buffer
	if err := build(t, tinyBuilder(t, 2), &whole, archs, 3, nil); err != nil {
		t.Fatal(err)
	}
	want := rowsByKey(readTable(t, whole.Bytes()))
	if len(want) != 8 {
		t.Fatalf("uninterrupted build wrote %d rows, want 8", len(want))
	}

	var file bytes.Buffer
	b := tinyBuilder(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := tinyProtocol(b)
	if err := groundtruth.WriteHeader(&file, p); err != nil {
		t.Fatal(err)
	}
	err := b.Build(ctx, groundtruth.Plan(archs, nil, 2, 3), func(r groundtruth.Row) error {
		file.Write(groundtruth.FormatRow(r, 2))
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted build returned %v", err)
	}
	part := readTable(t, file.Bytes())
	if n := len(part.Rows); n < 1 || n >= 8 {
		t.Fatalf("interrupted build wrote %d rows; want some, not all", n)
	}
	if err := build(t, tinyBuilder(t, 3), &file, archs, 3, nil); err != nil {
		t.Fatal(err)
	}
	got := rowsByKey(readTable(t, file.Bytes()))
	if len(got) != len(want) {
		t.Errorf("resumed table has %d rows, want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("class %s: resumed row %q, uninterrupted %q", k, got[k], w)
		}
	}
	doubly := 0
	for _, r := range readTable(t, file.Bytes()).Rows {
		if !math.IsNaN(r.Seeds[1]) {
			doubly++
		}
	}
	if doubly != 3 {
		t.Errorf("%d rows have a second seed, want 3", doubly)
	}
}

func TestBuildIsomorphic(t *testing.T) {
	a, a2 := isomorphicPair(t)
	var file bytes.Buffer
	b := tinyBuilder(t, 1)
	if err := build(t, b, &file, []space.Arch{a, a2}, -1, nil); err != nil {
		t.Fatal(err)
	}
	// A later build of the other spelling finds nothing to do.
	if err := build(t, b, &file, []space.Arch{a2}, -1, func(int) { t.Error("the other spelling was trained") }); err != nil {
		t.Fatal(err)
	}
	tab := readTable(t, file.Bytes())
	if len(tab.Rows) != 1 {
		t.Fatalf("%d rows for one class, want 1", len(tab.Rows))
	}
	r, ok := tab.Lookup(a2)
	if !ok || r.Arch != a {
		t.Errorf("Lookup(%s) = %v, %v; want the row of %s", a2, r.Arch, ok, a)
	}
	if r.Params == 0 || r.FLOPs == 0 || math.IsNaN(r.Seeds[0]) || math.IsNaN(r.Seeds[1]) || r.Acc != (r.Seeds[0]+r.Seeds[1])/2 {
		t.Errorf("row %+v is incomplete", r)
	}
}

func TestBuildEmitError(t *testing.T) {
	b := tinyBuilder(t, 2)
	boom := errors.New("disk full")
	n := 0
	err := b.Build(context.Background(), groundtruth.Plan(groundtruth.Sample(6, 0), nil, 2, -1), func(groundtruth.Row) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("Build returned %v after %d rows; want %v after 1", err, n, boom)
	}
	err = b.Build(context.Background(), []groundtruth.Task{{Arch: space.Arch{}, Seeds: []int{2}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "seed 2 of 2") {
		t.Errorf("a task naming a missing seed: %v", err)
	}
}

// table returns the bytes of a table under p with rows (accuracies for
// seeds 0 and 1; NaN where a seed was not trained).
func table(t *testing.T, p groundtruth.Protocol, rows ...[2]float64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := groundtruth.WriteHeader(&b, p); err != nil {
		t.Fatal(err)
	}
	archs := groundtruth.Sample(len(rows), 9)
	for i, acc := range rows {
		mean := (acc[0] + acc[1]) / 2
		if math.IsNaN(acc[1]) {
			mean = acc[0]
		}
		b.Write(groundtruth.FormatRow(groundtruth.Row{Arch: archs[i], Seeds: acc[:], Acc: mean, Params: 100, FLOPs: 1000, Seconds: 2}, 2))
	}
	return b.Bytes()
}

func TestResume(t *testing.T) {
	b := tinyBuilder(t, 1)
	p := tinyProtocol(b)
	full := table(t, p, [2]float64{80, 81}, [2]float64{70, 72}, [2]float64{60, 59})
	lines := strings.SplitAfter(string(full), "\n")
	header := strings.Join(lines[:3], "")
	twoRows := strings.Join(lines[:5], "")

	other := func(edit func(*groundtruth.Protocol)) []byte {
		q := p
		edit(&q)
		return table(t, q, [2]float64{80, 81})
	}
	otherShape := tinyBuilder(t, 1)
	otherShape.Config.Shape.C = 3
	otherSched := tinyBuilder(t, 1)
	otherSched.Config.LR = 0.1

	for _, tc := range []struct {
		name  string
		in    []byte
		rows  int // -1: no table (a fresh start)
		sound int
		want  string // error
	}{
		{"empty", nil, -1, 0, ""},
		{"cut in the magic line", []byte(header[:10]), -1, 0, ""},
		{"cut in the protocol line", []byte(header[:60]), -1, 0, ""},
		{"cut in the CSV header", []byte(header[:len(header)-3]), -1, 0, ""},
		{"header only", []byte(header), 0, len(header), ""},
		{"complete", full, 3, len(full), ""},
		{"last line cut", full[:len(full)-7], 2, len(twoRows), ""},
		{"last line cut before its first comma", full[:len(twoRows)+3], 2, len(twoRows), ""},
		{"code version differs", other(func(q *groundtruth.Protocol) { q.Code = "abc123" }), 1, -1, ""},

		{"NAS-Bench-201 CSV", []byte("ArchitectureString,CIFAR10TestAccuracy200Epochs\n" + archB + ",93.1\n"), 0, 0, "not a ground-truth table"},
		{"text file", []byte("hello\n"), 0, 0, `line 1 is "hello"`},
		{"bad row", []byte(twoRows + "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,#+#+#,ninety,,90,1,1,1\n"), 0, 0, "line 6, column acc_seed0"},
		{"duplicate class", []byte(twoRows + lines[4]), 0, 0, "isomorphic to line 5"},
		{"other shape", table(t, tinyProtocol(otherShape), [2]float64{1, 2}), 0, 0, "protocol field shape is"},
		{"other data", other(func(q *groundtruth.Protocol) { q.DataHash = "train:x eval:y" }), 0, 0, "protocol field data_hash is train:x eval:y in the table"},
		{"other dataset", other(func(q *groundtruth.Protocol) { q.Data = "mnist" }), 0, 0, "protocol field data is mnist"},
		{"other schedule", table(t, tinyProtocol(otherSched), [2]float64{1, 2}), 0, 0, `protocol field schedule is {"epochs":1,"lr":0.1`},
		{"other seeds", other(func(q *groundtruth.Protocol) { q.Seeds = []uint64{0, 2} }), 0, 0, "protocol field seeds is [0 2] in the table but [0 1] in this build"},
		{"other preset", other(func(q *groundtruth.Protocol) { q.Preset = "nb201" }), 0, 0, "protocol field preset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, sound, err := groundtruth.Resume(bytes.NewReader(tc.in), p)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.sound < 0 {
				tc.sound = len(tc.in)
			}
			if int(sound) != tc.sound {
				t.Errorf("sound prefix %d bytes, want %d", sound, tc.sound)
			}
			switch {
			case tc.rows < 0 && tab != nil:
				t.Errorf("got a table of %d rows, want a fresh start", len(tab.Rows))
			case tc.rows >= 0 && (tab == nil || len(tab.Rows) != tc.rows):
				t.Errorf("got table %v, want %d rows", tab, tc.rows)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	p := tinyProtocol(tinyBuilder(t, 1))
	rows := [][2]float64{{90, 89}, {80, 81}, {70, 68}, {60, 61}, {25, 25}, {50, math.NaN()}}
	tab := readTable(t, table(t, p, rows...))
	s := groundtruth.Summarize(tab, 4)
	if s.Rows != 6 || s.Doubly != 5 || s.Runs != 11 || s.Chance != 1 || s.Seconds != 12 {
		t.Errorf("rows %d, doubly %d, runs %d, at chance %d, seconds %g; want 6, 5, 11, 1, 12", s.Rows, s.Doubly, s.Runs, s.Chance, s.Seconds)
	}
	if math.Abs(s.Tau-1) > 1e-12 || math.Abs(s.TauLearnt-1) > 1e-12 {
		t.Errorf("tau %g (%g without chance rows), want 1", s.Tau, s.TauLearnt)
	}
	if s.Min != 25 || s.Max != 89.5 {
		t.Errorf("accuracy range [%g, %g], want [25, 89.5]", s.Min, s.Max)
	}
	// Without the row at chance: 89.5, 80.5, 69, 60.5, 50.
	if want := (89.5 + 80.5 + 69 + 60.5 + 50) / 5; s.LearntMin != 50 || math.Abs(s.LearntMean-want) > 1e-12 {
		t.Errorf("learnt rows: min %g, mean %g; want 50, %g", s.LearntMin, s.LearntMean, want)
	}
	// Differences 1, -1, 2, -1, 0: mean square 7/5, over 2.
	if want := math.Sqrt(7.0 / 5 / 2); math.Abs(s.NoiseSD-want) > 1e-12 {
		t.Errorf("noise %g, want %g", s.NoiseSD, want)
	}
	text := s.String()
	for _, w := range []string{"rows (isomorphism classes): 6", "doubly trained rows: 5", "Kendall tau-b 1.0000", "without the rows at chance: min 50.00"} {
		if !strings.Contains(text, w) {
			t.Errorf("report lacks %q:\n%s", w, text)
		}
	}
}

func TestNoise(t *testing.T) {
	// tau 1/3 is a seed-to-seed correlation of sin(pi/6) = 1/2; means of k
	// seeds then correlate k/(k+1) with each other.
	n := groundtruth.NoiseFromTau(1.0 / 3)
	cases := []struct {
		name      string
		got, want float64
	}{
		{"R", n.R, 0.5},
		{"SeedTau(1)", n.SeedTau(1), 1.0 / 3},
		{"SeedTau(2)", n.SeedTau(2), 2 / math.Pi * math.Asin(2.0/3)},
		{"Ceiling(1)", n.Ceiling(1), 0.5}, // asin(sqrt(1/2)) = pi/4
		{"Ceiling(3)", n.Ceiling(3), 2 / math.Pi * math.Asin(math.Sqrt(0.75))},
		{"SeedsFor(1/3)", float64(n.SeedsFor(1.0 / 3)), 1},
		// k/(k+1) >= sin(0.4 pi) = 0.9511 first at k = 20.
		{"SeedsFor(0.8)", float64(n.SeedsFor(0.8)), 20},
		{"SeedsFor(1)", float64(n.SeedsFor(1)), 0},
		{"CeilingRows(3-seed rows)", n.CeilingRows([]int{0, 0, 0, 5}), n.Ceiling(3)},
		// Noise share (1-R)/R = 1; two rows of 1 seed and two of 3 carry
		// a mean 2/3 of it: reliability 1/(1+2/3) = 0.6.
		{"CeilingRows(mixed)", n.CeilingRows([]int{0, 2, 0, 2}), 2 / math.Pi * math.Asin(math.Sqrt(0.6))},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
}

// TestGrowBySeed builds a table with two seeds (the second for the first
// three classes), grows it to three seeds on every class, and checks that
// the grown table holds exactly the rows of a three-seed build made from
// scratch; merging every row a second time changes nothing.
func TestGrowBySeed(t *testing.T) {
	archs := groundtruth.Sample(6, 2)
	b2 := tinyBuilder(t, 2)
	var two bytes.Buffer
	if err := build(t, b2, &two, archs, 3, nil); err != nil {
		t.Fatal(err)
	}
	b3 := tinyBuilder(t, 2)
	b3.Seeds = []uint64{0, 1, 2}
	var scratch bytes.Buffer
	if err := build(t, b3, &scratch, archs, -1, nil); err != nil {
		t.Fatal(err)
	}
	want := rowsByKey(readTable(t, scratch.Bytes()))

	have, _, err := groundtruth.Resume(bytes.NewReader(two.Bytes()), tinyProtocol(b3))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(have.Protocol.Seeds, b3.Seeds) {
		t.Fatalf("grown protocol seeds %v, want %v", have.Protocol.Seeds, b3.Seeds)
	}
	plan := groundtruth.Plan(archs, have, 3, -1)
	for i, task := range plan {
		wantSeeds := []int{1, 2}
		if i < 3 {
			wantSeeds = []int{2}
		}
		if !slices.Equal(task.Seeds, wantSeeds) {
			t.Fatalf("task %d (%s) seeds %v, want %v", i, task.Arch, task.Seeds, wantSeeds)
		}
	}
	var rows []groundtruth.Row
	if err := b3.Build(context.Background(), plan, func(r groundtruth.Row) error {
		rows = append(rows, r)
		_, err := have.Put(r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if changed, err := have.Put(r); err != nil || changed {
			t.Fatalf("merging %s again: changed %v, err %v", r.Arch, changed, err)
		}
	}
	var grown bytes.Buffer
	if err := groundtruth.WriteTable(&grown, have); err != nil {
		t.Fatal(err)
	}
	if st := groundtruth.Summarize(have, 10); !slices.Equal(st.BySeeds, []int{0, 0, 0, 6}) || !strings.Contains(st.String(), "rows by seeds trained: 6 with 3") {
		t.Errorf("BySeeds %v; report:\n%s", st.BySeeds, st)
	}
	got := rowsByKey(readTable(t, grown.Bytes()))
	if !maps.Equal(got, want) {
		t.Errorf("grown table\n%v\nwant\n%v", got, want)
	}

	// A table of other seeds is still refused.
	other := tinyBuilder(t, 1)
	other.Seeds = []uint64{1, 2, 3}
	if _, _, err := groundtruth.Resume(bytes.NewReader(two.Bytes()), tinyProtocol(other)); err == nil || !strings.Contains(err.Error(), "seeds") {
		t.Errorf("Resume with seeds [1 2 3] over [0 1]: %v", err)
	}
}
