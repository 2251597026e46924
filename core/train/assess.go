package train

import (
	"fmt"
	"io"
	"math"
	"strings"

	"pada/core/groundtruth"
	"pada/core/rank/stat"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// Proxy is what an architecture costs, known without training it: the
// free baselines rank by it.
type Proxy struct {
	Params int     // parameters of its stand-alone network
	FLOPs  float64 // multiply-accumulates of one image (groundtruth.FLOPs)
	Convs  int     // convolutions among the cell's edges
}

// ProxiesOf returns the proxies of archs on net's shape.
func ProxiesOf(net *supernet.Net, archs []space.Arch) []Proxy {
	out := make([]Proxy, len(archs))
	for i, a := range archs {
		out[i] = Proxy{Params: net.ParamCount(a), FLOPs: groundtruth.FLOPsIn(net.Space(), net.Shape(), a), Convs: ConvsIn(net.Space(), a)}
	}
	return out
}

// Convs is the number of convolutions among the edges of NB201
// architecture a (ConvsIn with space.NB201Cell).
func Convs(a space.Arch) int { return ConvsIn(space.NB201Cell, a) }

// ConvsIn is the number of ops with weights (the convolutions) among the
// edges of a, an architecture of sp.
func ConvsIn(sp *space.Space, a space.Arch) int {
	n := 0
	for _, op := range a[:sp.NumEdges()] {
		if sp.HasParams(op) {
			n++
		}
	}
	return n
}

// Assess scores a ranking beyond its tau (run.Assessment): pred and truth
// per architecture (truth < 0: unknown, left out), proxies for the same
// architectures, seed for the bootstrap.
func Assess(pred, truth []float64, px []Proxy, seed uint64) run.Assessment {
	var p, t, params, flops, convs []float64
	var convKey, paramKey []int
	for i, v := range pred {
		if truth[i] < 0 {
			continue
		}
		p, t = append(p, v), append(t, truth[i])
		params = append(params, float64(px[i].Params))
		flops = append(flops, px[i].FLOPs)
		convs = append(convs, float64(px[i].Convs))
		convKey = append(convKey, px[i].Convs)
		paramKey = append(paramKey, px[i].Params)
	}
	var a run.Assessment
	if len(p) < 3 {
		return a
	}
	b := stat.Bootstrap{Seed: seed}
	if iv := stat.TauInterval(p, t, b); finite(iv.Lo, iv.Hi) {
		a.TauCI = &iv
	}
	for _, c := range []struct {
		name string
		v    []float64
	}{{"params", params}, {"flops", flops}, {"convs", convs}} {
		tau := stat.KendallTau(c.v, t)
		iv := stat.TauInterval(c.v, t, b)
		d := stat.PairedTauDiff(p, c.v, t, b)
		if finite(tau, iv.Lo, iv.Hi, d.Delta, d.CI.Lo, d.CI.Hi) {
			a.Baselines = append(a.Baselines, run.Baseline{Name: c.name, Tau: tau, CI: iv, VsSupernet: d})
		}
	}
	within := func(key []int) *run.WithinTau {
		w := stat.WithinTau(p, t, key)
		iv := stat.WithinInterval(p, t, key, b)
		if !finite(w.Tau, iv.Lo, iv.Hi) {
			return nil
		}
		return &run.WithinTau{Within: w, CI: iv}
	}
	a.WithinConvs = within(convKey)
	a.WithinParams = within(paramKey)
	return a
}

func finite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// WriteRanking writes a ranking as CSV: arch (in the string form of its
// space sp), predicted and ground-truth accuracy (empty when unknown), and
// the architecture's proxies.
func WriteRanking(w io.Writer, sp *space.Space, archs []space.Arch, pred, truth []float64, px []Proxy) error {
	var b strings.Builder
	b.WriteString("arch,predicted_acc,truth_acc,params,flops,convs\n")
	for i, a := range archs {
		t := ""
		if truth[i] >= 0 {
			t = fmt.Sprintf("%.4f", truth[i])
		}
		fmt.Fprintf(&b, "%s,%.4f,%s,%d,%.0f,%d\n", sp.Format(a), pred[i], t, px[i].Params, px[i].FLOPs, px[i].Convs)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatAssessment writes an assessment as the command line prints it,
// after a ranking's own tau: its interval, the free baselines and the
// within-group taus.
func FormatAssessment(w io.Writer, tau float64, a run.Assessment) {
	if a.TauCI != nil {
		fmt.Fprintf(w, "  Kendall tau %.3f, 95%% interval [%.3f, %.3f] (bootstrap over the architectures)\n", tau, a.TauCI.Lo, a.TauCI.Hi)
	}
	if len(a.Baselines) > 0 {
		fmt.Fprintf(w, "  free baselines (tau-b of ranking by a proxy; a supernet must beat these to be worth training):\n")
		for _, bl := range a.Baselines {
			fmt.Fprintf(w, "    by %-6s tau %.3f [%.3f, %.3f]; supernet minus it %+.3f [%+.3f, %+.3f]: %s\n",
				bl.Name, bl.Tau, bl.CI.Lo, bl.CI.Hi, bl.VsSupernet.Delta, bl.VsSupernet.CI.Lo, bl.VsSupernet.CI.Hi, verdictWords(bl.VsSupernet.Verdict))
		}
	}
	for _, c := range []struct {
		name string
		w    *run.WithinTau
	}{{"convolution count", a.WithinConvs}, {"parameter count", a.WithinParams}} {
		if c.w != nil {
			fmt.Fprintf(w, "  tau within groups of equal %s: %.3f [%.3f, %.3f] (%d groups of >= %d, %d architectures, weighted by pairs)\n",
				c.name, c.w.Tau, c.w.CI.Lo, c.w.CI.Hi, c.w.Groups, stat.MinGroup, c.w.Archs)
		}
	}
}

func verdictWords(v string) string {
	switch v {
	case stat.Higher:
		return "the supernet ranks better"
	case stat.Lower:
		return "the proxy ranks better"
	}
	return "within the noise"
}
