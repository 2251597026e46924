package train

// Snapshots let a server persist a run and continue it after a restart
// with the very numbers an uninterrupted run would have produced. A
// snapshot holds every value that a later step reads: weights, momentum,
// which tensors PyTorch semantics keep updating, the random generator, the
// samplers, the epoch's order and running sums, and the ranking so far.
//
// Format (version 1), all integers little-endian:
//
//	magic   "pada session v1\n"
//	section name length (1 byte), name (ASCII), payload length (uint64),
//	        payload, CRC-32 (IEEE) of the payload (uint32)
//	...     more sections (Save writes snapshotSections in order), the
//	        last one named "end"; nothing is read after it
//
// Inside a payload, counts and integers are unsigned varints, floats their
// IEEE bits (float32 for weights and momentum, float64 elsewhere). Every
// section must be present exactly once; a reader of version 1 refuses
// unknown ones rather than drop state it does not understand.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"pada/core/data"
	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
	"pada/core/supernet"
	"pada/core/wire"
)

const snapshotMagic = "pada session v1\n"

// The sections, in the order Save writes them. "clock" holds the only
// values that depend on wall-clock time, so that two snapshots of the
// same state differ in that section alone.
var snapshotSections = []string{
	"config", "run", "clock", "session", "trainer",
	"params", "velocity", "touched", "gradvar", "path", "data", "end",
}

// maxSection bounds a section's declared length, so that a corrupt length
// fails early instead of reading a stream to its end.
const maxSection = 1 << 40

// Progress reports the number of finished training epochs and whether
// training is still going on (false once the run ranks or is done). A
// server uses it to checkpoint at epoch ends.
func (s *Session) Progress() (epochsDone int, training bool) {
	return s.tr.epoch, !s.tr.Done()
}

// Save writes the session's state between two Advance calls: everything
// Resume needs to continue so that the rest of the run emits the same
// events (same numbers; only times differ) as an uninterrupted run.
func (s *Session) Save(w io.Writer) error {
	t := s.tr
	ps, ok := t.path.(sampler.State)
	if !ok {
		return fmt.Errorf("train: save: the path sampler %T cannot save its state", t.path)
	}
	ds, ok := t.data.(sampler.State)
	if !ok {
		return fmt.Errorf("train: save: the data sampler %T cannot save its state", t.data)
	}
	cfg, err := json.Marshal(s.cfg)
	if err != nil {
		return fmt.Errorf("train: save: config: %w", err)
	}
	pathState, err := ps.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: save: path sampler: %w", err)
	}
	dataState, err := ds.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: save: data sampler: %w", err)
	}
	rngState, err := t.src.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: save: random generator: %w", err)
	}

	var e wire.Encoder
	sw := sectionWriter{w: w}
	sw.put("config", cfg)

	e.Uvarint(uint64(t.net.NumParams()))
	e.Uvarint(uint64(len(t.net.Tensors)))
	e.Uvarint(uint64(t.train.Len()))
	e.Uvarint(uint64(imagesLen(t.val)))
	e.Uvarint(uint64(s.ev.Images()))
	e.Uvarint(uint64(len(s.archs)))
	e.U64(hashArchs(s.archs))
	e.U64(hashFloats(s.truth))
	e.Text(s.backend)
	sw.put("run", e.Take())

	e.U64(uint64(time.Since(s.start)))
	e.F64(s.trainSec)
	e.F64(s.rankStart)
	sw.put("clock", e.Take())

	e.Bool(s.done)
	e.Uvarint(uint64(s.next))
	e.Uvarint(uint64(s.rankEvery))
	e.F64(s.lastVal)
	e.CountedF64s(s.pred)
	sw.put("session", e.Take())

	e.Uvarint(uint64(t.epoch))
	e.Uvarint(uint64(t.step))
	e.Uvarint(uint64(t.pos))
	e.F64(t.lr)
	e.F64(t.stepLoss)
	e.F64(t.epochLoss)
	for _, v := range []int{t.stepHit, t.epochHit, t.stepN, t.epochN} {
		e.Uvarint(uint64(v))
	}
	for _, op := range t.lastArch {
		e.Byte(byte(op))
	}
	e.Bytes(rngState)
	e.Uvarint(uint64(len(t.order)))
	for _, i := range t.order {
		e.Uvarint(uint64(i))
	}
	sw.put("trainer", e.Take())

	e.CountedF32s(t.net.Params)
	sw.put("params", e.Take())
	e.CountedF32s(t.vel)
	sw.put("velocity", e.Take())

	e.Uvarint(uint64(len(t.net.Tensors)))
	for i := range t.net.Tensors {
		e.Bool(t.net.Touched(i))
	}
	sw.put("touched", e.Take())

	// Between epochs the window is empty and its sums are all zero.
	e.Uvarint(uint64(t.gv.t))
	e.F64(t.gv.sq)
	if t.gv.t > 0 {
		e.CountedF64s(t.gv.sum)
	} else {
		e.CountedF64s(nil)
	}
	sw.put("gradvar", e.Take())

	sw.put("path", pathState)
	sw.put("data", dataState)
	sw.put("end", nil)
	if sw.err != nil {
		return fmt.Errorf("train: save: %w", sw.err)
	}
	return nil
}

// Resume rebuilds a session saved by Save. cfg, net (made for cfg.Shape:
// its weights, momentum and gradient flags are all replaced), sets, archs, truth and backend must be those the saved
// session was made with; Resume checks what it cheaply can (the config,
// set sizes, the architectures and their truth, the parameter count) and
// returns an error naming the mismatch otherwise. It does not emit a
// Started event again; later events go to emit. Elapsed time continues
// from the saved value. On error, net may have been written to.
func Resume(r io.Reader, cfg run.Config, net *supernet.Net, sets Sets, archs []space.Arch, truth Truth, backend string, emit func(run.Event)) (*Session, error) {
	secs, err := readSections(r)
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	if err := sameConfig(secs["config"].data, cfg); err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	s, err := newSession(cfg, net, sets, archs, truth, emit)
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	s.backend = backend
	if err := s.restore(secs); err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	return s, nil
}

// restore checks the snapshot against the session just built and then
// loads it. Everything is decoded and checked before anything is changed.
func (s *Session) restore(secs map[string]section) error {
	t := s.tr
	m := t.net

	// Identity of the run.
	d := secs["run"].decoder("run")
	checks := []struct {
		what string
		want int
	}{
		{"parameters", m.NumParams()},
		{"parameter tensors", len(m.Tensors)},
		{"training images", t.train.Len()},
		{"validation images", imagesLen(t.val)},
		{"evaluation images", s.ev.Images()},
		{"architectures", len(s.archs)},
	}
	for _, c := range checks {
		if got := d.Uvarint(); d.Err() == nil && got != uint64(c.want) {
			return fmt.Errorf("the snapshot has %d %s, this run %d", got, c.what, c.want)
		}
	}
	if h := d.U64(); d.Err() == nil && h != hashArchs(s.archs) {
		return errors.New("the snapshot ranks other architectures (same number, other list or order)")
	}
	if h := d.U64(); d.Err() == nil && h != hashFloats(s.truth) {
		return errors.New("the snapshot has another ground truth for the architectures")
	}
	d.Text() // the backend it ran on: informational
	if err := d.Finish(); err != nil {
		return err
	}

	d = secs["clock"].decoder("clock")
	elapsed := time.Duration(d.U64())
	trainSec, rankStart := d.F64(), d.F64()
	if err := d.Finish(); err != nil {
		return err
	}

	d = secs["session"].decoder("session")
	done := d.Bool()
	next := d.Int(len(s.archs), "next architecture")
	if rankEvery := d.Uvarint(); d.Err() == nil && rankEvery != uint64(s.rankEvery) {
		d.Failf("ranking reports every %d architectures, this run every %d", rankEvery, s.rankEvery)
	}
	lastVal := d.F64()
	pred := d.CountedF64s(len(s.archs), "predictions")
	if d.Err() == nil && len(pred) != next {
		d.Failf("%d predictions for %d architectures evaluated", len(pred), next)
	}
	if err := d.Finish(); err != nil {
		return err
	}

	d = secs["trainer"].decoder("trainer")
	epoch := d.Int(s.cfg.Epochs, "epoch")
	step := d.Int(math.MaxInt32, "step")
	pos := d.Int(math.MaxInt32, "position")
	lr := d.F64()
	stepLoss, epochLoss := d.F64(), d.F64()
	var counts [4]int
	for i := range counts {
		counts[i] = d.Int(math.MaxInt32, "running count")
	}
	var lastArch space.Arch
	for e := range lastArch {
		at := d.Offset()
		if op := d.Byte(); int(op) < s.tr.sp.NumOps() && (e < s.tr.sp.NumEdges() || op == 0) {
			lastArch[e] = space.Op(op)
		} else {
			d.FailAt(at, "last architecture: edge %d has op %d", e, op)
		}
	}
	rngState := d.Bytes()
	nOrder := d.Int(t.data.Len(), "epoch order length")
	order := make([]int, 0, nOrder)
	for range nOrder {
		order = append(order, d.Int(t.data.Len()-1, "example index"))
	}
	if d.Err() == nil && pos > len(order) {
		d.Failf("position %d past the epoch's %d examples", pos, len(order))
	}
	if d.Err() == nil && epoch < s.cfg.Epochs {
		// While training, Step always leaves a batch of at least two.
		if len(order) != t.data.Len() {
			d.Failf("an epoch order of %d examples; the data sampler draws %d", len(order), t.data.Len())
		} else if len(order)-pos < 2 {
			d.Failf("position %d leaves no batch in the epoch's %d examples", pos, len(order))
		}
	}
	if err := d.Finish(); err != nil {
		return err
	}

	d = secs["params"].decoder("params")
	params := d.CountedF32s(m.NumParams(), "parameters")
	if err := d.Finish(); err != nil {
		return err
	}
	d = secs["velocity"].decoder("velocity")
	vel := d.CountedF32s(m.NumParams(), "momentum values")
	if err := d.Finish(); err != nil {
		return err
	}
	if len(params) != m.NumParams() || len(vel) != m.NumParams() {
		return fmt.Errorf("the snapshot has %d parameters and %d momentum values, this run %d", len(params), len(vel), m.NumParams())
	}

	d = secs["touched"].decoder("touched")
	touched := make([]bool, d.Int(len(m.Tensors), "tensor count"))
	for i := range touched {
		touched[i] = d.Bool()
	}
	if d.Err() == nil && len(touched) != len(m.Tensors) {
		d.Failf("%d tensors, this run %d", len(touched), len(m.Tensors))
	}
	if err := d.Finish(); err != nil {
		return err
	}

	d = secs["gradvar"].decoder("gradvar")
	gvT := d.Int(math.MaxInt32, "gradient-variance window")
	gvSq := d.F64()
	gvSum := d.CountedF64s(m.NumParams(), "gradient sums")
	if d.Err() == nil && gvT > 0 && len(gvSum) != m.NumParams() {
		d.Failf("%d gradient sums for %d parameters", len(gvSum), m.NumParams())
	}
	if d.Err() == nil && gvT == 0 && len(gvSum) != 0 {
		d.Failf("gradient sums for an empty window")
	}
	if err := d.Finish(); err != nil {
		return err
	}

	// The samplers check their own state and change nothing on error.
	if err := unmarshalSampler(t.path, secs["path"]); err != nil {
		return err
	}
	if err := unmarshalSampler(t.data, secs["data"]); err != nil {
		return err
	}
	if err := t.src.UnmarshalBinary(rngState); err != nil {
		return fmt.Errorf("snapshot section \"trainer\": random generator: %w", err)
	}

	// Commit.
	if err := m.SetTouched(touched); err != nil {
		return err
	}
	copy(m.Params, params)
	copy(t.vel, vel)
	t.gv.t, t.gv.sq = gvT, gvSq
	if gvT > 0 {
		copy(t.gv.sum, gvSum)
	} else {
		clear(t.gv.sum)
	}
	t.epoch, t.step, t.pos, t.lr = epoch, step, pos, lr
	t.stepLoss, t.epochLoss = stepLoss, epochLoss
	t.stepHit, t.epochHit, t.stepN, t.epochN = counts[0], counts[1], counts[2], counts[3]
	t.lastArch = lastArch
	t.order = append(t.order[:0], order...)

	s.done, s.next, s.lastVal = done, next, lastVal
	s.pred = append(s.pred[:0], pred...)
	s.trainSec, s.rankStart = trainSec, rankStart
	s.start = time.Now().Add(-elapsed)
	return nil
}

func unmarshalSampler(x any, sec section) error {
	st, ok := x.(sampler.State)
	if !ok {
		return fmt.Errorf("the %s sampler %T cannot restore its state", sec.name, x)
	}
	if err := st.UnmarshalBinary(sec.data); err != nil {
		return fmt.Errorf("snapshot section %q at byte %d: %w", sec.name, sec.off, err)
	}
	return nil
}

// sameConfig compares the snapshot's config with cfg as JSON and names the
// first field that differs.
func sameConfig(saved []byte, cfg run.Config) error {
	cur, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if bytes.Equal(saved, cur) {
		return nil
	}
	// A snapshot of an older version names its config in that version's
	// form: compare it as this version reads it (run.Config migrates).
	var old run.Config
	if err := json.Unmarshal(saved, &old); err != nil {
		return fmt.Errorf("snapshot section \"config\": %w", err)
	}
	if saved, err = json.Marshal(old); err != nil {
		return fmt.Errorf("snapshot section \"config\": %w", err)
	}
	if bytes.Equal(saved, cur) {
		return nil
	}
	var a, b any
	if err := json.Unmarshal(saved, &a); err != nil {
		return fmt.Errorf("snapshot section \"config\": %w", err)
	}
	if err := json.Unmarshal(cur, &b); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if path, x, y, differ := jsonDiff("", a, b); differ {
		if path == "" {
			path = "(whole config)"
		}
		return fmt.Errorf("the snapshot is for another config: %s is %s there, %s here", path, x, y)
	}
	return nil // same value, other spelling
}

// jsonDiff finds the first path (in sorted key order) where two decoded
// JSON values differ, with both values as JSON ("absent" when missing).
func jsonDiff(path string, a, b any) (string, string, string, bool) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			av, ina := am[k]
			bv, inb := bm[k]
			if !ina || !inb {
				return p, jsonText(av, ina), jsonText(bv, inb), true
			}
			if q, x, y, d := jsonDiff(p, av, bv); d {
				return q, x, y, true
			}
		}
		return "", "", "", false
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		for i := range as {
			if q, x, y, d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i]); d {
				return q, x, y, true
			}
		}
		return "", "", "", false
	}
	if reflect.DeepEqual(a, b) {
		return "", "", "", false
	}
	return path, jsonText(a, true), jsonText(b, true), true
}

func jsonText(v any, present bool) string {
	if !present {
		return "absent"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// imagesLen is the size of a set that may be nil (no validation split).
func imagesLen(im data.Images) int {
	if im == nil {
		return 0
	}
	return im.Len()
}

func hashArchs(archs []space.Arch) uint64 {
	h := fnv.New64a()
	for _, a := range archs {
		for _, op := range a {
			h.Write([]byte{byte(op)})
		}
	}
	return h.Sum64()
}

func hashFloats(v []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, x := range v {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		h.Write(b[:])
	}
	return h.Sum64()
}

// sectionWriter writes framed sections; the first error sticks.
type sectionWriter struct {
	w       io.Writer
	started bool
	err     error
}

func (sw *sectionWriter) put(name string, payload []byte) {
	if sw.err != nil {
		return
	}
	var hdr []byte
	if !sw.started {
		hdr = append(hdr, snapshotMagic...)
		sw.started = true
	}
	hdr = append(hdr, byte(len(name)))
	hdr = append(hdr, name...)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(payload)))
	if _, err := sw.w.Write(hdr); err != nil {
		sw.err = fmt.Errorf("section %q: %w", name, err)
		return
	}
	if _, err := sw.w.Write(payload); err != nil {
		sw.err = fmt.Errorf("section %q: %w", name, err)
		return
	}
	if _, err := sw.w.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(payload))); err != nil {
		sw.err = fmt.Errorf("section %q: %w", name, err)
	}
}

// section is one section's payload and the stream offset it starts at.
type section struct {
	name string
	off  int64
	data []byte
}

func (s section) decoder(name string) *wire.Decoder {
	return wire.NewDecoder(s.data, s.off, func(off int64) string {
		return fmt.Sprintf("snapshot section %q at byte %d", name, off)
	})
}

// readSections reads a whole snapshot and checks its framing: magic,
// names, lengths, checksums, and that every section is there once.
func readSections(r io.Reader) (map[string]section, error) {
	var off int64
	read := func(n int, what string) ([]byte, error) {
		b := make([]byte, n)
		k, err := io.ReadFull(r, b)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("snapshot truncated at byte %d, in %s", off+int64(k), what)
			}
			return nil, fmt.Errorf("snapshot byte %d, in %s: %w", off+int64(k), what, err)
		}
		off += int64(n)
		return b, nil
	}
	magic, err := read(len(snapshotMagic), "the header")
	if err != nil {
		return nil, err
	}
	if string(magic) != snapshotMagic {
		return nil, fmt.Errorf("not a session snapshot (version 1): header %q, want %q", magic, snapshotMagic)
	}
	secs := make(map[string]section, len(snapshotSections))
	for {
		start := off
		n, err := read(1, "a section header")
		if err != nil {
			return nil, err
		}
		nb, err := read(int(n[0]), "a section name")
		if err != nil {
			return nil, err
		}
		name := string(nb)
		if !slices.Contains(snapshotSections, name) {
			return nil, fmt.Errorf("snapshot byte %d: unknown section %q", start, name)
		}
		if _, dup := secs[name]; dup {
			return nil, fmt.Errorf("snapshot byte %d: section %q appears twice", start, name)
		}
		lb, err := read(8, fmt.Sprintf("the header of section %q", name))
		if err != nil {
			return nil, err
		}
		size := binary.LittleEndian.Uint64(lb)
		if size > maxSection {
			return nil, fmt.Errorf("snapshot byte %d: section %q declares %d bytes", off-8, name, size)
		}
		// ReadAll grows its buffer as data arrives, so a corrupt length
		// cannot make it allocate more than the stream holds.
		data, err := io.ReadAll(io.LimitReader(r, int64(size)))
		if err != nil {
			return nil, fmt.Errorf("snapshot byte %d, in section %q: %w", off+int64(len(data)), name, err)
		}
		if uint64(len(data)) != size {
			return nil, fmt.Errorf("snapshot truncated at byte %d, in section %q (%d of its %d bytes)", off+int64(len(data)), name, len(data), size)
		}
		payloadOff := off
		off += int64(size)
		cb, err := read(4, fmt.Sprintf("the checksum of section %q", name))
		if err != nil {
			return nil, err
		}
		if got, want := crc32.ChecksumIEEE(data), binary.LittleEndian.Uint32(cb); got != want {
			return nil, fmt.Errorf("snapshot section %q at byte %d is corrupt (checksum %08x, want %08x)", name, payloadOff, got, want)
		}
		secs[name] = section{name: name, off: payloadOff, data: data}
		if name == "end" {
			break
		}
	}
	var missing []string
	for _, name := range snapshotSections {
		if _, ok := secs[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("snapshot lacks section(s) %s", strings.Join(missing, ", "))
	}
	return secs, nil
}
