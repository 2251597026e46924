package train

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"testing"

	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// fixture is everything a session is made of except the net, so that a
// test can start a run and resume it into a fresh net.
type fixture struct {
	cfg   run.Config
	sets  Sets
	archs []space.Arch
	truth []float64
}

func newFixture(t testing.TB, c run.Config) fixture {
	t.Helper()
	tr := Synthetic(160, 1, 8, 8, 4, c.Seed)
	ev := Synthetic(40, 1, 8, 8, 4, c.Seed+1)
	sets, err := BuildSets(c, tr, ev)
	if err != nil {
		t.Fatal(err)
	}
	archs, truth, err := SelectArchs(c.Eval, c.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range truth.Acc {
		truth.Acc[i] = float64(80 - 10*i)
	}
	return fixture{cfg: c, sets: sets, archs: archs, truth: truth.Acc}
}

// net makes a fresh, initialised net for shape on its own backend.
func (f fixture) net(t testing.TB, shape space.Shape) *supernet.Net {
	t.Helper()
	be := nn.NewCPU(1)
	t.Cleanup(be.Close)
	net, err := supernet.New(shape, be)
	if err != nil {
		t.Fatal(err)
	}
	net.Init(f.cfg.Seed)
	return net
}

func (f fixture) session(t testing.TB, net *supernet.Net, events *[]run.Event) *Session {
	t.Helper()
	s, err := NewSession(f.cfg, net, f.sets, f.archs, Truth{Acc: f.truth}, "test", func(e run.Event) { *events = append(*events, e) })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f fixture) resume(snap []byte, net *supernet.Net, events *[]run.Event) (*Session, error) {
	return Resume(bytes.NewReader(snap), f.cfg, net, f.sets, f.archs, Truth{Acc: f.truth}, "test", func(e run.Event) { *events = append(*events, e) })
}

func save(t testing.TB, s *Session) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// sampler combinations the config supports, plus the unbiased option once.
var resumeCases = []struct {
	path, mode, data string
	unbiased         bool
}{
	{"uniform", "reference", "uniform", false},
	{"uniform", "reference", "da", false},
	{"fairnas", "reference", "uniform", false},
	{"fairnas", "reference", "da", false},
	{"pa", "reference", "uniform", false},
	{"pa", "reference", "da", false},
	{"pa", "per-edge", "uniform", false},
	{"pa", "per-edge", "da", false},
	{"pa", "reference", "da", true},
}

func TestResumeIsBitIdentical(t *testing.T) {
	// tinyConfig: 128 training images in batches of 16 make 8 steps per
	// epoch; 3 epochs, then 3 architectures ranked: 27 Advance calls.
	cuts := []struct {
		units    int
		epochs   int
		training bool
	}{
		{0, 0, true},   // before the first step
		{3, 0, true},   // mid-epoch, running sums and gradient variance open
		{8, 1, true},   // at the first epoch's end
		{13, 1, true},  // mid-epoch after PA/DA have updated once
		{21, 2, true},  // mid-epoch with non-uniform PA/DA distributions
		{24, 3, false}, // training over, ranking not started
		{25, 3, false}, // ranking
		{27, 3, false}, // done
	}
	for _, tc := range resumeCases {
		name := fmt.Sprintf("%s-%s/%s", tc.path, tc.mode, tc.data)
		if tc.unbiased {
			name += "/unbiased"
		}
		t.Run(name, func(t *testing.T) {
			c := tinyConfig(tc.path, tc.data)
			c.Sampler.PathMode, c.Sampler.Unbiased = tc.mode, tc.unbiased
			f := newFixture(t, c)

			var full []run.Event
			ref := f.net(t, c.Shape)
			s := f.session(t, ref, &full)
			units := 1
			for s.Advance() {
				units++
			}
			if units != 27 {
				t.Fatalf("the run takes %d Advance calls, the cuts assume 27", units)
			}
			want := numbers(t, full)
			wantSnap := sectionsOf(t, save(t, s))

			for _, cut := range cuts {
				var events []run.Event
				s1 := f.session(t, f.net(t, c.Shape), &events)
				for range cut.units {
					s1.Advance()
				}
				if e, tr := s1.Progress(); e != cut.epochs || tr != cut.training {
					t.Errorf("after %d units: Progress() = %d, %v; want %d, %v", cut.units, e, tr, cut.epochs, cut.training)
				}
				snap := save(t, s1)
				net := f.net(t, c.Shape)
				s2, err := f.resume(snap, net, &events)
				if err != nil {
					t.Fatalf("cut after %d units: %v", cut.units, err)
				}
				for s2.Advance() {
				}
				if got := numbers(t, events); got != want {
					t.Errorf("cut after %d units: the events differ from the uninterrupted run's\ngot:\n%s\nwant:\n%s", cut.units, got, want)
				}
				if !sameBits(net.Params, ref.Params) {
					t.Errorf("cut after %d units: the final weights differ", cut.units)
				}
				// The whole final state, not only what the events show,
				// must agree: every section but the wall clock.
				got := sectionsOf(t, save(t, s2))
				for name, w := range wantSnap {
					if name != "clock" && !bytes.Equal(got[name], w) {
						t.Errorf("cut after %d units: final section %q differs", cut.units, name)
					}
				}
			}
		})
	}
}

func sectionsOf(t testing.TB, snap []byte) map[string][]byte {
	t.Helper()
	secs, err := readSections(bytes.NewReader(snap))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte, len(secs))
	for k, s := range secs {
		out[k] = s.data
	}
	return out
}

func TestResumeKeepsElapsedTime(t *testing.T) {
	f := newFixture(t, tinyConfig("uniform", "uniform"))
	var events []run.Event
	s := f.session(t, f.net(t, f.cfg.Shape), &events)
	for range 8 {
		s.Advance()
	}
	last := events[len(events)-1].Time
	s2, err := f.resume(save(t, s), f.net(t, f.cfg.Shape), &events)
	if err != nil {
		t.Fatal(err)
	}
	n := len(events)
	for len(events) == n && s2.Advance() {
	}
	if len(events) == n {
		t.Fatal("no event after resuming")
	}
	if e := events[n]; e.Type == run.TypeStarted || e.Time < last {
		t.Fatalf("first event after resuming: %s at %v s, the last before at %v s", e.Type, e.Time, last)
	}
}

func TestResumeRefuses(t *testing.T) {
	c := tinyConfig("pa", "da")
	f := newFixture(t, c)
	var events []run.Event
	s := f.session(t, f.net(t, c.Shape), &events)
	for range 3 {
		s.Advance()
	}
	snap := save(t, s)

	seed := c
	seed.Seed++
	path := c
	path.Sampler.Path = "uniform"
	mode := c
	mode.Sampler.PathMode = "per-edge"
	otherShape := c.Shape
	otherShape.C = 2
	fewerTrain := trainSets(t, c, 120)
	reversed := slices.Clone(f.archs)
	slices.Reverse(reversed)
	otherTruth := slices.Clone(f.truth)
	otherTruth[0]++

	cases := []struct {
		name  string
		cfg   run.Config
		net   *supernet.Net
		sets  Sets
		archs []space.Arch
		truth []float64
		want  string
	}{
		{"seed", seed, nil, f.sets, f.archs, f.truth, "seed is 0 there, 1 here"},
		{"path sampler", path, nil, f.sets, f.archs, f.truth, `sampler.path is "pa" there, "uniform" here`},
		{"path mode", mode, nil, f.sets, f.archs, f.truth, "sampler.path_mode"},
		{"parameter count", c, f.net(t, otherShape), f.sets, f.archs, f.truth, "parameters"},
		{"training set", c, nil, fewerTrain, f.archs, f.truth, "training images"},
		{"architecture count", c, nil, f.sets, f.archs[:2], f.truth[:2], "3 architectures, this run 2"},
		{"architecture order", c, nil, f.sets, reversed, f.truth, "other architectures"},
		{"ground truth", c, nil, f.sets, f.archs, otherTruth, "ground truth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net := tc.net
			if net == nil {
				net = f.net(t, tc.cfg.Shape)
			}
			_, err := Resume(bytes.NewReader(snap), tc.cfg, net, tc.sets, tc.archs, Truth{Acc: tc.truth}, "test", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resume: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// trainSets are the fixture's sets with n training images.
func trainSets(t testing.TB, c run.Config, n int) Sets {
	t.Helper()
	sets, err := BuildSets(c, Synthetic(n, 1, 8, 8, 4, c.Seed), Synthetic(40, 1, 8, 8, 4, c.Seed+1))
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

func TestResumeRefusesDamagedSnapshots(t *testing.T) {
	c := tinyConfig("pa", "da")
	f := newFixture(t, c)
	var events []run.Event
	s := f.session(t, f.net(t, c.Shape), &events)
	for range 3 {
		s.Advance()
	}
	snap := save(t, s)
	secs, err := readSections(bytes.NewReader(snap))
	if err != nil {
		t.Fatal(err)
	}

	// Cut everywhere in the header, around every section boundary, and at
	// evenly spaced offsets.
	var cuts []int
	for i := 0; i < 40; i++ {
		cuts = append(cuts, i)
	}
	for _, sec := range secs {
		for _, o := range []int64{-13, -1, 0, 1, int64(len(sec.data)) - 1, int64(len(sec.data)), int64(len(sec.data)) + 3} {
			cuts = append(cuts, int(sec.off+o))
		}
	}
	for i := 0; i < 60; i++ {
		cuts = append(cuts, i*len(snap)/60)
	}
	cuts = append(cuts, len(snap)-1)
	for _, n := range cuts {
		if n < 0 || n >= len(snap) {
			continue
		}
		_, err := f.resume(snap[:n], f.net(t, c.Shape), &events)
		if err == nil {
			t.Fatalf("a snapshot cut to %d of %d bytes resumes", n, len(snap))
		}
		if !strings.Contains(err.Error(), "byte") {
			t.Fatalf("cut to %d bytes: the error names no offset: %v", n, err)
		}
	}

	// Flipped bits anywhere are caught by the framing or the checksums.
	for i := 0; i < 80; i++ {
		o := i * len(snap) / 80
		bad := slices.Clone(snap)
		bad[o] ^= 0x10
		if _, err := f.resume(bad, f.net(t, c.Shape), &events); err == nil {
			t.Fatalf("a snapshot with byte %d flipped resumes", o)
		}
	}

	// Trailing data after "end" is left to the caller: Resume reads only
	// the snapshot, so that snapshots can be embedded in larger streams.
	r := bytes.NewReader(append(slices.Clone(snap), "tail"...))
	if _, err := Resume(r, c, f.net(t, c.Shape), f.sets, f.archs, Truth{Acc: f.truth}, "test", nil); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 4 {
		t.Fatalf("Resume left %d bytes of the stream, want the 4 after the snapshot", r.Len())
	}
}

// TestSnapshotSizeMini measures a snapshot of the in-browser default shape
// mid-epoch (the worst case: the gradient-variance sums are open) with the
// default dataset's training size, for PA&DA, the largest sampler state.
func TestSnapshotSizeMini(t *testing.T) {
	c, _ := run.Preset("mini")
	c.Data = run.Data{Name: "synthetic", ValFrac: 0.1}
	c.Sampler.Path, c.Sampler.Data = "pa", "da"
	c.Eval = run.Eval{Split: "eval", Archs: "sample:10"}
	sh := c.Shape
	tr := Synthetic(8000, sh.InC, sh.H, sh.W, sh.Classes, 0)
	ev := Synthetic(100, sh.InC, sh.H, sh.W, sh.Classes, 1)
	sets, err := BuildSets(c, tr, ev)
	if err != nil {
		t.Fatal(err)
	}
	archs, truth, err := SelectArchs(c.Eval, c.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{cfg: c, sets: sets, archs: archs, truth: truth.Acc}
	net := f.net(t, sh)
	var events []run.Event
	s := f.session(t, net, &events)
	s.Advance()
	snap := save(t, s)
	secs := sectionsOf(t, snap)
	var parts []string
	for _, name := range snapshotSections {
		parts = append(parts, fmt.Sprintf("%s %d", name, len(secs[name])))
	}
	t.Logf("mini snapshot, %d parameters, %d training images: %d bytes (%s)", net.NumParams(), sets.Train.Len(), len(snap), strings.Join(parts, ", "))
	// Weights and momentum (4+4 bytes), gradient sums (8), DA's scores and
	// distribution (16 per image) and the epoch order and draw counts.
	if limit := 16*net.NumParams() + 24*sets.Train.Len() + 4096; len(snap) > limit {
		t.Fatalf("snapshot is %d bytes, more than the %d expected", len(snap), limit)
	}
}

// fuzzFixture is a run small enough that its snapshots (a few KB) suit
// the fuzzer: a 4x4 input, one channel, 12 training images, 2 epochs.
func fuzzFixture(t testing.TB) fixture {
	t.Helper()
	c := tinyConfig("pa", "da")
	c.Shape = space.Shape{InC: 1, H: 4, W: 4, C: 1, N: 1, Classes: 2, Batch: 4}
	c.Epochs = 2
	c.Eval.List = c.Eval.List[:2]
	sets, err := BuildSets(c, Synthetic(15, 1, 4, 4, 2, 0), Synthetic(4, 1, 4, 4, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	archs, truth, err := SelectArchs(c.Eval, c.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{cfg: c, sets: sets, archs: archs, truth: truth.Acc}
}

// fixChecksums rewrites the checksum of every section it can frame, so
// that fuzzed payloads reach the section decoders instead of stopping at
// a checksum mismatch.
func fixChecksums(b []byte) {
	off := len(snapshotMagic)
	for off < len(b) {
		n := int(b[off])
		off += 1 + n
		if off+8 > len(b) {
			return
		}
		size := binary.LittleEndian.Uint64(b[off:])
		off += 8
		if size > uint64(len(b)-off) || off+int(size)+4 > len(b) {
			return
		}
		payload := b[off : off+int(size)]
		off += int(size)
		binary.LittleEndian.PutUint32(b[off:], crc32.ChecksumIEEE(payload))
		off += 4
	}
}

func FuzzResume(f *testing.F) {
	fx := fuzzFixture(f)
	var events []run.Event
	s := fx.session(f, fx.net(f, fx.cfg.Shape), &events)
	f.Add(save(f, s))
	for range 5 { // mid-epoch 1
		s.Advance()
	}
	snap := save(f, s)
	if _, err := fx.resume(snap, fx.net(f, fx.cfg.Shape), &events); err != nil {
		f.Fatal(err)
	}
	f.Add(snap)
	f.Add(snap[:len(snap)/2])
	for s.Advance() {
	}
	f.Add(save(f, s))
	f.Add([]byte(snapshotMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fixChecksums(b)
		var ev []run.Event
		s, err := fx.resume(b, fx.net(t, fx.cfg.Shape), &ev)
		if err != nil {
			return
		}
		// Whatever resumes must run on without panicking.
		for i := 0; i < 20 && s.Advance(); i++ {
		}
	})
}
