package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/vugu/vugu"

	"pada/core/run"
)

// Root is the page's component: the State, the runs of the current race
// and the browser handles that drive them.
type Root struct {
	State  State
	Errs   map[string]string // control (hash key) -> message shown next to it
	Runs   []*Run
	Paused bool
	Note   string // a line under the buttons (e.g. why a race did not start)

	// Truths are the search spaces whose shipped ground-truth table the
	// page loaded (groundtruth.DefaultFileFor names each): a race in one
	// of them is scored against its table with Kendall tau.
	Truths map[string]bool

	// Native is what the page knows of the native server (`go run
	// ./serve` behind the page): whether it answered /api/health and what
	// it said, shown next to the backend switch.
	Native NativeInfo

	// ShowConfig shows the pasted-config box; ShowTables shows every
	// chart's table under it.
	ShowConfig bool
	ShowTables bool

	// Raw is what the user typed in each control (by hash key), shown
	// in the control whatever its validity, so that a message stands
	// next to the text it is about.
	Raw map[string]string
	// Confirm asks whether to discard the running race (Race pressed
	// during a race); Help shows the keyboard help; Copied says what a
	// copy button put on the clipboard.
	Confirm bool
	Help    bool
	Copied  string

	// Shares is publishing this race and replaying a published one
	// (share.go, replay.go).
	Shares Sharing

	// Record keeps the measured speed and the seeds table across races
	// (racetime.go, seeds.go).
	Record Record

	env   vugu.EventEnv
	mu    sync.Mutex
	dirty bool
	race  race // the browser side (workers); a no-op natively
}

// NewRoot is the page for a URL hash.
func NewRoot(env vugu.EventEnv, hash string) *Root {
	s, errs := ParseHash(hash)
	return &Root{State: s, Errs: errs, env: env}
}

// HaveTruth says whether the page has the ground-truth table of the
// chosen search space to send with a race.
func (c *Root) HaveTruth() bool { return c.Truths[c.State.SpaceName()] }

// Err is the message next to a control ("" when its value is fine).
func (c *Root) Err(key string) string { return c.Errs[key] }

// Text is what control key shows: what was typed into it, or the
// setting's value.
func (c *Root) Text(key string) string {
	if t, ok := c.Raw[key]; ok {
		return t
	}
	return c.State.Text(key)
}

// Input is a keystroke (or paste) in control key: the text stays as
// typed, and its message appears or goes at once.
func (c *Root) Input(key, val string) {
	if c.Raw == nil {
		c.Raw = map[string]string{}
	}
	c.Raw[key] = val
	c.Set(key, val)
}

// HashChanged follows the URL hash when the user edits it or goes back
// or forward: the page takes the link's settings (a race in progress
// keeps running until Race is pressed).
func (c *Root) HashChanged(h string) {
	if strings.TrimPrefix(h, "#") == c.State.Hash() && len(c.Errs) == 0 {
		return
	}
	c.State, c.Errs = ParseHash(h)
	c.Raw = nil
	c.Note = ""
	c.followShare()
}

// Set changes a control's value; a bad value keeps the old one and shows
// why next to the control.
func (c *Root) Set(key, val string) {
	if c.Errs == nil {
		c.Errs = map[string]string{}
	}
	if err := c.State.Set(key, val); err != nil {
		c.Errs[key] = err.Error()
		return
	}
	delete(c.Errs, key)
	c.race.setHash(c.State.Hash())
}

// HasRun reports whether the race includes a sampler.
func (c *Root) HasRun(name string) bool {
	for _, r := range c.State.Runs {
		if r == name {
			return true
		}
	}
	return false
}

// ToggleRun adds or removes a sampler from the race.
func (c *Root) ToggleRun(name string, on bool) {
	var runs []string
	for _, s := range Samplers {
		if s.Name == name && on || s.Name != name && c.HasRun(s.Name) {
			runs = append(runs, s.Name)
		}
	}
	c.Set("runs", strings.Join(runs, ","))
}

// Running reports whether a race is in progress.
func (c *Root) Running() bool {
	for _, r := range c.Runs {
		switch r.Status {
		case StatusLoading, StatusRunning, StatusPaused, StatusRanking:
			return true
		}
	}
	return false
}

// Race starts one worker per selected sampler. Invalid settings start
// nothing and say why; during a race it first asks whether to discard it.
func (c *Root) Race() {
	if c.Replaying() {
		return // a published race is shown read-only ("train it yourself" leaves it)
	}
	if c.Running() {
		c.Confirm = true
		return
	}
	c.race1()
}

// ConfirmRace discards the running race and starts a new one.
func (c *Root) ConfirmRace() {
	c.Confirm = false
	c.race1()
}

// CancelRace keeps the running race.
func (c *Root) CancelRace() { c.Confirm = false }

func (c *Root) race1() {
	if len(c.Errs) > 0 {
		c.Note = "Fix the highlighted settings first."
		if c.State.Embed {
			// The settings are hidden: name what is wrong, for whoever
			// wrote the link.
			keys := make([]string, 0, len(c.Errs))
			for k := range c.Errs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				keys[i] = k + ": " + c.Errs[k]
			}
			c.Note = "The link's settings cannot be used (" + strings.Join(keys, "; ") + ")."
		}
		return
	}
	cfgs, err := c.State.Configs(c.HaveTruth())
	if err != nil {
		c.Errs["config"] = err.Error()
		c.Note = "The settings do not make a valid run."
		return
	}
	c.race.stop()
	c.Runs = nil
	for i, name := range c.State.Runs {
		r := NewRun(name, i)
		r.Config = cfgs[i]
		c.Runs = append(c.Runs, r)
	}
	c.Copied = ""
	c.Paused = false
	c.Note = ""
	c.race.start(c, cfgs)
}

// TogglePause pauses or resumes every run.
func (c *Root) TogglePause() {
	c.Paused = !c.Paused
	if c.Paused {
		c.race.send("pause")
	} else {
		c.race.send("resume")
	}
}

// Step advances every paused run by one unit of work.
func (c *Root) Step() {
	c.Paused = true
	c.race.send("step")
}

// Stop ends the runs, keeping what they showed.
func (c *Root) Stop() {
	c.race.stop()
	for _, r := range c.Runs {
		if r.Status != StatusDone && r.Status != StatusError {
			r.Status = StatusStopped
		}
	}
}

// Reset ends the runs and clears the charts.
func (c *Root) Reset() {
	c.Confirm = false
	c.race.stop()
	c.Runs = nil
	c.Paused = false
	c.Note = ""
}

// StatusText is a run's status line.
func (r *Run) StatusText() string {
	switch r.Status {
	case StatusLoading:
		return "starting…"
	case StatusError:
		return "error"
	}
	s := r.Status
	if r.Started != nil && r.Step != nil && r.Status != StatusDone && len(r.Ranked) == 0 {
		s += fmt.Sprintf(" · epoch %d/%d", r.Step.Epoch+1, r.Started.Config.Epochs)
	}
	if len(r.Ranked) > 0 && r.Done == nil && r.Started != nil {
		s = fmt.Sprintf("ranking %d/%d", len(r.Ranked), r.Started.Archs)
	}
	return s
}

// Stats is a run's one-line numbers.
func (r *Run) Stats() string {
	var parts []string
	if r.Step != nil {
		parts = append(parts, fmt.Sprintf("loss %.3f", r.Step.Loss))
	}
	if n := len(r.Epochs); n > 0 {
		parts = append(parts, fmt.Sprintf("val acc %.1f%%", r.Epochs[n-1].ValAcc))
	}
	if ips := r.ImagesPerSecond(); ips > 0 {
		parts = append(parts, fmt.Sprintf("%.0f img/s", ips))
	}
	if r.Mem > 0 {
		parts = append(parts, fmt.Sprintf("%.0f MB", float64(r.Mem)/(1<<20)))
	}
	if r.Started != nil && r.Started.Backend != "" {
		// Which kernels ran (e.g. "go-wasm/wasm-simd128 worker", or the
		// native server's), so a reader can tell why speeds differ.
		parts = append(parts, r.Started.Backend)
	}
	return strings.Join(parts, " · ")
}

// TauText is a run's Kendall tau (or what stands in for it).
func (r *Run) TauText() string {
	switch {
	case r.Done != nil && r.HasTruth():
		s := "Kendall τ = " + tauCI(r.Done)
		// The part of the ranking that counting convolutions cannot
		// explain: tau among cells with the same number of convolutions.
		if w := r.Done.WithinConvs; w != nil && !math.IsNaN(w.Tau) {
			s += fmt.Sprintf(" · within equal conv counts τ = %.2f [%.2f, %.2f] (%d groups)", w.Tau, w.CI.Lo, w.CI.Hi, w.Groups)
		}
		return s
	case r.Done != nil:
		return "done (no ground truth: τ unknown)"
	case len(r.Ranked) > 0 && r.HasTruth():
		return fmt.Sprintf("τ so far %.3f", r.Tau)
	}
	return ""
}

// ProgressPct is the run's progress for a progress bar.
func (r *Run) ProgressPct() string { return fmt.Sprintf("%.1f%%", 100*r.TimeProgress()) }

// ProgressStyle is the style attribute of the run's progress bar.
func (r *Run) ProgressStyle() string {
	return fmt.Sprintf("width:%s;background:%s", r.ProgressPct(), r.Color)
}

// SwatchStyle colours a run's name.
func (r *Run) SwatchStyle() string { return "border-left:6px solid " + r.Color }

// figure is a chart with its table: the table is read by screen readers
// always and shown to everyone when tables is set ("Tables" button).
func figure(svg, table string, tables bool) string {
	cls := "sr-only"
	if tables {
		cls = "table-alt"
	}
	return `<figure>` + svg + `<div class="` + cls + `">` + table + `</div></figure>`
}

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// LossChart is the training loss of every run.
func (c *Root) LossChart() string { return c.curveChart("Training loss", "loss", false) }

// AccChart is the training accuracy of every run.
func (c *Root) AccChart() string { return c.curveChart("Training accuracy", "accuracy (%)", true) }

func (c *Root) curveChart(title, ylabel string, acc bool) string {
	var ss []Series
	var rows [][]string
	for _, r := range c.Runs {
		s := Series{Name: r.Label(), Color: r.Color}
		for _, p := range r.Points {
			s.X = append(s.X, float64(p.Step))
			v := p.Loss
			if acc {
				v = p.Acc
			}
			s.Y = append(s.Y, v)
		}
		ss = append(ss, s)
		for _, e := range r.Epochs {
			v := e.TrainLoss
			if acc {
				v = e.TrainAcc
			}
			rows = append(rows, []string{r.Label(), fmt.Sprint(e.Epoch + 1), f3(v)})
		}
	}
	return figure(LineChart(Axis{Title: title, XLabel: "training step", YLabel: ylabel}, ss),
		Table(title+" per epoch", []string{"run", "epoch", ylabel}, rows), c.ShowTables)
}

// ValChart is the supernet's validation accuracy per epoch.
func (c *Root) ValChart() string {
	var ss []Series
	var rows [][]string
	for _, r := range c.Runs {
		s := Series{Name: r.Label(), Color: r.Color}
		for _, e := range r.Epochs {
			s.X = append(s.X, float64(e.Epoch+1))
			s.Y = append(s.Y, e.ValAcc)
			rows = append(rows, []string{r.Label(), fmt.Sprint(e.Epoch + 1), f1(e.ValAcc)})
		}
		ss = append(ss, s)
	}
	return figure(LineChart(Axis{Title: "Validation accuracy (random paths)", XLabel: "epoch", YLabel: "accuracy (%)", IntX: true}, ss),
		Table("Validation accuracy per epoch", []string{"run", "epoch", "accuracy (%)"}, rows), c.ShowTables)
}

// GVChart shows the gradient variance as the theory means it, at fixed
// weights (the probe at each epoch's end: the spread of the estimator the
// run trains with around the uniform-average gradient, beside uniform
// sampling's at the same weights). DriftChart keeps the older figure.
func (c *Root) GVChart() string {
	var ss []Series
	var rows [][]string
	// A log axis needs positive values; the probe subtracts the noise of
	// its own estimate, so a small figure can come out at or below 0.
	const floor = 1e-12
	pos := func(v float64) float64 { return max(v, floor) }
	for _, r := range c.Runs {
		s := Series{Name: r.Label(), Color: r.Color}
		u := Series{Name: r.Label() + ": uniform at the same weights", Color: "#999999"}
		unbiased := r.Started != nil && r.Started.Config.Sampler.Unbiased
		for _, e := range r.Epochs {
			g := e.GVFixed
			if g == nil {
				continue
			}
			own, name := g.Unweighted, "unweighted (as trained)"
			if unbiased {
				own, name = g.Weighted, "importance-weighted (as trained)"
			}
			x := float64(e.Epoch + 1)
			s.X, s.Y = append(s.X, x), append(s.Y, pos(own))
			u.X, u.Y = append(u.X, x), append(u.Y, pos(g.Uniform))
			rows = append(rows, []string{r.Label(), fmt.Sprint(e.Epoch + 1), name, fmt.Sprintf("%.3g", own),
				fmt.Sprintf("%.3g", g.Weighted), fmt.Sprintf("%.3g", g.Uniform), fmt.Sprint(g.Draws)})
		}
		ss = append(ss, s)
		if r.Sampler != "uniform" && len(u.X) > 0 {
			ss = append(ss, u)
		}
	}
	return figure(LineChart(Axis{Title: "Gradient variance at fixed weights, per parameter", XLabel: "epoch", YLabel: "variance (log)", LogY: true, IntX: true}, ss),
		Table("Gradient variance at fixed weights (per parameter)", []string{"run", "epoch", "estimator", "as trained", "importance-weighted", "uniform sampling", "draws"}, rows), c.ShowTables)
}

// DriftChart is the figure the page showed as "gradient variance" before,
// under its honest name: the spread of the successive training gradients
// around their mean over an epoch.
func (c *Root) DriftChart() string {
	const floor = 1e-12
	pos := func(v float64) float64 { return max(v, floor) }
	var ss []Series
	var rows [][]string
	for _, r := range c.Runs {
		s := Series{Name: r.Label(), Color: r.Color}
		for _, e := range r.Epochs {
			d, dp := e.Drift, e.DriftPerParam
			if d == 0 && dp == 0 { // events written before the field was renamed
				d, dp = e.GV, e.GVPerParam
			}
			s.X = append(s.X, float64(e.Epoch+1))
			s.Y = append(s.Y, pos(dp))
			rows = append(rows, []string{r.Label(), fmt.Sprint(e.Epoch + 1), fmt.Sprintf("%.3g", d), fmt.Sprintf("%.3g", dp)})
		}
		ss = append(ss, s)
	}
	return figure(LineChart(Axis{Title: "Gradient drift across an epoch, per parameter", XLabel: "epoch", YLabel: "spread (log)", LogY: true, IntX: true}, ss),
		Table("Gradient drift across an epoch", []string{"run", "epoch", "drift", "drift per parameter"}, rows), c.ShowTables)
}

// RankChart is predicted vs ground-truth accuracy with Kendall tau.
func (c *Root) RankChart() string {
	title := "Ranking: supernet vs ground truth"
	truth, ranked := false, false
	for _, r := range c.Runs {
		truth = truth || r.HasTruth()
		ranked = ranked || len(r.Ranked) > 0
	}
	if !ranked {
		truth = c.HaveTruth() // nothing ranked yet: say what will be compared
	}
	if !truth {
		title = "Ranking: supernet accuracy (no ground truth)"
	}
	var rows [][]string
	for _, r := range c.Runs {
		for _, p := range r.Ranked {
			t := "–"
			if p.Truth >= 0 {
				t = f1(p.Truth)
			}
			rows = append(rows, []string{r.Label(), p.Arch, f1(p.Pred), t})
		}
	}
	var base []run.Baseline
	for _, r := range c.Runs {
		if r.Done != nil && len(r.Done.Baselines) > 0 && base == nil {
			base = r.Done.Baselines
		}
	}
	return figure(Scatter(title, c.Runs, base), Table("Architectures ranked", []string{"run", "architecture", "supernet acc (%)", "ground truth (%)"}, rows), c.ShowTables)
}

// PathChart is a run's path distribution over the ops, per edge of its
// space.
func (r *Run) PathChart(tables bool) string {
	sp := r.Space()
	p := uniformRows(sp)
	ep := "start"
	if n := len(r.Epochs); n > 0 {
		p = probRows(sp, r.Epochs[n-1].PathProbs)
		ep = fmt.Sprintf("after epoch %d", r.Epochs[n-1].Epoch+1)
	}
	var rows [][]string
	for e := range p {
		row := []string{edgeName(sp, e)}
		for o := range p[e] {
			row = append(row, fmt.Sprintf("%.1f%%", 100*p[e][o]))
		}
		rows = append(rows, row)
	}
	head := append([]string{"edge"}, opLabels(sp)...)
	return figure(PathBars("Path distribution per edge ("+ep+")", sp, p), Table("Probability of each op per edge", head, rows), tables)
}

// PathHistoryChart is how a run's path distribution moved over the
// epochs.
func (r *Run) PathHistoryChart(tables bool) string {
	sp := r.Space()
	var probs [][][]float64
	row := []string{"0 (start)"}
	for _, m := range meanOverEdges(sp, uniformRows(sp)) {
		row = append(row, fmt.Sprintf("%.1f%%", 100*m))
	}
	rows := [][]string{row}
	for _, e := range r.Epochs {
		probs = append(probs, e.PathProbs)
		row := []string{fmt.Sprint(e.Epoch + 1)}
		for _, m := range meanOverEdges(sp, e.PathProbs) {
			row = append(row, fmt.Sprintf("%.1f%%", 100*m))
		}
		rows = append(rows, row)
	}
	head := append([]string{"epoch"}, opLabels(sp)...)
	return figure(PathHistory("Path distribution over epochs", sp, probs), Table("Probability of each op (mean over edges) after each epoch", head, rows), tables)
}

// LegendTau is a run's Kendall tau for a chart legend.
func (r *Run) LegendTau() string {
	switch {
	case len(r.Ranked) == 0:
		return ""
	case !r.HasTruth():
		return "(τ unknown)"
	case r.Done != nil:
		return "τ = " + tauCI(r.Done)
	}
	return fmt.Sprintf("τ so far %.3f", r.Tau)
}

// tauCI is a finished run's tau with its 95% interval when there is one.
func tauCI(d *run.Done) string {
	s := fmt.Sprintf("%.3f", d.Tau)
	if d.TauCI != nil {
		s += fmt.Sprintf(" [%.2f, %.2f]", d.TauCI.Lo, d.TauCI.Hi)
	}
	return s
}

// BaselineNote is the free proxies' taus on the ranked architectures
// (from the first finished run that has them): what a supernet must beat.
func (c *Root) BaselineNote() string {
	for _, r := range c.Runs {
		if r.Done == nil || len(r.Done.Baselines) == 0 {
			continue
		}
		var parts []string
		for _, b := range r.Done.Baselines {
			parts = append(parts, fmt.Sprintf("%s τ = %.2f [%.2f, %.2f]", baselineName(b.Name), b.Tau, b.CI.Lo, b.CI.Hi))
		}
		return "Free baselines (no training): " + strings.Join(parts, ", ") + ". A supernet must beat these to be worth training. Brackets: 95% intervals over the ranked architectures."
	}
	return ""
}

func baselineName(n string) string {
	switch n {
	case "params":
		return "parameters"
	case "flops":
		return "FLOPs"
	case "convs":
		return "convolutions"
	}
	return n
}

// CellChart is the cell of the run's space with the last sampled path.
func (r *Run) CellChart() string {
	sp := r.Space()
	ops := make([]int, sp.NumEdges()) // all "none" until a step arrives
	arch := "none yet"
	if r.Step != nil {
		copy(ops, r.Step.Ops)
		arch = r.Step.Arch
	}
	svg := CellDAG("Cell: the path just trained", sp, ops)
	var rows [][]string
	for e, o := range ops {
		rows = append(rows, []string{edgeName(sp, e), opShort(sp, o)})
	}
	return `<figure>` + svg + `<figcaption class="arch">` + esc(arch) + `</figcaption>` +
		`<div class="sr-only">` + Table("Op on each edge of the path just trained", []string{"edge", "op"}, rows) + `</div></figure>`
}

// DataChart is the data sampler's weights: a histogram and the examples
// drawn most and least.
func (r *Run) DataChart(tables bool) string {
	n := len(r.Epochs)
	if n == 0 || r.Epochs[n-1].Data == nil {
		return `<figure>` + Histogram("Data importance", nil) + `<p class="sr-only">Uniform data sampling: every example is equally likely.</p></figure>`
	}
	s := r.Epochs[n-1].Data
	var b strings.Builder
	b.WriteString(Histogram(fmt.Sprintf("Data importance (after epoch %d)", r.Epochs[n-1].Epoch+1), s))
	thumbs := func(title string, ids []int) {
		fmt.Fprintf(&b, `<div class="thumbs"><span>%s</span>`, esc(title))
		for i, id := range ids {
			if i >= 8 {
				break
			}
			src := Thumbnail(r.Thumbs[id], r.TC, r.TH, r.TW)
			label := fmt.Sprintf("example %d", id)
			if c := r.className(id); c != "" {
				label += ": " + c
			}
			if src != "" {
				fmt.Fprintf(&b, `<img src="%s" alt="%s" title="%s" width="40" height="40"/>`, src, esc(label), esc(label))
			}
		}
		b.WriteString(`</div>`)
	}
	thumbs("sampled most", s.Top)
	thumbs("sampled least", s.Bottom)
	var rows [][]string
	for i, c := range s.Counts {
		rows = append(rows, []string{fmt.Sprintf("%.3g – %.3g", s.Edges[i], s.Edges[i+1]), fmt.Sprint(c)})
	}
	return figure(b.String(), Table("Examples per sampling weight N·q", []string{"N·q", "examples"}, rows)+
		Table("Most and least sampled", []string{"most (id, class)", "least (id, class)"}, r.pairRows(s.Top, s.Bottom)), tables)
}

// className names example id's class, from the labels the worker sent and
// the names in the Started event ("" when either is missing).
func (r *Run) className(id int) string {
	l, ok := r.Labels[id]
	if !ok || r.Started == nil || l < 0 || l >= len(r.Started.Classes) {
		return ""
	}
	return r.Started.Classes[l]
}

func (r *Run) pairRows(top, bottom []int) [][]string {
	name := func(id int) string {
		if c := r.className(id); c != "" {
			return fmt.Sprintf("%d (%s)", id, c)
		}
		return fmt.Sprint(id)
	}
	var rows [][]string
	for i := 0; i < max(len(top), len(bottom)); i++ {
		var a, b string
		if i < len(top) {
			a = name(top[i])
		}
		if i < len(bottom) {
			b = name(bottom[i])
		}
		rows = append(rows, []string{a, b})
	}
	return rows
}

// Summary is the race's result in words.
func (c *Root) Summary() string {
	var done []*Run
	for _, r := range c.Runs {
		if r.Done != nil {
			done = append(done, r)
		}
	}
	if len(done) == 0 || len(done) < len(c.Runs) {
		return ""
	}
	if !done[0].HasTruth() {
		return "Both supernets are trained and ranked. Without a ground-truth table the page cannot say which ranks better; the scatter shows how each spreads the architectures."
	}
	return c.Verdict() // seeds.go: a winner only beyond the noise
}

// TruthNote says what the ground-truth table is worth, from the first run
// that reported one: a table is a measurement too, and its own seeds set
// the Kendall tau that any supernet can hope for.
func (c *Root) TruthNote() string {
	for _, r := range c.Runs {
		if r.Started == nil || r.Started.Truth == nil {
			continue
		}
		t := r.Started.Truth
		s := TauMeaning + " " + fmt.Sprintf("Ground truth: %d architectures trained stand-alone; %d of the %d ranked here are among them.", t.Rows, t.Known, r.Started.Archs)
		if t.SeedTau > 0 {
			s += fmt.Sprintf(" Trained twice with different seeds, %d of them come out ordered with τ = %.2f, so even a perfect supernet would score only about τ = %.2f against this table.", t.Doubly, t.SeedTau, t.Ceiling)
		}
		if w := c.Showed(); w != "" {
			s += " " + w
		}
		return s
	}
	return ""
}

// RunStats are one run's numbers for tests and measurements.
type RunStats struct {
	Sampler         string  `json:"sampler"`
	Status          string  `json:"status"`
	Steps           int     `json:"steps"` // the latest step number
	StepEvents      int     `json:"step_events"`
	Epochs          int     `json:"epochs"`
	Ranked          int     `json:"ranked"`
	Tau             float64 `json:"tau"`
	TauLo           float64 `json:"tau_lo"` // the finished run's 95% interval (0, 0 without one)
	TauHi           float64 `json:"tau_hi"`
	Done            bool    `json:"done"`
	FirstStep       float64 `json:"first_step_s"` // page seconds at the first step event
	ImagesPerSecond float64 `json:"images_per_s"`
	MemMB           float64 `json:"mem_mb"`
	Err             string  `json:"error,omitempty"`
}

// Stats are the runs' numbers.
func (c *Root) Stats() []RunStats {
	var out []RunStats
	for _, r := range c.Runs {
		s := RunStats{Sampler: r.Sampler, Status: r.Status, StepEvents: len(r.Points), Epochs: len(r.Epochs),
			Ranked: len(r.Ranked), Tau: r.Tau, Done: r.Done != nil, FirstStep: r.FirstStep,
			ImagesPerSecond: r.ImagesPerSecond(), MemMB: float64(r.Mem) / (1 << 20), Err: r.Err}
		if r.Step != nil {
			s.Steps = r.Step.Step
		}
		if r.Done != nil && r.Done.TauCI != nil {
			s.TauLo, s.TauHi = r.Done.TauCI.Lo, r.Done.TauCI.Hi
		}
		out = append(out, s)
	}
	return out
}

// NativeInfo is the answer of the native server's health probe.
type NativeInfo struct {
	Checked bool   // a probe has finished
	OK      bool   // the server answered
	Cores   int    // its cores
	Backend string // its compute backend ("cpu")
	Err     string // why it is not reachable
}

// BackendNote is the line next to the backend switch.
func (c *Root) BackendNote() string {
	n := c.Native
	switch {
	case !n.Checked:
		return "looking for a native server…"
	case n.OK:
		return fmt.Sprintf("native server ready: %d cores, %s backend", n.Cores, n.Backend)
	case c.State.Backend == "native":
		return "no native server answers (" + n.Err + "): runs will train in this tab. Start one with: go run ./serve"
	}
	return "no native server (start one with: go run ./serve)"
}

// UseNative reports whether a race started now trains on the native
// server: it was chosen and it answered.
func (c *Root) UseNative() bool { return c.State.Backend == "native" && c.Native.OK }

// SetBackend switches where the next race trains and probes the server.
func (c *Root) SetBackend(b string) {
	c.Set("backend", b)
	c.race.probe(c)
}

// SetBool sets a checkbox control.
func (c *Root) SetBool(key string, on bool) {
	v := "0"
	if on {
		v = "1"
	}
	c.Set(key, v)
}

// PauseLabel is the label of the pause button.
func (c *Root) PauseLabel() string {
	if c.Paused {
		return "▶ Resume"
	}
	return "❚❚ Pause"
}

// PageClass marks the embedded layout, the theme and large text.
func (c *Root) PageClass() string {
	var cls []string
	if c.State.Embed {
		cls = append(cls, "embed")
	}
	if c.State.Theme != "" {
		cls = append(cls, "theme-"+c.State.Theme)
	}
	if c.State.Big {
		cls = append(cls, "big")
	}
	if c.Replaying() {
		cls = append(cls, "replay")
	}
	return strings.Join(cls, " ")
}

// Key handles a key pressed outside the text fields: Space starts or
// pauses, the right arrow steps, R resets, ? toggles the help. It reports
// whether the key was one of them.
func (c *Root) Key(k string) bool {
	if c.Replaying() && k != "?" {
		return false
	}
	switch k {
	case " ":
		switch {
		case c.Confirm:
		case c.Running():
			c.TogglePause()
		default:
			c.Race()
		}
	case "ArrowRight":
		if c.Running() && !c.race.native {
			c.Step()
		}
	case "r", "R":
		c.Reset()
	case "?":
		c.Help = !c.Help
	default:
		return false
	}
	return true
}

// ThemeLabel is the label of the theme button: what the page follows now.
func (c *Root) ThemeLabel() string {
	switch c.State.Theme {
	case "dark":
		return "◐ Dark"
	case "light":
		return "◐ Light"
	}
	return "◐ Auto theme"
}

// CycleTheme goes auto → dark → light → auto.
func (c *Root) CycleTheme() {
	next := map[string]string{"": "dark", "dark": "light", "light": ""}[c.State.Theme]
	c.Set("theme", next)
}

// BigLabel is the label of the large-text button.
func (c *Root) BigLabel() string {
	if c.State.Big {
		return "A− Normal text"
	}
	return "A+ Large text"
}

// KernelNote says why the same run gives slightly different numbers in
// the tab and on the native server.
const KernelNote = "The tab and the native server run the same Go code and the same seeded draws, but not the same matrix kernels " +
	"(plain Go in WebAssembly, AVX2 natively): they add the same products in a different order, so float32 rounding differs " +
	"in the last digits, and over thousands of steps the losses and τ drift apart slightly. Each is reproducible on its own."

// ErrText is a run's error, naming the config field when there is one.
func (r *Run) ErrText() string {
	if r.Field != "" && !strings.Contains(r.Err, r.Field) {
		return r.Field + ": " + r.Err
	}
	return r.Err
}

// TablesLabel is the label of the tables button.
func (c *Root) TablesLabel() string {
	if c.ShowTables {
		return "Hide tables"
	}
	return "Show tables"
}
