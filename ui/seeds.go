package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"pada/core/rank/stat"
)

// Record is what the page keeps across races: the speed it measured (for
// the next estimate) and the seeds table, one row per finished race of
// the same settings.
type Record struct {
	TabRate    float64 // training images/s per worker in the last tab race (0: none yet)
	NativeRate float64 // the same on the native server
	Cores      int     // the browser's cores (navigator.hardwareConcurrency)

	Key  string    // the settings (all but the seed) the rows were raced with
	Rows []SeedRow // in the order they were raced
	last int       // the race generation last recorded, so a race adds one row
}

// SeedRow is one finished race: per sampler its tau and interval, and
// the paired comparison of the first two.
type SeedRow struct {
	Seed     uint64
	Samplers []string
	Tau      []float64
	CI       []*stat.Interval // nil where the run had none
	Diff     *stat.Diff       // the second sampler minus the first; nil without two rankings
}

// settingsKey is the state without its seed: rows of a seeds table
// differ only in the seed.
func (s State) settingsKey() string {
	s.Seed = 0
	s.Auto = false
	return s.Hash()
}

// Ranking is a finished run's ranking as stat compares it: the
// architectures with a ground truth.
func (r *Run) Ranking() stat.Ranking {
	var out stat.Ranking
	for _, p := range r.Ranked {
		if p.Truth >= 0 {
			out.Archs = append(out.Archs, p.Arch)
			out.Pred = append(out.Pred, p.Pred)
			out.Truth = append(out.Truth, p.Truth)
		}
	}
	return out
}

// complete reports whether every ranked architecture's prediction
// arrived (a run ranking more than 100 reports only every k-th).
func (r *Run) complete() bool {
	return r.Done != nil && r.Started != nil && len(r.Ranked) == r.Started.Archs
}

// Compare is the paired bootstrap of b's tau minus a's (stat.Compare,
// seeded by the race's seed); nil unless both finished with a complete
// ranking against ground truth.
func (c *Root) Compare(a, b *Run) *stat.Diff {
	if !a.complete() || !b.complete() {
		return nil
	}
	ra, rb := a.Ranking(), b.Ranking()
	if len(ra.Archs) < 3 || len(rb.Archs) < 3 {
		return nil
	}
	d := stat.Compare(rb, ra, stat.Bootstrap{Seed: a.Started.Config.Seed})
	if math.IsNaN(d.Delta) || math.IsNaN(d.CI.Lo) || math.IsNaN(d.CI.Hi) {
		return nil
	}
	return &d
}

// recordSeed adds the finished race to the seeds table, once per race
// (gen), starting the table afresh when the settings changed.
func (c *Root) recordSeed(gen int) {
	if len(c.Runs) == 0 || gen == c.Record.last {
		return
	}
	for _, r := range c.Runs {
		if r.Done == nil || !r.HasTruth() {
			return
		}
	}
	c.Record.last = gen
	c.learnRate()
	if k := c.State.settingsKey(); k != c.Record.Key {
		c.Record.Key, c.Record.Rows = k, nil
	}
	row := SeedRow{Seed: c.Runs[0].Started.Config.Seed}
	for _, r := range c.Runs {
		row.Samplers = append(row.Samplers, r.Sampler)
		row.Tau = append(row.Tau, r.Done.Tau)
		row.CI = append(row.CI, r.Done.TauCI)
	}
	if len(c.Runs) >= 2 {
		row.Diff = c.Compare(c.Runs[0], c.Runs[1])
	}
	for i, old := range c.Record.Rows {
		if old.Seed == row.Seed {
			c.Record.Rows[i] = row // the same seed raced again
			return
		}
	}
	c.Record.Rows = append(c.Record.Rows, row)
}

// NextSeed races again with the next seed not yet in the table.
func (c *Root) NextSeed() {
	if c.Running() {
		return
	}
	next := c.State.Seed + 1
	for taken := true; taken; {
		taken = false
		for _, r := range c.Record.Rows {
			if r.Seed == next {
				next, taken = next+1, true
			}
		}
	}
	c.Set("seed", strconv.FormatUint(next, 10))
	c.Race()
}

// CanNextSeed reports whether the "repeat with the next seed" button
// works now: a race finished and none runs.
func (c *Root) CanNextSeed() bool {
	if c.Running() || len(c.Runs) == 0 {
		return false
	}
	for _, r := range c.Runs {
		if r.Done == nil {
			return false
		}
	}
	return true
}

// SeedTable is the seeds table: a header, one row per seed, and the
// mean ± sd row (nil without rows).
func (c *Root) SeedTable() (head []string, rows [][]string, foot []string) {
	rs := c.Record.Rows
	if len(rs) == 0 {
		return nil, nil, nil
	}
	head = []string{"seed"}
	for _, s := range rs[0].Samplers {
		head = append(head, SamplerLabel(s)+" τ [95% interval]")
	}
	paired := len(rs[0].Samplers) >= 2
	if paired {
		head = append(head, SamplerLabel(rs[0].Samplers[1])+" − "+SamplerLabel(rs[0].Samplers[0]))
	}
	taus := make([][]float64, len(rs[0].Samplers))
	for _, r := range rs {
		row := []string{strconv.FormatUint(r.Seed, 10)}
		for i, t := range r.Tau {
			cell := fmt.Sprintf("%.3f", t)
			if r.CI[i] != nil {
				cell += fmt.Sprintf(" [%.2f, %.2f]", r.CI[i].Lo, r.CI[i].Hi)
			}
			row = append(row, cell)
			if i < len(taus) {
				taus[i] = append(taus[i], t)
			}
		}
		if paired {
			switch {
			case r.Diff != nil:
				row = append(row, fmt.Sprintf("%+.3f [%+.2f, %+.2f] %s", r.Diff.Delta, r.Diff.CI.Lo, r.Diff.CI.Hi, diffWords(r.Diff.Verdict)))
			case len(r.Tau) >= 2:
				row = append(row, fmt.Sprintf("%+.3f", r.Tau[1]-r.Tau[0]))
			}
		}
		rows = append(rows, row)
	}
	foot = []string{fmt.Sprintf("mean ± sd of %d", len(rs))}
	for _, t := range taus {
		m, sd := stat.MeanSD(t)
		if len(t) < 2 {
			foot = append(foot, fmt.Sprintf("%.3f", m))
		} else {
			foot = append(foot, fmt.Sprintf("%.3f ± %.3f", m, sd))
		}
	}
	if paired && len(taus) >= 2 {
		var d []float64
		for i := range taus[0] {
			d = append(d, taus[1][i]-taus[0][i])
		}
		m, sd := stat.MeanSD(d)
		s := fmt.Sprintf("%+.3f", m)
		if len(d) >= 2 {
			s += fmt.Sprintf(" ± %.3f", sd)
		}
		pos := 0
		for _, v := range d {
			if v > 0 {
				pos++
			}
		}
		foot = append(foot, s+fmt.Sprintf(" (higher on %d of %d seeds)", pos, len(d)))
	}
	return head, rows, foot
}

// SeedTableHTML is the seeds table as HTML ("" without rows).
func (c *Root) SeedTableHTML() string {
	head, rows, foot := c.SeedTable()
	if head == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<table class="seeds"><caption>The same race, one row per seed</caption><thead><tr>`)
	for _, h := range head {
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(h))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, r := range rows {
		b.WriteString(`<tr>`)
		for _, v := range r {
			fmt.Fprintf(&b, `<td>%s</td>`, esc(v))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody><tfoot><tr>`)
	for _, v := range foot {
		fmt.Fprintf(&b, `<td>%s</td>`, esc(v))
	}
	b.WriteString(`</tr></tfoot></table>`)
	return b.String()
}

func diffWords(v string) string {
	switch v {
	case stat.Higher:
		return "higher"
	case stat.Lower:
		return "lower"
	}
	return "within the noise"
}

// TauMeaning says what Kendall tau is, for the text under the ranking.
const TauMeaning = "Kendall τ compares the supernet's order of the architectures with their order after stand-alone training, " +
	"pair by pair: τ = 1 when every pair is in the same order, 0 when the supernet orders pairs no better than a coin, −1 when it reverses them. " +
	"Brackets are 95% intervals: bootstrap resamples of the ranked architectures."

// ranked is the runs once every one has finished ranking against a
// truth table (nil before).
func (c *Root) ranked() []*Run {
	var done []*Run
	for _, r := range c.Runs {
		if r.Done != nil && r.HasTruth() {
			done = append(done, r)
		}
	}
	if len(done) == 0 || len(done) < len(c.Runs) {
		return nil
	}
	return done
}

// Verdict is the race's result in words: which sampler ranks better,
// or that the difference is within the noise and what would resolve it
// ("" until every run is done).
func (c *Root) Verdict() string {
	done := c.ranked()
	if done == nil {
		return ""
	}
	var parts []string
	for _, r := range done {
		s := fmt.Sprintf("%s τ = %.3f", r.Label(), r.Done.Tau)
		if ci := r.Done.TauCI; ci != nil {
			s += fmt.Sprintf(" [%.2f, %.2f]", ci.Lo, ci.Hi)
		}
		parts = append(parts, s)
	}
	out := "Result: " + strings.Join(parts, ", ") + ". "
	if len(done) == 1 {
		return out + chance(done[0])
	}
	// The best against the runner-up.
	best := done[0]
	for _, r := range done[1:] {
		if r.Done.Tau > best.Done.Tau {
			best = r
		}
	}
	var second *Run
	for _, r := range done {
		if r != best && (second == nil || r.Done.Tau > second.Done.Tau) {
			second = r
		}
	}
	d := c.Compare(second, best)
	n := best.Started.Archs
	switch {
	case d != nil && d.Verdict == stat.Higher:
		out += fmt.Sprintf("%s ranks better than %s: τ higher by %.3f [%.2f, %.2f], beyond the noise of %d architectures (paired bootstrap). One seed is one draw of the training: repeat with the next seed to see whether it holds.",
			best.Label(), second.Label(), d.Delta, d.CI.Lo, d.CI.Hi, n)
	case d != nil:
		out += fmt.Sprintf("The difference, %+.3f [%+.2f, %+.2f], is within the noise: with %d architectures this race cannot tell %s and %s apart. More architectures ranked (or on more images) narrow the interval; more seeds (repeat with the next seed) show whether one wins on average.",
			d.Delta, d.CI.Lo, d.CI.Hi, n, best.Label(), second.Label())
	default:
		out += "The page cannot compare the two rankings pair by pair (only part of the predictions arrived); the intervals above say how far each τ is from the noise."
	}
	return out
}

// chance says whether a run's tau is clearly above chance.
func chance(r *Run) string {
	ci := r.Done.TauCI
	switch {
	case ci == nil:
		return ""
	case ci.Lo > 0:
		return r.Label() + " orders the architectures clearly better than chance."
	case ci.Hi < 0:
		return r.Label() + " orders them worse than chance: reversed."
	}
	return r.Label() + "'s τ is within the noise of 0: this race does not show that it ranks at all."
}

// Showed is what this race showed, in plain words, for the text under
// the ranking ("" until it is done).
func (c *Root) Showed() string {
	done := c.ranked()
	if done == nil {
		return ""
	}
	var parts []string
	for _, r := range done {
		parts = append(parts, chance(r))
	}
	s := "This race: " + strings.Join(parts, " ")
	if len(done) >= 2 {
		if d := c.Compare(done[0], done[1]); d != nil {
			if d.Verdict == stat.WithinNoise {
				s += fmt.Sprintf(" Between %s and %s the difference is within the noise.", done[0].Label(), done[1].Label())
			} else {
				w := done[1]
				if d.Verdict == stat.Lower {
					w = done[0]
				}
				s += fmt.Sprintf(" %s ranks better, beyond the noise.", w.Label())
			}
		}
	}
	if n := len(c.Record.Rows); n >= 2 {
		s += fmt.Sprintf(" Across the %d seeds in the table below: see the mean ± sd row.", n)
	}
	return s
}
