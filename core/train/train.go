// Package train runs a supernet training run step by step: it draws paths
// and data with the configured samplers, takes clipped SGD steps with the
// reference semantics, measures gradient variance, and then ranks
// architectures with inherited weights, reporting everything as run.Events.
//
// A Session advances one unit of work per call (a training step, or one
// architecture evaluated), so that every front end can pause, resume and
// single-step it: the browser worker yields to the event loop between
// calls, the native server runs it in a goroutine.
package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"pada/core/data"
	"pada/core/optim"
	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
	"pada/core/supernet"
)

// Trainer holds the state of supernet training.
type Trainer struct {
	cfg   run.Config
	net   *supernet.Net
	train data.Images
	val   data.Images
	path  sampler.Path
	data  sampler.Data
	rng   *rand.Rand
	src   *rand.PCG // rng's source, kept so that Save can marshal it
	sgd   optim.SGD
	vel   []float32

	sp        *space.Space // the net's search space
	opTensors [space.MaxEdges][space.MaxOps][]int
	normFn    func(int, space.Op) float64

	gv gradVar // over the current epoch

	z      float64 // PathWeightNorm of the path distribution of epoch zEpoch
	zEpoch int

	probeDraws int    // fixed-weight gradient-variance draws per epoch
	probe      *probe // its buffers, made at the first probe

	x     []float32
	y     []int32
	w     []float32
	idx   []int
	paths []space.Arch

	epoch, step int // epoch in progress (0-based), steps taken
	order       []int
	pos         int
	lr          float64

	// Running sums for step and epoch events.
	stepLoss, epochLoss float64
	stepHit, epochHit   int
	stepN, epochN       int
	lastArch            space.Arch
}

// NewTrainer prepares training of net on train (validation on val, which
// may be nil) under cfg.
func NewTrainer(cfg run.Config, net *supernet.Net, train, val data.Images) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if train.Len() < 2 {
		return nil, fmt.Errorf("train: %d training images; need at least 2", train.Len())
	}
	if sp, err := cfg.SearchSpace(); err != nil {
		return nil, err
	} else if sp != net.Space() {
		return nil, fmt.Errorf("train: the config's space is %s, the supernet's %s", sp, net.Space())
	}
	path, err := sampler.NewPath(net.Space(), cfg.Sampler.Path, cfg.Sampler.PathMode)
	if err != nil {
		return nil, err
	}
	ds, err := sampler.NewData(cfg.Sampler.Data, train.Len())
	if err != nil {
		return nil, err
	}
	s := net.Shape()
	src := rand.NewPCG(cfg.Seed, 0x5851f42d4c957f2d)
	t := &Trainer{
		cfg: cfg, net: net, sp: net.Space(), train: train, val: val, path: path, data: ds,
		rng: rand.New(src), src: src,
		sgd:   optim.SGD{Momentum: float32(cfg.Momentum), WeightDecay: float32(cfg.WeightDecay)},
		vel:   make([]float32, len(net.Params)),
		gv:    gradVar{sum: make([]float64, len(net.Params))},
		x:     make([]float32, s.Batch*s.InC*s.H*s.W),
		y:     make([]int32, s.Batch),
		w:     make([]float32, s.Batch),
		idx:   make([]int, 0, s.Batch),
		paths: make([]space.Arch, 0, space.MaxOps),
		lr:    optim.Cosine(cfg.LR, 0, cfg.Epochs),

		probeDraws: DefaultProbeDraws, zEpoch: -1,
	}
	for e := range t.sp.NumEdges() {
		for op := range t.sp.NumOps() {
			w, b := net.OpTensors(e, space.Op(op))
			t.opTensors[e][op] = append(w, b...)
		}
	}
	t.normFn = t.opNorm
	t.order = t.data.Epoch(t.rng, nil)
	return t, nil
}

// Net is the supernet being trained.
func (t *Trainer) Net() *supernet.Net { return t.net }

// Epoch is the epoch in progress (0-based); Epochs when training is over.
func (t *Trainer) Epoch() int { return t.epoch }

// Steps is the number of steps taken.
func (t *Trainer) Steps() int { return t.step }

// StepsPerEpoch is the number of steps in an epoch.
func (t *Trainer) StepsPerEpoch() int {
	b := t.net.Shape().Batch
	n := t.train.Len()
	steps := n / b
	if n%b >= 2 { // a last batch of one image has no batch statistics
		steps++
	}
	return steps
}

// Done reports whether every epoch has been trained.
func (t *Trainer) Done() bool { return t.epoch >= t.cfg.Epochs }

// Path is the path sampler.
func (t *Trainer) Path() sampler.Path { return t.path }

// Data is the data sampler.
func (t *Trainer) Data() sampler.Data { return t.data }

func (t *Trainer) opNorm(e int, op space.Op) float64 {
	var s float64
	for _, i := range t.opTensors[e][op] {
		s += math.Sqrt(optim.SumSquares(t.net.Grad(i)))
	}
	return s
}

// Step takes one training step. It returns a step event when one is due
// and an epoch event when the step ended an epoch (either may be nil).
func (t *Trainer) Step() (*run.Step, *run.Epoch) {
	if t.Done() {
		return nil, nil
	}
	s := t.net.Shape()
	n := min(s.Batch, len(t.order)-t.pos)
	t.idx = append(t.idx[:0], t.order[t.pos:t.pos+n]...)
	t.pos += n
	t.train.Batch(t.x, t.y, t.idx, t.cfg.Data.Augment, t.rng)
	t.paths = t.path.Sample(t.rng, t.paths)

	var weight []float32
	if t.cfg.Sampler.Unbiased {
		weight = t.importanceWeights(n)
	}
	m := t.net
	m.ZeroGrad()
	var loss float64
	hit := 0
	for k, a := range t.paths {
		m.Forward(t.x, n, a)
		l, c := m.Loss(t.y, weight)
		if k == 0 {
			loss, hit = l, c
			t.observeData(n)
		}
		m.Backward()
	}
	t.lastArch = t.paths[0]

	// Gradient variance sees the raw gradient, before clipping.
	sq := t.gv.add(m.Grads)
	if t.cfg.Clip > 0 {
		if c := optim.ClipCoef(math.Sqrt(sq), t.cfg.Clip); c < 1 {
			optim.Scale(m.Grads, c)
		}
	}
	t.path.Observe(t.paths, t.normFn)
	lr := float32(t.lr)
	for i, tn := range m.Tensors {
		if m.Touched(i) {
			t.sgd.Step(m.Param(i), m.Grad(i), t.vel[tn.Off:tn.Off+tn.Len], lr)
		}
	}
	t.step++
	t.stepLoss += loss * float64(n)
	t.stepHit += hit
	t.stepN += n
	t.epochLoss += loss * float64(n)
	t.epochHit += hit
	t.epochN += n

	var se *run.Step
	if t.step%t.cfg.Events.StepEvery == 0 {
		se = t.stepEvent()
	}
	var ee *run.Epoch
	if len(t.order)-t.pos < 2 {
		if se == nil && t.stepN > 0 {
			se = t.stepEvent()
		}
		ee = t.endEpoch()
	}
	return se, ee
}

func (t *Trainer) stepEvent() *run.Step {
	e := &run.Step{
		Epoch: t.epoch, Step: t.step, LR: t.lr,
		Loss: t.stepLoss / float64(t.stepN), Acc: 100 * float64(t.stepHit) / float64(t.stepN),
		Arch: t.sp.Format(t.lastArch),
		// One index per edge of the run's space: lastArch has the
		// capacity's MaxEdges entries, the rest zero.
		Ops: make([]int, t.sp.NumEdges()),
	}
	for i := range e.Ops {
		e.Ops[i] = int(t.lastArch[i])
	}
	t.stepLoss, t.stepHit, t.stepN = 0, 0, 0
	return e
}

// observeData hands the data sampler each sample's score
// ||softmax - onehot||, from the forward pass just taken.
func (t *Trainer) observeData(n int) {
	if _, ok := t.data.(*sampler.DA); !ok {
		return
	}
	k := t.net.Shape().Classes
	probs := t.net.Probs()
	for i := 0; i < n; i++ {
		var s float64
		for j, p := range probs[i*k : (i+1)*k] {
			d := float64(p)
			if j == int(t.y[i]) {
				d--
			}
			s += d * d
		}
		t.data.Observe(t.idx[i], math.Sqrt(s))
	}
}

// UnbiasedCap bounds the unbiased mode's importance weights: a sample's
// 1/(N q_i) is cut at UnbiasedCap before the batch's weights are
// normalised to mean 1, and a path's final weight never exceeds it.
// Without a cap a path the sampler has nearly abandoned (p_alpha near
// ((1-tau)/5)^6 late in a run) would weigh up to 10^6 times a typical one
// and blow the step up. The cap trades that for a bias where it is
// reached.
const UnbiasedCap = 10

// importanceWeights are the unbiased mode's per-sample factors,
// self-normalised: min(1/(N q_i), UnbiasedCap) normalised to mean 1 over
// the batch, times the path's weight (pathWeight; the first of the step's
// paths).
func (t *Trainer) importanceWeights(n int) []float32 {
	w := t.w[:n]
	N := float64(t.data.Len())
	var sum float64
	for i, id := range t.idx {
		v := min(1/(N*t.data.Prob(id)), UnbiasedCap)
		w[i] = float32(v)
		sum += v
	}
	scale := float32(float64(n) / sum * t.pathWeight(t.paths[0]))
	for i := range w {
		w[i] *= scale
	}
	return w
}

// pathWeight is the unbiased mode's path weight min(1/(|A| p_alpha z),
// UnbiasedCap), with z = PathWeightNorm of the epoch's distribution.
func (t *Trainer) pathWeight(a space.Arch) float64 {
	if t.zEpoch != t.epoch {
		t.z = PathWeightNorm(t.sp, t.path)
		t.zEpoch = t.epoch
	}
	return cappedWeight(t.path.Prob(a), t.z, t.sp.NumArchs())
}

func cappedWeight(p, z float64, archs int) float64 {
	if p == 0 {
		return UnbiasedCap
	}
	return min(1/(float64(archs)*p*z), UnbiasedCap)
}

// PathWeightNorm is the z in (0, 1] for which the capped path weight
// min(1/(|A| p_alpha z), UnbiasedCap) has mean 1 under p's current
// distribution (found by bisection; the mean falls as z grows). It is 1
// when no weight reaches the cap: then E_p[weight * f(alpha)] is the
// uniform average of f over all architectures. Where the cap is reached,
// z < 1 raises the weights below it, so that the mean stays 1 while none
// exceeds the cap. The architectures are those of space sp.
func PathWeightNorm(sp *space.Space, p sampler.Path) float64 {
	archs := sp.All()
	probs := make([]float64, len(archs))
	for i, a := range archs {
		probs[i] = p.Prob(a)
	}
	mean := func(z float64) float64 {
		var m float64
		for _, q := range probs {
			if q > 0 {
				m += q * cappedWeight(q, z, len(archs))
			}
		}
		return m
	}
	if mean(1) >= 1-1e-12 {
		return 1
	}
	lo, hi := 0.0, 1.0 // mean(lo) > 1 >= mean(hi)
	for range 60 {
		mid := (lo + hi) / 2
		if mean(mid) > 1 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func (t *Trainer) endEpoch() *run.Epoch {
	m := t.net
	E := t.cfg.Epochs
	ev := &run.Epoch{
		Epoch: t.epoch, Epochs: E,
		TrainLoss: t.epochLoss / float64(t.epochN),
		TrainAcc:  100 * float64(t.epochHit) / float64(t.epochN),
	}
	ev.Drift = t.gv.take()
	ev.DriftPerParam = ev.Drift / float64(len(m.Params))
	ev.GV, ev.GVPerParam = ev.Drift, ev.DriftPerParam

	t.path.EndEpoch(t.epoch, E)
	t.data.EndEpoch(t.epoch, E)
	ev.GVFixed = t.gvFixed()
	// A copy per edge: the sampler's rows are its own and change next epoch.
	probs := t.path.Probs()
	ev.PathProbs = make([][]float64, len(probs))
	for e, row := range probs {
		ev.PathProbs[e] = append([]float64(nil), row...)
	}
	if da, ok := t.data.(*sampler.DA); ok {
		s := sampler.Summarize(da.Probs(), 20, 16)
		ev.Data = &s
	}
	if t.val != nil && t.val.Len() > 0 {
		ev.ValAcc = t.validate()
	}
	t.epochLoss, t.epochHit, t.epochN = 0, 0, 0
	t.epoch++
	t.lr = optim.Cosine(t.cfg.LR, t.epoch, E)
	if !t.Done() {
		t.order = t.data.Epoch(t.rng, t.order)
		t.pos = 0
	}
	return ev
}

// validate measures the supernet's accuracy on the validation split, each
// batch through a uniformly drawn path, as the reference code does.
func (t *Trainer) validate() float64 {
	s := t.net.Shape()
	hit, total := 0, 0
	for lo := 0; lo < t.val.Len(); lo += s.Batch {
		n := min(s.Batch, t.val.Len()-lo)
		if n < 2 && total > 0 {
			break
		}
		t.idx = t.idx[:0]
		for i := lo; i < lo+n; i++ {
			t.idx = append(t.idx, i)
		}
		t.val.Batch(t.x, t.y, t.idx, false, nil)
		var a space.Arch
		for e := range t.sp.NumEdges() {
			a[e] = space.Op(t.rng.IntN(t.sp.NumOps()))
		}
		t.net.Forward(t.x, n, a)
		_, c := t.net.Loss(t.y, nil)
		hit += c
		total += n
	}
	return 100 * float64(hit) / float64(total)
}

// gradVar measures the gradient variance over a window of T steps,
// GV = (1/T) sum_t ||g_t||^2 - ||(1/T) sum_t g_t||^2 (PADA.md §5), in one
// pass over the gradient per step.
type gradVar struct {
	sum []float64
	sq  float64
	t   int
}

// add takes one step's gradient and returns its squared norm.
func (v *gradVar) add(g []float32) float64 {
	var sq float64
	sum := v.sum[:len(g)]
	for i, x := range g {
		sum[i] += float64(x)
		sq += float64(x) * float64(x)
	}
	v.sq += sq
	v.t++
	return sq
}

// take returns the variance of the window and starts a new one.
func (v *gradVar) take() float64 {
	if v.t == 0 {
		return 0
	}
	T := float64(v.t)
	var mean2 float64
	for i, s := range v.sum {
		mean2 += (s / T) * (s / T)
		v.sum[i] = 0
	}
	gv := v.sq/T - mean2
	v.sq, v.t = 0, 0
	return gv
}
