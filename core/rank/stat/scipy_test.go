package stat

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
)

// TestAgainstSciPy compares with scipy.stats on random vectors with many
// ties (skipped without SciPy unless PADA_REQUIRE_REFS is set).
func TestAgainstSciPy(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import scipy.stats").Run(); err != nil {
		if os.Getenv("PADA_REQUIRE_REFS") != "" {
			t.Fatalf("SciPy is needed (apt-get install python3-scipy): %v", err)
		}
		t.Skip("SciPy not installed")
	}
	r := rand.New(rand.NewPCG(3, 3))
	type pair struct{ X, Y []float64 }
	var cases []pair
	for i := 0; i < 20; i++ {
		n := 3 + r.IntN(300)
		p := pair{make([]float64, n), make([]float64, n)}
		for j := range p.X {
			p.X[j] = float64(r.IntN(1 + i*3))
			p.Y[j] = p.X[j]*0.3 + float64(r.IntN(7))
		}
		cases = append(cases, p)
	}
	in, _ := json.Marshal(cases)
	cmd := exec.Command(python, "-c", `
import json, sys
from scipy.stats import kendalltau, spearmanr
out = []
for c in json.load(sys.stdin):
    out.append([float(kendalltau(c["X"], c["Y"])[0]), float(spearmanr(c["X"], c["Y"])[0])])
print(json.dumps(out).replace("NaN", "null"))`)
	stdin, _ := cmd.StdinPipe()
	go func() { stdin.Write(in); stdin.Close() }()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var want [][2]*float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		for k, got := range []float64{KendallTau(c.X, c.Y), Spearman(c.X, c.Y)} {
			w := want[i][k]
			if w == nil {
				if !math.IsNaN(got) {
					t.Errorf("case %d stat %d: %v, SciPy gives NaN", i, k, got)
				}
				continue
			}
			if math.Abs(got-*w) > 1e-12 {
				t.Errorf("case %d stat %d: %v, SciPy gives %v", i, k, got, *w)
			}
		}
	}
}
