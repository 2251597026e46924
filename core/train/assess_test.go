package train

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/space"
	"pada/core/supernet"
)

// TestBaselinesAgainstSciPy: the free baselines' tau on the shipped mini
// table (all 500 classes) equal scipy.stats.kendalltau of the table's own
// params and flops columns and of the convolution count, and the proxies
// agree with the table's columns.
func TestBaselinesAgainstSciPy(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import scipy.stats").Run(); err != nil {
		if os.Getenv("PADA_REQUIRE_REFS") != "" {
			t.Fatalf("SciPy is needed (apt-get install python3-scipy): %v", err)
		}
		t.Skip("SciPy not installed")
	}
	f, err := os.Open("../../public/data/" + groundtruth.DefaultFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table, err := groundtruth.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	net, err := supernet.New(space.Mini, nn.NewCPU(1))
	if err != nil {
		t.Fatal(err)
	}
	var archs []space.Arch
	var truth, pred []float64
	cols := map[string][]float64{}
	for i, r := range table.Rows {
		archs = append(archs, r.Arch)
		truth = append(truth, r.Acc)
		pred = append(pred, float64(i%17)) // any prediction: the baselines do not read it
		cols["params"] = append(cols["params"], float64(r.Params))
		cols["flops"] = append(cols["flops"], r.FLOPs)
		cols["convs"] = append(cols["convs"], float64(Convs(r.Arch)))
	}
	px := ProxiesOf(net, archs)
	for i, p := range px {
		if float64(p.Params) != cols["params"][i] || p.FLOPs != cols["flops"][i] {
			t.Fatalf("%s: proxies %+v, table params %v flops %v", archs[i], p, cols["params"][i], cols["flops"][i])
		}
	}
	a := Assess(pred, truth, px, 0)
	in, _ := json.Marshal(map[string]any{"truth": truth, "cols": cols})
	cmd := exec.Command(python, "-c", `
import json, sys
from scipy.stats import kendalltau
d = json.load(sys.stdin)
print(json.dumps({k: float(kendalltau(v, d["truth"])[0]) for k, v in d["cols"].items()}))`)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if len(a.Baselines) != 3 {
		t.Fatalf("baselines %+v", a.Baselines)
	}
	for _, b := range a.Baselines {
		if math.Abs(b.Tau-want[b.Name]) > 1e-12 {
			t.Errorf("%s: tau %v, SciPy %v", b.Name, b.Tau, want[b.Name])
		}
		if !b.CI.Contains(b.Tau) {
			t.Errorf("%s: tau %v outside its interval %+v", b.Name, b.Tau, b.CI)
		}
		t.Logf("%s: tau %.4f [%.3f, %.3f]", b.Name, b.Tau, b.CI.Lo, b.CI.Hi)
	}
	if a.WithinConvs == nil || a.WithinParams == nil || a.WithinParams.Groups <= a.WithinConvs.Groups {
		t.Errorf("within: convs %+v, params %+v", a.WithinConvs, a.WithinParams)
	}
	var csv strings.Builder
	if err := WriteRanking(&csv, space.NB201Cell, archs[:2], pred[:2], []float64{truth[0], -1}, px[:2]); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(csv.String(), "\n")
	f2 := strings.Split(lines[2], ",")
	if lines[0] != "arch,predicted_acc,truth_acc,params,flops,convs" || len(f2) != 6 || f2[2] != "" ||
		f2[3] != strconv.Itoa(px[1].Params) || f2[5] != strconv.Itoa(px[1].Convs) {
		t.Errorf("CSV:\n%s", csv.String())
	}
}

// TestWriteRankingSpaceForm: the ranking CSV writes each architecture in
// its own space's string form (an nb201-small cell is not written as the
// NB201 cell it fits in), so that the space parses it back.
func TestWriteRankingSpaceForm(t *testing.T) {
	sp := space.NB201SmallCell
	archs := sp.All()[:3]
	var csv strings.Builder
	px := make([]Proxy, len(archs))
	if err := WriteRanking(&csv, sp, archs, []float64{50, 60, 70}, []float64{-1, 80, 90}, px); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")[1:]
	for i, l := range lines {
		s := strings.Split(l, ",")[0]
		a, err := sp.Parse(s)
		if err != nil || a != archs[i] {
			t.Errorf("row %d: %q parses as %v, %v; want %v", i, s, a, err, archs[i])
		}
		if strings.Count(s, "+") != sp.Nodes()-2 {
			t.Errorf("row %d: %q has %d node groups, want %d", i, s, strings.Count(s, "+")+1, sp.Nodes()-1)
		}
	}
}
