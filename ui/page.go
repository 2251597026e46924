package ui

import (
	"fmt"
	"strconv"
	"strings"

	"pada/core/space"
)

// Fields are the page's text controls: the hash key, the label, the
// keyboard a phone shows, and a hint.
var Fields = []struct{ Key, Label, Mode, Help string }{
	{"epochs", "Epochs", "numeric", "1 to " + strconv.Itoa(MaxEpochs)},
	{"batch", "Batch", "numeric", strconv.Itoa(MinBatch) + " to " + strconv.Itoa(MaxBatch)},
	{"lr", "Learning rate", "decimal", "above 0, at most 1"},
	{"seed", "Seed", "numeric", "a whole number"},
	{"c", "Channels", "numeric", strconv.Itoa(MinChannels) + " to " + strconv.Itoa(MaxChannels)},
	{"n", "Cells/stage", "numeric", "1 to " + strconv.Itoa(MaxCells)},
	{"train", "Train images", "numeric", strconv.Itoa(MinTrain) + " to " + strconv.Itoa(MaxTrain) + ", 0 for all"},
	{"archs", "Archs ranked", "numeric", "5 to " + strconv.Itoa(MaxArchs)},
	{"evalimages", "Eval images", "numeric", strconv.Itoa(MinEvalImages) + " to " + strconv.Itoa(MaxEvalImages)},
}

// SpaceNames are the search spaces the selector offers, the default
// first.
func SpaceNames() []string { return space.Names() }

// SpaceLabel is a search space's entry in the selector.
func SpaceLabel(name string) string {
	sp, err := space.Lookup(name)
	if err != nil {
		return name
	}
	return fmt.Sprintf("%s (%d nodes, %d edges)", name, sp.Nodes(), sp.NumEdges())
}

// FieldClass marks a control whose value is wrong.
func (c *Root) FieldClass(key string) string {
	if c.Err(key) != "" {
		return "bad"
	}
	return ""
}

// BigToggle is the value the large-text button sets.
func (c *Root) BigToggle() string {
	if c.State.Big {
		return "0"
	}
	return "1"
}

// Link is the address of this page with the current settings; embed
// makes it the embedded layout's.
func (c *Root) Link(embed bool) string {
	s := c.State
	if embed {
		s.Embed, s.Big = true, false
	}
	h := s.Hash()
	if h != "" {
		h = "#" + h
	}
	return c.race.pageURL() + h
}

// FullPageLink is the embedded page's link to the whole page.
func (c *Root) FullPageLink() string {
	s := c.State
	s.Embed, s.Auto, s.Views = false, false, nil
	h := s.Hash()
	if h != "" {
		h = "#" + h
	}
	return c.race.pageURL() + h
}

// EmbedScript is the snippet beside an embedded page's iframe that sets
// the iframe's height from the page's messages ({padaHeight: px}), so
// that a reader sees all of it without an inner scrollbar.
const EmbedScript = `<script>addEventListener("message", function (e) { var f = document.getElementById("pada-race"); ` +
	`if (f && e.source === f.contentWindow && e.data && e.data.padaHeight > 0) f.style.height = Math.ceil(e.data.padaHeight) + "px"; });</script>`

// EmbedCode is the HTML a blog author pastes: the iframe and the
// snippet that sizes it.
func (c *Root) EmbedCode() string {
	return `<iframe id="pada-race" src="` + esc(c.Link(true)) + `" width="100%" height="640" style="border:0" title="PA&amp;DA race"></iframe>` + "\n" + EmbedScript
}

// CopyLink puts the page's link on the clipboard.
func (c *Root) CopyLink() { c.copy("link", c.Link(false)) }

// CopyEmbed puts the embed code on the clipboard.
func (c *Root) CopyEmbed() { c.copy("embed code", c.EmbedCode()) }

func (c *Root) copy(what, text string) {
	if c.race.copy(text) {
		c.Copied = "Copied the " + what + ": " + text
	} else {
		c.Copied = "Copy the " + what + " from here (the browser did not allow the clipboard): " + text
	}
}

// CanExport reports whether a run has something to save as kind.
func (c *Root) CanExport(r *Run, kind string) bool {
	switch kind {
	case "json":
		return len(r.Events) > 0
	case "metrics":
		return len(r.Epochs) > 0
	case "ranking":
		return len(r.Ranked) > 0
	case "weights":
		if r.Started == nil {
			return false
		}
		if r.NativeID != "" {
			// The server writes the weights when a run pauses, stops or ends.
			return r.Status == StatusPaused || r.Status == StatusDone || r.Status == StatusStopped
		}
		return r.Status != StatusStopped && r.Status != StatusError
	}
	return false
}

// Export saves one of a run's files: built here for a tab run (the
// weights by its worker), fetched from the server for a native one.
func (c *Root) Export(r *Run, kind string) {
	if !c.CanExport(r, kind) {
		return
	}
	name := r.FileName(kind)
	if r.NativeID != "" {
		for _, e := range Exports {
			if e.Kind == kind {
				c.race.downloadURL("api/runs/"+r.NativeID+"/"+e.API, name)
			}
		}
		return
	}
	switch kind {
	case "json":
		b, err := r.JSON()
		if err != nil {
			r.Weights = "could not write the JSON: " + err.Error()
			return
		}
		c.race.download(name, "application/json", string(b))
	case "metrics":
		c.race.download(name, "text/csv", r.MetricsCSV())
	case "ranking":
		c.race.download(name, "text/csv", r.RankingCSV())
	case "weights":
		for i, x := range c.Runs {
			if x == r {
				r.Weights = "the worker is writing the weights…"
				c.race.askWeights(i, name)
			}
		}
	}
}

// SaveChart saves chart id (as the page names it) as an SVG or PNG file.
func (c *Root) SaveChart(id, format string) {
	c.race.saveChart("chart-"+id, "pada-"+id+"."+format, format)
}

// ShowOverlay says whether the embedded page waits for a click to start.
func (c *Root) ShowOverlay() bool {
	return c.State.Embed && !c.State.Auto && len(c.Runs) == 0 && len(c.Errs) == 0
}

// Chart is one chart box of the page.
type Chart struct {
	ID, Class, HTML, Caption string
}

// Charts are the race's charts that the views show.
func (c *Root) Charts() []Chart {
	var out []Chart
	add := func(id string, html func() string) {
		if c.State.Shows(id) {
			out = append(out, Chart{ID: id, Class: "chart-box", HTML: html()})
		}
	}
	add("loss", c.LossChart)
	add("acc", c.AccChart)
	add("gv", c.GVChart)
	add("drift", c.DriftChart)
	add("val", c.ValChart)
	if c.State.Shows("rank") {
		note := c.TruthNote()
		if b := c.BaselineNote(); b != "" {
			note = strings.TrimSpace(b + " " + note)
		}
		out = append(out, Chart{ID: "rank", Class: "chart-box wide", HTML: c.RankChart(), Caption: note})
	}
	return out
}

// ShowsPerRun says whether any per-run view is shown.
func (c *Root) ShowsPerRun() bool {
	return c.State.Shows("cell") || c.State.Shows("paths") || c.State.Shows("data")
}

// RunCharts are run i's own charts that the views show.
func (c *Root) RunCharts(i int, r *Run) []Chart {
	var out []Chart
	n := strconv.Itoa(i)
	if c.State.Shows("cell") {
		out = append(out, Chart{ID: "cell-" + n, Class: "chart-box", HTML: r.CellChart()})
	}
	if c.State.Shows("paths") {
		out = append(out, Chart{ID: "paths-" + n, Class: "chart-box", HTML: r.PathHistoryChart(c.ShowTables)},
			Chart{ID: "edges-" + n, Class: "chart-box", HTML: r.PathChart(c.ShowTables)})
	}
	if c.State.Shows("data") {
		out = append(out, Chart{ID: "data-" + n, Class: "chart-box", HTML: r.DataChart(c.ShowTables)})
	}
	return out
}
