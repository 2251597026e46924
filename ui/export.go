package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"pada/core/run"
)

// ExportVersion marks the page's run JSON (a tab run; a native run's JSON
// comes from the server's /api/runs/{id}/export).
const ExportVersion = "pada-page-1"

// Exports are the files a run can be saved as, by the name of the button
// that saves it: each has a file name suffix and a MIME type.
var Exports = []struct{ Kind, Label, Suffix, MIME, API string }{
	{"json", "Run (JSON)", ".json", "application/json", "export"},
	{"metrics", "Metrics (CSV)", "-metrics.csv", "text/csv", "metrics.csv"},
	{"ranking", "Ranking (CSV)", "-ranking.csv", "text/csv", "ranking.csv"},
	{"weights", "Weights (.npz)", "-weights.npz", "application/octet-stream", "weights.npz"},
}

// FileName is the download name of a run's export kind.
func (r *Run) FileName(kind string) string {
	for _, e := range Exports {
		if e.Kind == kind {
			return "pada-" + r.Sampler + "-seed" + strconv.FormatUint(r.seed(), 10) + e.Suffix
		}
	}
	return "pada-" + r.Sampler
}

func (r *Run) seed() uint64 {
	if r.Started != nil {
		return r.Started.Config.Seed
	}
	return r.Config.Seed
}

// exportRun is the run JSON a tab run saves: what the native server's
// export holds (the config and seed, the results, the ranking rows, every
// event) for a run that no server stored.
type exportRun struct {
	Version string      `json:"version"`
	Run     exportHead  `json:"run"`
	Results *run.Done   `json:"results"` // null until the run is done
	Ranking []rankRow   `json:"ranking"`
	Events  []run.Event `json:"events"`
}

type exportHead struct {
	Sampler string     `json:"sampler"`
	Label   string     `json:"label"`
	Backend string     `json:"backend"`
	State   string     `json:"state"`
	Error   string     `json:"error,omitempty"`
	Seed    uint64     `json:"seed"`
	Config  run.Config `json:"config"`
}

type rankRow struct {
	Arch  string   `json:"arch"`
	Pred  float64  `json:"predicted_acc"`
	Truth *float64 `json:"truth_acc"` // null when unknown
}

// JSON is the whole run as one JSON document.
func (r *Run) JSON() ([]byte, error) {
	cfg := r.Config
	if r.Started != nil {
		cfg = r.Started.Config
	}
	e := exportRun{Version: ExportVersion, Results: r.Done, Ranking: []rankRow{}, Events: r.Events,
		Run: exportHead{Sampler: r.Sampler, Label: r.Label(), Backend: "tab", State: r.Status, Error: r.Err, Seed: cfg.Seed, Config: cfg}}
	if e.Events == nil {
		e.Events = []run.Event{}
	}
	for _, p := range r.Ranked {
		row := rankRow{Arch: p.Arch, Pred: p.Pred}
		if p.Truth >= 0 {
			t := p.Truth
			row.Truth = &t
		}
		e.Ranking = append(e.Ranking, row)
	}
	return json.MarshalIndent(e, "", " ")
}

func g(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// MetricsCSV is one row per finished epoch, with the native server's
// columns (epoch is 0-based, as in the events).
func (r *Run) MetricsCSV() string {
	var b strings.Builder
	b.WriteString("epoch,train_loss,train_acc,val_acc,gv,gv_per_param,seconds\n")
	for _, e := range r.Epochs {
		b.WriteString(strings.Join([]string{strconv.Itoa(e.Epoch), g(e.TrainLoss), g(e.TrainAcc), g(e.ValAcc), g(e.GV), g(e.GVPerParam), g(e.Seconds)}, ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// RankingCSV is one row per ranked architecture, as `serve train` writes
// ranking.csv (the truth empty where unknown).
func (r *Run) RankingCSV() string {
	var b strings.Builder
	b.WriteString("arch,predicted_acc,truth_acc\n")
	for _, p := range r.Ranked {
		t := ""
		if p.Truth >= 0 {
			t = strconv.FormatFloat(p.Truth, 'f', 4, 64)
		}
		b.WriteString(csvField(p.Arch) + "," + strconv.FormatFloat(p.Pred, 'f', 4, 64) + "," + t + "\n")
	}
	return b.String()
}

// csvField quotes a field that needs it (RFC 4180).
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
