package groundtruth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"pada/core/data"
	"pada/core/nn"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/space"
)

// schedule is what Protocol.Schedule records: every setting of a
// stand-alone run beyond the shape and the dataset.
type schedule struct {
	Epochs      int     `json:"epochs"`
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
	Clip        float64 `json:"clip"`
	TrainImages int     `json:"train_images"` // 0 = all
	ValFrac     float64 `json:"val_frac"`
	Augment     bool    `json:"augment"`
	DataSeed    uint64  `json:"data_seed"`
	EvalSplit   string  `json:"eval_split"`
	EvalImages  int     `json:"eval_images"` // 0 = all
}

// NewProtocol describes a build under cfg (cfg.Seed is the data seed) on
// data whose training and evaluation files have the given data.Set
// hashes, with seeds, by code version code (see CodeVersion).
func NewProtocol(cfg run.Config, trainHash, evalHash string, seeds []uint64, code string) Protocol {
	shape, _ := json.Marshal(cfg.Shape) // plain ints: cannot fail
	sched, _ := json.Marshal(schedule{
		Epochs: cfg.Epochs, LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay,
		Clip: cfg.Clip, TrainImages: cfg.Data.Train, ValFrac: cfg.Data.ValFrac,
		Augment: cfg.Data.Augment, DataSeed: cfg.Seed,
		EvalSplit: cfg.Eval.Split, EvalImages: cfg.Eval.Images,
	})
	sp := cfg.Space
	if sp == run.DefaultSpace {
		sp = "" // as tables were written before spaces were named
	}
	return Protocol{
		Preset: cfg.Preset, Space: sp, Shape: shape, Data: cfg.Data.Name,
		DataHash: "train:" + trainHash + " eval:" + evalHash,
		Epochs:   cfg.Epochs, Schedule: sched, Seeds: slices.Clone(seeds), Code: code,
	}
}

// Match reports whether rows made under p and under q measure the same
// thing: equal preset, shape, dataset, data hash, schedule and seeds. The
// code version may differ (a long build outlives commits); the error
// names the first field that does not match, with both values.
func (p *Protocol) Match(q *Protocol) error {
	compact := func(m json.RawMessage) string {
		var b bytes.Buffer
		if json.Compact(&b, m) != nil {
			return string(m)
		}
		return b.String()
	}
	for _, f := range []struct{ name, p, q string }{
		{"preset", p.Preset, q.Preset},
		{"space", spaceName(p.Space), spaceName(q.Space)},
		{"shape", compact(p.Shape), compact(q.Shape)},
		{"data", p.Data, q.Data},
		{"data_hash", p.DataHash, q.DataHash},
		{"epochs", fmt.Sprint(p.Epochs), fmt.Sprint(q.Epochs)},
		{"schedule", compact(p.Schedule), compact(q.Schedule)},
		{"seeds", fmt.Sprint(p.Seeds), fmt.Sprint(q.Seeds)},
	} {
		if f.p != f.q {
			return fmt.Errorf("protocol field %s is %s in the table but %s in this build", f.name, f.p, f.q)
		}
	}
	return nil
}

func spaceName(s string) string {
	if s == "" {
		return run.DefaultSpace
	}
	return s
}

// CodeVersion names the code that runs: the VCS revision the binary was
// built from ("+dirty" when the tree had changes), or "devel" when the
// build carries none (go run, go test).
func CodeVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return rev + dirty
}

// Sample draws k isomorphism classes uniformly without replacement with
// seed and returns their representatives (space.UniqueArchs). Samples of
// one seed are nested: Sample(k, s) is a prefix of Sample(k+1, s), so a
// table grows by asking for more.
func Sample(k int, seed uint64) []space.Arch { return SampleIn(space.NB201Cell, k, seed) }

// SampleIn is Sample over the isomorphism classes of space sp.
func SampleIn(sp *space.Space, k int, seed uint64) []space.Arch {
	pool := sp.Unique()
	r := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	perm := r.Perm(len(pool))
	out := make([]space.Arch, 0, min(k, len(pool)))
	for _, i := range perm[:min(k, len(pool))] {
		out = append(out, pool[i])
	}
	return out
}

// Task is one architecture to train, with the indices of the seeds (of
// Builder.Seeds) it is trained with.
type Task struct {
	Arch  space.Arch
	Seeds []int
}

// Plan lists the work that remains: one task per isomorphism class among
// archs, in order, with the seeds that class still lacks in have (may be
// nil). The first doubly classes, counted in archs order whether done or
// not, are trained with all nseeds seeds and the others with the first
// only (doubly < 0: all of them), so that a rerun gives every class the
// seeds the first run would have. A row of have without per-seed
// accuracies (a NAS-Bench-201 row) counts as done; a row with some seeds
// gets a task for the others, which is how a table grows by a seed.
func Plan(archs []space.Arch, have *Table, nseeds, doubly int) []Task {
	return PlanIn(space.NB201Cell, archs, have, nseeds, doubly)
}

// PlanIn is Plan for architectures of space sp.
func PlanIn(sp *space.Space, archs []space.Arch, have *Table, nseeds, doubly int) []Task {
	seen := map[string]bool{}
	var tasks []Task
	for _, a := range archs {
		k := sp.Key(a)
		if seen[k] {
			continue
		}
		n := nseeds
		if doubly >= 0 && len(seen) >= doubly {
			n = 1
		}
		seen[k] = true
		var row Row
		var done bool
		if have != nil {
			row, done = have.Lookup(a)
			if done && len(row.Seeds) == 0 {
				continue
			}
		}
		t := Task{Arch: a}
		for i := range n {
			if !done || !row.HasSeed(i) {
				t.Seeds = append(t.Seeds, i)
			}
		}
		if len(t.Seeds) > 0 {
			tasks = append(tasks, t)
		}
	}
	return tasks
}

// HasSeed reports whether the row holds an accuracy for seed index i.
func (r Row) HasSeed(i int) bool { return i < len(r.Seeds) && !math.IsNaN(r.Seeds[i]) }

// Merge adds the seeds of another measurement of r's class to r: a seed
// either row holds is kept (r's own where both do, so merging a result
// twice changes nothing), the mean is recomputed over the seeds held,
// and the training time of the seeds r lacked is added. Params and FLOPs
// come from whichever row has them. It is an error for the rows to be of
// two classes.
func (r Row) Merge(o Row) (Row, error) {
	if r.Arch.Key() != o.Arch.Key() {
		return Row{}, fmt.Errorf("groundtruth: merging %s into the row of %s, another class", o.Arch, r.Arch)
	}
	out := r
	out.Key = r.Arch.Key()
	n := max(len(r.Seeds), len(o.Seeds))
	out.Seeds = make([]float64, n)
	added := 0
	for i := range out.Seeds {
		switch {
		case r.HasSeed(i):
			out.Seeds[i] = r.Seeds[i]
		case o.HasSeed(i):
			out.Seeds[i] = o.Seeds[i]
			added++
		default:
			out.Seeds[i] = math.NaN()
		}
	}
	if added > 0 {
		out.Seconds += o.Seconds
	}
	var sum float64
	k := 0
	for _, v := range out.Seeds {
		if !math.IsNaN(v) {
			sum += v
			k++
		}
	}
	if k > 0 {
		out.Acc = sum / float64(k)
	}
	if out.Params == 0 {
		out.Params = o.Params
	}
	if out.FLOPs == 0 {
		out.FLOPs = o.FLOPs
	}
	return out, nil
}

// Put merges r into the row of its class (see Row.Merge), or appends it
// as a new row. It reports whether the table changed.
func (t *Table) Put(r Row) (bool, error) {
	r.Key = t.sp.Key(r.Arch)
	i, ok := t.byKey[r.Key]
	if !ok {
		r.Index = len(t.Rows)
		t.byKey[r.Key] = len(t.Rows)
		t.Rows = append(t.Rows, r)
		return true, nil
	}
	m, err := t.Rows[i].Merge(r)
	if err != nil {
		return false, err
	}
	n := max(len(m.Seeds), len(t.Rows[i].Seeds))
	changed := !bytes.Equal(FormatRowIn(t.sp, m, n), FormatRowIn(t.sp, t.Rows[i], n))
	m.Index = i
	t.Rows[i] = m
	return changed, nil
}

// WriteTable writes a whole table in the project's format: the header
// of its protocol, then its rows with one column per protocol seed.
func WriteTable(w io.Writer, t *Table) error {
	if t.Protocol == nil {
		return errors.New("groundtruth: the table has no protocol")
	}
	var b bytes.Buffer
	if err := WriteHeader(&b, *t.Protocol); err != nil {
		return err
	}
	for _, r := range t.Rows {
		b.Write(FormatRowIn(t.sp, r, len(t.Protocol.Seeds)))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Builder trains architectures stand-alone, several at a time.
type Builder struct {
	Config      run.Config  // the schedule (see MiniSchedule)
	Train, Eval data.Images // training and evaluation images, normalised
	Seeds       []uint64    // training seeds; a Task names them by index
	// Workers is the number of architectures trained at once, each on its
	// own backend (at least 1).
	Workers int
	// NewBackend makes a worker's backend; nil means nn.NewCPU(1). A
	// backend with a Close method is closed when its worker ends.
	NewBackend func() nn.Backend
	// NewTrainer makes a worker's trainer on its backend
	// (train.StandaloneFor(Config, Train, Eval)); it is required.
	NewTrainer func(nn.Backend) (Trainer, error)
}

// Build trains tasks and hands each finished architecture's row to emit as
// soon as all its seeds are done, in order of completion. emit runs on the
// calling goroutine, one row at a time, so it can append the row to a file
// and sync it: an interruption then loses only the architectures in
// training. Build stops when ctx is done (returning its error, after
// emitting every row that finished), or when emit or a worker fails.
func (b *Builder) Build(ctx context.Context, tasks []Task, emit func(Row) error) error {
	if len(b.Seeds) == 0 {
		return errors.New("groundtruth: no seeds")
	}
	for i, t := range tasks {
		if len(t.Seeds) == 0 {
			return fmt.Errorf("groundtruth: task %d (%s) has no seeds", i, t.Arch)
		}
		for _, s := range t.Seeds {
			if s < 0 || s >= len(b.Seeds) {
				return fmt.Errorf("groundtruth: task %d (%s) names seed %d of %d", i, t.Arch, s, len(b.Seeds))
			}
		}
	}
	newBackend := b.NewBackend
	if newBackend == nil {
		newBackend = func() nn.Backend { return nn.NewCPU(1) }
	}
	if b.NewTrainer == nil {
		return errors.New("groundtruth: the Builder has no NewTrainer")
	}
	workers := max(1, min(b.Workers, len(tasks)))
	trainers := make([]Trainer, workers)
	for w := range trainers {
		be := newBackend()
		st, err := b.NewTrainer(be)
		if err != nil {
			closeBackend(be)
			for _, s := range trainers[:w] {
				closeBackend(s.Net().Backend())
			}
			return err
		}
		trainers[w] = st
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		row Row
		err error
	}
	jobs := make(chan Task)
	results := make(chan result)
	var wg sync.WaitGroup
	for _, st := range trainers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer closeBackend(st.Net().Backend())
			for t := range jobs {
				row, err := b.train(ctx, st, t)
				results <- result{row, err}
				if err != nil {
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, t := range tasks {
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var trainErr, emitErr error
	emitted := 0
	for r := range results {
		switch {
		case r.err != nil:
			if trainErr == nil {
				trainErr = r.err
			}
			cancel()
		case emitErr == nil:
			// A row that finished is kept even while the others stop.
			if emitErr = emit(r.row); emitErr != nil {
				cancel()
			}
			emitted++
		}
	}
	switch {
	case emitErr != nil:
		return emitErr
	case trainErr != nil:
		return trainErr
	case emitted < len(tasks):
		// Stopped between two architectures: no worker saw the cancel.
		return parent.Err()
	}
	return nil
}

func closeBackend(be nn.Backend) {
	if c, ok := be.(interface{ Close() }); ok {
		c.Close()
	}
}

// train runs one task's seeds and makes its row.
func (b *Builder) train(ctx context.Context, st Trainer, t Task) (Row, error) {
	sp := st.Net().Space()
	row := Row{Arch: t.Arch, Key: sp.Key(t.Arch), Seeds: make([]float64, len(b.Seeds))}
	for i := range row.Seeds {
		row.Seeds[i] = math.NaN()
	}
	var sum float64
	for _, i := range t.Seeds {
		res, err := st.Train(ctx, t.Arch, b.Seeds[i])
		if err != nil {
			return Row{}, err
		}
		row.Seeds[i] = res.Acc
		row.Seconds += res.Seconds
		sum += res.Acc
	}
	row.Acc = sum / float64(len(t.Seeds))
	row.Params = st.Net().ParamCount(t.Arch)
	row.FLOPs = FLOPsIn(sp, b.Config.Shape, t.Arch)
	return row, nil
}

// Resume reads the table a build continues and checks that its protocol
// matches want (see Protocol.Match). It returns the table (nil when the
// file holds no rows and no complete header, as a new or empty file) and
// the length of r's sound prefix: everything up to the last newline. A
// final line without its newline is what a crash in the middle of a
// write leaves; the caller truncates the file to the prefix and appends
// from there. A table whose seeds are a prefix of want's grows: the
// returned table has want's seeds, its rows NaN for the new ones, and the
// caller rewrites the file (WriteTable). Anything else that is wrong is
// an error: a foreign file, a protocol that differs, a malformed complete
// line.
func Resume(r io.Reader, want Protocol) (t *Table, sound int64, err error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, fmt.Errorf("groundtruth: %w", err)
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if !bytes.HasPrefix([]byte(magic), first) && !bytes.HasPrefix(first, []byte(magic)) {
		return nil, 0, fmt.Errorf("groundtruth: line 1 is %.40q, want %q: not a ground-truth table in the project's format (refusing to append to it)", first, magic)
	}
	sound = int64(bytes.LastIndexByte(b, '\n') + 1)
	if bytes.Count(b[:sound], []byte("\n")) < 3 {
		// Not even the header is complete: the file was cut while it was
		// being started, and holds no rows to keep.
		return nil, 0, nil
	}
	t, err = Read(bytes.NewReader(b[:sound]))
	if err != nil {
		return nil, 0, err
	}
	if err := t.Protocol.Match(&want); err != nil {
		if !t.Protocol.extendedBy(&want) {
			return nil, 0, fmt.Errorf("groundtruth: line 2: %w; a table holds one protocol: write to another file", err)
		}
		// More seeds than the table has: the table grows by columns.
		// Its rows lack the new seeds, which Plan then asks for.
		t.Protocol.Seeds = slices.Clone(want.Seeds)
		for i := range t.Rows {
			for len(t.Rows[i].Seeds) < len(want.Seeds) {
				t.Rows[i].Seeds = append(t.Rows[i].Seeds, math.NaN())
			}
		}
	}
	return t, sound, nil
}

// extendedBy reports whether q is p with seeds added after p's own: the
// protocol of a table that grows by a seed.
func (p *Protocol) extendedBy(q *Protocol) bool {
	if len(q.Seeds) <= len(p.Seeds) || !slices.Equal(q.Seeds[:len(p.Seeds)], p.Seeds) {
		return false
	}
	same := *q
	same.Seeds = p.Seeds
	return p.Match(&same) == nil
}

// Stats summarises a table of the project's format.
type Stats struct {
	Rows    int
	Doubly  int     // rows with accuracies for the first two seeds
	Tau     float64 // Kendall tau-b between those two seeds (NaN below 2 rows)
	Rho     float64 // Spearman rho between them
	NoiseSD float64 // standard deviation of one seed's accuracy, from their differences

	// Rows that learned nothing: all-zero output (a cell whose output has
	// no path from its input) leaves the classifier at its bias, at chance
	// accuracy; ties at chance inflate tau, so it is also given without.
	Chance    int
	TauLearnt float64

	Min, Max, Mean, SD float64 // of the row accuracies (the mean over seeds)
	Seconds            float64 // total training time
	Runs               int     // trained (architecture, seed) pairs
	BySeeds            []int   // BySeeds[k]: rows with k seeds trained

	// LearntMin, LearntMean and LearntSD leave out the rows at chance,
	// whose distance from the rest says nothing about the others' spread.
	LearntMin, LearntMean, LearntSD float64
}

// Noise models how far a table can be trusted: an architecture's
// accuracy with one seed is its expected accuracy plus independent seed
// noise, both roughly normal. R is then the correlation between two
// seeds, which the measured seed-to-seed Kendall tau gives through
// Greiner's relation tau = (2/pi) asin R (exact for a bivariate normal);
// a mean of k seeds has correlation kR/(1+(k-1)R) with another one
// (Spearman-Brown). Building on the measured tau rather than on the
// measured spread keeps the model honest about outliers.
type Noise struct{ R float64 }

// NoiseFromTau is the model of a table whose seeds agree with Kendall
// tau (between 0 and 1).
func NoiseFromTau(tau float64) Noise { return Noise{R: math.Sin(math.Pi / 2 * tau)} }

// reliability is the correlation between two independent means of k
// seeds of the same architectures.
func (n Noise) reliability(k int) float64 {
	return float64(k) * n.R / (1 + float64(k-1)*n.R)
}

// SeedTau is the expected Kendall tau between two independent means of k
// seeds each: the seed-to-seed tau the table would measure with k seeds.
func (n Noise) SeedTau(k int) float64 { return 2 / math.Pi * math.Asin(n.reliability(k)) }

// Ceiling is the expected Kendall tau between the architectures' expected
// accuracies and a mean of k seeds: the best a perfect supernet can score
// against rows of k seeds.
func (n Noise) Ceiling(k int) float64 { return 2 / math.Pi * math.Asin(math.Sqrt(n.reliability(k))) }

// CeilingRows is Ceiling for a table whose rows are means of different
// numbers of seeds: rows[k] rows of k seeds. With the seed noise's share
// of one seed's variance (1-R)/R, a row of k seeds carries 1/k of it, so
// the table as a whole correlates with the expected accuracies as a
// table of rows with the mean of 1/k noise; for rows of one k it is
// Ceiling(k).
func (n Noise) CeilingRows(rows []int) float64 {
	var inv float64
	total := 0
	for k, c := range rows {
		if k > 0 && c > 0 {
			inv += float64(c) / float64(k)
			total += c
		}
	}
	if total == 0 {
		return math.NaN()
	}
	rel := 1 / (1 + (1-n.R)/n.R*inv/float64(total))
	return 2 / math.Pi * math.Asin(math.Sqrt(rel))
}

// SeedsFor is the number of seeds per row whose means reach a
// seed-to-seed tau of at least tau (0 if none up to 1,000 do).
func (n Noise) SeedsFor(tau float64) int {
	for k := 1; k <= 1000; k++ {
		if n.SeedTau(k) >= tau {
			return k
		}
	}
	return 0
}

// Summarize computes a table's Stats. classes is the number of classes
// (chance accuracy is 100/classes percent).
func Summarize(t *Table, classes int) Stats {
	s := Stats{Rows: len(t.Rows), Min: math.Inf(1), Max: math.Inf(-1), Tau: math.NaN(), Rho: math.NaN(), NoiseSD: math.NaN(), TauLearnt: math.NaN()}
	chance := 100 / float64(max(classes, 1))
	var x, y, xl, yl, learnt []float64
	var sum, sq, dsq float64
	for _, r := range t.Rows {
		s.Min, s.Max = min(s.Min, r.Acc), max(s.Max, r.Acc)
		sum += r.Acc
		sq += r.Acc * r.Acc
		s.Seconds += r.Seconds
		k := 0
		for _, v := range r.Seeds {
			if !math.IsNaN(v) {
				s.Runs++
				k++
			}
		}
		for len(s.BySeeds) <= k {
			s.BySeeds = append(s.BySeeds, 0)
		}
		s.BySeeds[k]++
		atChance := r.Acc <= chance+0.5
		if atChance {
			s.Chance++
		} else {
			learnt = append(learnt, r.Acc)
		}
		if len(r.Seeds) >= 2 && !math.IsNaN(r.Seeds[0]) && !math.IsNaN(r.Seeds[1]) {
			x, y = append(x, r.Seeds[0]), append(y, r.Seeds[1])
			d := r.Seeds[0] - r.Seeds[1]
			dsq += d * d
			if !atChance {
				xl, yl = append(xl, r.Seeds[0]), append(yl, r.Seeds[1])
			}
		}
	}
	if n := float64(s.Rows); n > 0 {
		s.Mean = sum / n
		s.SD = math.Sqrt(max(sq/n-s.Mean*s.Mean, 0))
	}
	s.LearntMin, s.LearntMean, s.LearntSD = math.NaN(), math.NaN(), math.NaN()
	if n := float64(len(learnt)); n > 0 {
		s.LearntMin = slices.Min(learnt)
		var m, v float64
		for _, a := range learnt {
			m += a / n
		}
		for _, a := range learnt {
			v += (a - m) * (a - m) / n
		}
		s.LearntMean, s.LearntSD = m, math.Sqrt(v)
	}
	s.Doubly = len(x)
	if len(x) >= 2 {
		s.Tau, s.Rho = rank.KendallTau(x, y), rank.Spearman(x, y)
		// Var(a-b) = 2 Var(one seed) for independent seeds.
		s.NoiseSD = math.Sqrt(dsq / float64(len(x)) / 2)
	}
	if len(xl) >= 2 {
		s.TauLearnt = rank.KendallTau(xl, yl)
	}
	return s
}

// SeedTau is the Kendall tau-b between the first two seeds over the n
// rows that have both (NaN below two such rows).
func (t *Table) SeedTau() (tau float64, n int) {
	var x, y []float64
	for _, r := range t.Rows {
		if len(r.Seeds) >= 2 && !math.IsNaN(r.Seeds[0]) && !math.IsNaN(r.Seeds[1]) {
			x, y = append(x, r.Seeds[0]), append(y, r.Seeds[1])
		}
	}
	if len(x) < 2 {
		return math.NaN(), len(x)
	}
	return rank.KendallTau(x, y), len(x)
}

// Noise is the table's noise model, from its seed-to-seed tau.
func (s Stats) Noise() Noise { return NoiseFromTau(s.Tau) }

// String is the report of `serve groundtruth report`.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rows (isomorphism classes): %d\n", s.Rows)
	fmt.Fprintf(&b, "trained runs: %d, %.0f s in all (%.1f s per run)\n", s.Runs, s.Seconds, s.Seconds/float64(max(s.Runs, 1)))
	if s.Rows > 0 {
		fmt.Fprintf(&b, "accuracy: min %.2f, max %.2f, mean %.2f, std %.2f (%d rows at chance)\n", s.Min, s.Max, s.Mean, s.SD, s.Chance)
		if s.Chance > 0 && s.Chance < s.Rows {
			fmt.Fprintf(&b, "  without the rows at chance: min %.2f, mean %.2f, std %.2f\n", s.LearntMin, s.LearntMean, s.LearntSD)
		}
	}
	if len(s.BySeeds) > 2 || len(s.BySeeds) == 2 && s.BySeeds[1] != s.Rows {
		var parts []string
		for k, c := range s.BySeeds {
			if k > 0 && c > 0 {
				parts = append(parts, fmt.Sprintf("%d with %d", c, k))
			}
		}
		fmt.Fprintf(&b, "rows by seeds trained: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "doubly trained rows: %d\n", s.Doubly)
	if s.Doubly >= 2 {
		fmt.Fprintf(&b, "seed-to-seed Kendall tau-b %.4f, Spearman rho %.4f; %.4f without the rows at chance\n", s.Tau, s.Rho, s.TauLearnt)
		fmt.Fprintf(&b, "one seed's accuracy noise (std): %.2f points\n", s.NoiseSD)
	}
	if s.Doubly >= 2 && s.Tau > 0 {
		n := s.Noise()
		fmt.Fprintf(&b, "noise model (seed-to-seed correlation %.2f): seed-to-seed Kendall tau %.2f with means of 2 seeds per row, %.2f of 3; 0.8 needs means of %d\n",
			n.R, n.SeedTau(2), n.SeedTau(3), n.SeedsFor(0.8))
		fmt.Fprintf(&b, "  best Kendall tau a perfect predictor can score: %.2f against 1-seed rows, %.2f against means of 2, %.2f of 3; %.2f against this table's rows\n",
			n.Ceiling(1), n.Ceiling(2), n.Ceiling(3), n.CeilingRows(s.BySeeds))
	}
	return b.String()
}
