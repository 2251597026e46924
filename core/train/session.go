package train

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// Session is a whole run: training, then ranking, reported as Events.
type Session struct {
	cfg   run.Config
	tr    *Trainer
	ev    *rank.Evaluator
	emit  func(run.Event)
	start time.Time

	backend string // what the run computes on, as the Started event names it

	archs []space.Arch
	truth []float64 // -1 where unknown
	table *run.TruthTable
	pred  []float64
	next  int // next architecture to evaluate

	trainSec, rankStart float64
	lastVal             float64
	done                bool
	rankEvery           int
}

// Sets are the image sets of a run.
type Sets struct {
	Train data.Images // what the supernet trains on
	Val   data.Images // held out from training; may be nil
	Eval  data.Images // what architectures are ranked on
}

// Truth is the ground truth a ranking is scored against.
type Truth struct {
	Acc   []float64       // per architecture, percent; nil, or -1 entries, where unknown
	Table *run.TruthTable // about the table they come from; nil without one
}

// NewSession prepares a run of cfg on net. archs are ranked after training
// and scored against truth (see SelectArchs). emit receives every event,
// in order, on the caller's goroutine.
func NewSession(cfg run.Config, net *supernet.Net, sets Sets, archs []space.Arch, truth Truth, backend string, emit func(run.Event)) (*Session, error) {
	s, err := newSession(cfg, net, sets, archs, truth, emit)
	if err != nil {
		return nil, err
	}
	s.backend = backend
	s.send(run.Event{Type: run.TypeStarted, Started: &run.Started{
		Config: cfg, Params: net.NumParams(), TrainImages: sets.Train.Len(), EvalImages: s.ev.Images(),
		StepsPerEpoch: s.tr.StepsPerEpoch(), Archs: len(archs), Backend: backend, Truth: truth.Table,
		Classes: data.ClassNames(cfg.Data.Name),
	}})
	return s, nil
}

// Truth describes the ground-truth table the session scores against (nil
// without one).
func (s *Session) Truth() *run.TruthTable { return s.table }

// newSession is NewSession without the Started event, which Resume does
// not send again.
func newSession(cfg run.Config, net *supernet.Net, sets Sets, archs []space.Arch, gt Truth, emit func(run.Event)) (*Session, error) {
	truth := gt.Acc
	tr, err := NewTrainer(cfg, net, sets.Train, sets.Val)
	if err != nil {
		return nil, err
	}
	if sets.Eval == nil || sets.Eval.Len() == 0 {
		return nil, fmt.Errorf("train: the evaluation split (%s) is empty", cfg.Eval.Split)
	}
	if truth != nil && len(truth) != len(archs) {
		return nil, fmt.Errorf("train: %d ground-truth values for %d architectures", len(truth), len(archs))
	}
	if truth == nil {
		truth = make([]float64, len(archs))
		for i := range truth {
			truth[i] = -1
		}
	}
	s := &Session{
		cfg: cfg, tr: tr, emit: emit, start: time.Now(),
		ev:    rank.NewEvaluator(net, sets.Eval, cfg.Eval.Images),
		archs: archs, truth: truth, table: gt.Table, pred: make([]float64, 0, len(archs)),
		rankEvery: max(1, len(archs)/100),
	}
	return s, nil
}

func (s *Session) send(e run.Event) {
	e.Time = time.Since(s.start).Seconds()
	if s.emit != nil {
		s.emit(e)
	}
}

// Trainer is the session's trainer.
func (s *Session) Trainer() *Trainer { return s.tr }

// Done reports whether the run has finished.
func (s *Session) Done() bool { return s.done }

// Advance does one unit of work: a training step, or the evaluation of one
// architecture. It returns false once the run is done.
func (s *Session) Advance() bool {
	if s.done {
		return false
	}
	if !s.tr.Done() {
		st, ep := s.tr.Step()
		if st != nil {
			s.send(run.Event{Type: run.TypeStep, Step: st})
		}
		if ep != nil {
			ep.Seconds = time.Since(s.start).Seconds() - s.trainSec
			s.trainSec += ep.Seconds
			s.lastVal = ep.ValAcc
			s.send(run.Event{Type: run.TypeEpoch, Epoch: ep})
		}
		if s.tr.Done() {
			s.rankStart = time.Since(s.start).Seconds()
		}
		return true
	}
	if s.next < len(s.archs) {
		a := s.archs[s.next]
		s.pred = append(s.pred, s.ev.Accuracy(a))
		s.next++
		if s.next%s.rankEvery == 0 || s.next == len(s.archs) {
			tau, _, _ := s.Scores()
			s.send(run.Event{Type: run.TypeRank, Rank: &run.RankProgress{
				Done: s.next, Total: len(s.archs), Arch: s.tr.sp.Format(a),
				Pred: s.pred[s.next-1], Truth: s.truth[s.next-1], Tau: tau,
			}})
		}
		if s.next < len(s.archs) {
			return true
		}
	}
	tau, rho, top := s.Scores()
	s.done = true
	as := Assess(s.pred, s.truth, ProxiesOf(s.tr.net, s.archs), s.cfg.Seed)
	s.send(run.Event{Type: run.TypeDone, Done: &run.Done{
		Tau: tau, Rho: rho, Top10: top, Archs: len(s.archs),
		TrainSeconds: s.trainSec, RankSeconds: time.Since(s.start).Seconds() - s.rankStart,
		FinalValAcc: s.lastVal, Assessment: as,
	}})
	return false
}

// Scores are Kendall tau-b, Spearman rho and top-10% precision over the
// architectures evaluated so far that have a ground truth (0 while fewer
// than two do, or while either side is constant).
func (s *Session) Scores() (tau, rho, top10 float64) {
	var p, t []float64
	for i, v := range s.pred {
		if s.truth[i] >= 0 {
			p = append(p, v)
			t = append(t, s.truth[i])
		}
	}
	if len(p) < 2 {
		return 0, 0, 0
	}
	z := func(v float64) float64 {
		if math.IsNaN(v) {
			return 0
		}
		return v
	}
	return z(rank.KendallTau(p, t)), z(rank.Spearman(p, t)), z(rank.TopOverlap(p, t, 0.1))
}

// Predictions returns the architectures evaluated so far with their
// predicted and ground-truth (-1: unknown) accuracies.
func (s *Session) Predictions() (archs []space.Arch, pred, truth []float64) {
	return s.archs[:len(s.pred)], s.pred, s.truth[:len(s.pred)]
}

// WriteCSV writes the predictions as CSV (WriteRanking): arch, predicted
// and ground-truth accuracy (empty when unknown), parameters, FLOPs and
// convolutions.
func (s *Session) WriteCSV(w io.Writer) error {
	archs := s.archs[:len(s.pred)]
	return WriteRanking(w, s.tr.net.Space(), archs, s.pred, s.truth, ProxiesOf(s.tr.net, archs))
}

// SelectArchs resolves Config.Eval.Archs against a ground-truth table
// (which may be nil for "all", "unique" and "list") and returns the
// architectures with their truth (-1 where the table has none). Sampling
// uses the run seed.
func SelectArchs(e run.Eval, seed uint64, table *groundtruth.Table) ([]space.Arch, Truth, error) {
	return SelectArchsIn(space.NB201Cell, e, seed, table)
}

// SelectArchsIn is SelectArchs for the architectures of space sp; the
// table, if any, must be of sp.
func SelectArchsIn(sp *space.Space, e run.Eval, seed uint64, table *groundtruth.Table) ([]space.Arch, Truth, error) {
	if table != nil && table.Space() != sp {
		return nil, Truth{}, fmt.Errorf("eval.truth: the ground-truth table is of space %s, the run's is %s", table.Space(), sp)
	}
	archs, acc, err := selectArchs(sp, e, seed, table)
	if err != nil || table == nil {
		return archs, Truth{Acc: acc}, err
	}
	info := &run.TruthTable{Rows: len(table.Rows)}
	for _, a := range acc {
		if a >= 0 {
			info.Known++
		}
	}
	info.SeedTau, info.Doubly = table.SeedTau()
	if info.Doubly < 2 || !(info.SeedTau > 0) {
		info.SeedTau = 0
	} else {
		// Rows are means of one, two or three seeds: the ceiling follows
		// the table as it was trained, not a table of single seeds.
		var bySeeds []int
		for _, r := range table.Rows {
			k := 0
			for _, v := range r.Seeds {
				if !math.IsNaN(v) {
					k++
				}
			}
			for len(bySeeds) <= k {
				bySeeds = append(bySeeds, 0)
			}
			bySeeds[k]++
		}
		info.Ceiling = groundtruth.NoiseFromTau(info.SeedTau).CeilingRows(bySeeds)
	}
	return archs, Truth{Acc: acc, Table: info}, nil
}

func selectArchs(sp *space.Space, e run.Eval, seed uint64, table *groundtruth.Table) ([]space.Arch, []float64, error) {
	var archs []space.Arch
	switch {
	case e.Archs == "truth":
		if table == nil {
			return nil, nil, fmt.Errorf("eval.archs %q needs a ground-truth table", e.Archs)
		}
		for _, r := range table.Rows {
			archs = append(archs, r.Arch)
		}
	case e.Archs == "all":
		archs = sp.All()
	case e.Archs == "unique":
		archs = sp.Unique()
	case e.Archs == "list":
		for i, str := range e.List {
			a, err := sp.Parse(str)
			if err != nil {
				return nil, nil, fmt.Errorf("eval.list[%d]: %w", i, err)
			}
			archs = append(archs, a)
		}
	case strings.HasPrefix(e.Archs, "sample:"):
		k, ok := run.ParseSample(e.Archs)
		if !ok {
			return nil, nil, fmt.Errorf("eval.archs %q: want sample:K", e.Archs)
		}
		var pool []space.Arch
		if table != nil {
			for _, r := range table.Unique() {
				pool = append(pool, r.Arch)
			}
		} else {
			pool = sp.Unique()
		}
		r := rand.New(rand.NewPCG(seed, 0xa0761d6478bd642f))
		for _, i := range r.Perm(len(pool))[:min(k, len(pool))] {
			archs = append(archs, pool[i])
		}
	default:
		return nil, nil, fmt.Errorf("eval.archs %q is not one of truth, all, unique, sample:K, list", e.Archs)
	}
	truth := make([]float64, len(archs))
	for i, a := range archs {
		truth[i] = -1
		if table != nil {
			if r, ok := table.Lookup(a); ok {
				truth[i] = r.Acc
			}
		}
	}
	return archs, truth, nil
}
