package ui

import (
	"fmt"
	"math"
	"strings"

	"pada/core/run"
)

// How long a race takes. A run's work is counted in training images: an
// image trained (forward and backward) is one unit, an image evaluated
// while ranking (forward only, no gradient) EvalCost units. The estimate
// before a race divides the work by a rate in images per second per
// worker: the one the page measured in its last race in this browser, or
// DefaultTabRate before any.
const (
	// EvalCost is the time of one image evaluated relative to one image
	// trained: 0.34-0.36 natively on the default race with uniform
	// sampling (the done event's rank and train seconds; bench/race),
	// about 0.25 with PA&DA, whose training step costs more.
	EvalCost = 0.35
	// DefaultTabRate is the training images per second of one worker
	// in a tab with two workers on a 2-core machine: bench/race -browser
	// measured 960-1,360 on this project's machine when it was quiet
	// (load below 3) and 210-280 at load 15, so a busy machine takes
	// about four times the estimate until a race has measured it.
	DefaultTabRate = 1000.0
	// DefaultNativeRate is the same for a run on the native server.
	DefaultNativeRate = 2000.0
	// StartSeconds is what a race spends before its first step: the
	// workers boot the engine and copy the dataset.
	StartSeconds = 5.0
)

// Work is a run's work in training-image units: training and ranking.
func Work(c run.Config) (train, rank float64) {
	n := c.Data.Train
	if n <= 0 || n > MaxTrain {
		n = MaxTrain
	}
	perEpoch := math.Ceil(float64(n) * (1 - c.Data.ValFrac))
	return perEpoch * float64(c.Epochs), float64(archCount(c.Eval)) * float64(evalImages(c.Eval)) * EvalCost
}

// archCount is how many architectures an Eval ranks (a bound for
// "truth", which the page never sends).
func archCount(e run.Eval) int {
	var k int
	switch {
	case e.Archs == "list":
		return len(e.List)
	case strings.HasPrefix(e.Archs, "sample:"):
		k, _ = run.ParseSample(e.Archs)
		return k
	}
	return MaxArchs
}

func evalImages(e run.Eval) int {
	if e.Images <= 0 {
		return 10000 // the whole evaluation split of the default dataset
	}
	return e.Images
}

// RaceSeconds is the estimated wall time of a race of cfgs at rate
// training images per second per worker on cores cores: the runs share
// the cores, so the race takes the longest run's time, or the whole work
// spread over the cores when there are more runs than cores.
func RaceSeconds(cfgs []run.Config, rate float64, cores int) float64 {
	if rate <= 0 || len(cfgs) == 0 {
		return 0
	}
	var total, longest float64
	for _, c := range cfgs {
		t, r := Work(c)
		total += t + r
		longest = max(longest, t+r)
	}
	return StartSeconds + max(longest, total/float64(max(1, cores)))/rate
}

// Duration writes seconds for people: "45 s", "2 min 50 s", "1 h 5 min".
func Duration(sec float64) string {
	s := int(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", max(s, 0))
	case s < 3600:
		if s%60 == 0 {
			return fmt.Sprintf("%d min", s/60)
		}
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
}

// TimeProgress is the share of the run's time that is behind it, in
// [0, 1]: training counted by steps, ranking by architectures, weighted
// by their work (Work), so that the bar moves at an even pace through
// both phases.
func (r *Run) TimeProgress() float64 {
	s := r.Started
	switch {
	case r.Done != nil:
		return 1
	case s == nil:
		return 0
	}
	c := s.Config
	train := float64(c.Epochs * s.TrainImages)
	rank := float64(s.Archs*s.EvalImages) * EvalCost
	if train+rank <= 0 {
		return 0
	}
	var done float64
	if steps := c.Epochs * s.StepsPerEpoch; steps > 0 && r.Step != nil {
		done = train * min(1, float64(r.Step.Step)/float64(steps))
	}
	if len(r.Ranked) > 0 && s.Archs > 0 {
		done = train + rank*min(1, float64(len(r.Ranked))/float64(s.Archs))
	}
	return min(1, done/(train+rank))
}

// Elapsed is the run's own seconds so far: the time of its latest event.
func (r *Run) Elapsed() float64 {
	if n := len(r.Events); n > 0 {
		return r.Events[n-1].Time
	}
	return 0
}

// ETA is the run's estimated seconds left (0 when done, -1 while too
// little is done to tell): its elapsed time scaled by the work left.
func (r *Run) ETA() float64 {
	if r.Done != nil {
		return 0
	}
	p := r.TimeProgress()
	if p < 0.01 || r.Elapsed() <= 0 {
		return -1
	}
	return r.Elapsed() * (1 - p) / p
}

// Rate is the training images per second per worker the estimate uses,
// and where it comes from.
func (c *Root) Rate() (rate float64, from string) {
	if c.UseNative() {
		if c.Record.NativeRate > 0 {
			return c.Record.NativeRate, "measured in the last race on the native server"
		}
		return DefaultNativeRate, "a typical native run"
	}
	if c.Record.TabRate > 0 {
		return c.Record.TabRate, "measured in the last race in this tab"
	}
	return DefaultTabRate, "a typical 2-core laptop"
}

// cores is how many runs train at once at full speed.
func (c *Root) cores() int {
	if c.UseNative() {
		return max(1, c.Native.Cores)
	}
	return max(1, c.Record.Cores)
}

// Estimate is the line next to Race before a race starts: how long the
// race should take and how that is computed ("" when the settings do
// not make a race).
func (c *Root) Estimate() string {
	cfgs, err := c.State.Configs(c.HaveTruth())
	if err != nil || len(cfgs) == 0 {
		return ""
	}
	rate, from := c.Rate()
	train, rank := Work(cfgs[0])
	sec := RaceSeconds(cfgs, rate, c.cores())
	return fmt.Sprintf("about %s: %s training images and %s evaluated (%.2f each) per run, at %.0f images/s per worker (%s)",
		Duration(sec), thousands(train), thousands(rank/EvalCost), EvalCost, rate, from)
}

// RaceETA is the line next to Race during a race: the time left until
// the slowest run is done ("" when no race runs).
func (c *Root) RaceETA() string {
	if !c.Running() {
		return ""
	}
	left := 0.0
	for _, r := range c.Runs {
		if r.Status == StatusError || r.Status == StatusStopped {
			continue
		}
		e := r.ETA()
		if e < 0 {
			return "estimating the time left…"
		}
		left = max(left, e)
	}
	return "about " + Duration(left) + " left"
}

// TimeText is the line next to Race: the estimate before a race, the
// time left during one.
func (c *Root) TimeText() string {
	if c.Running() {
		return c.RaceETA()
	}
	return c.Estimate()
}

// learnRate keeps the training speed of a finished race for the next
// estimate.
func (c *Root) learnRate() {
	var sum float64
	n := 0
	for _, r := range c.Runs {
		if ips := r.ImagesPerSecond(); r.Done != nil && ips > 0 {
			sum += ips
			n++
		}
	}
	if n == 0 {
		return
	}
	if c.race.native {
		c.Record.NativeRate = sum / float64(n)
	} else {
		c.Record.TabRate = sum / float64(n)
	}
}

// thousands writes a count with thousands separators: 21,600.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
