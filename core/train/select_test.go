package train

import (
	"math"
	"testing"

	"pada/core/groundtruth"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/space"
)

// SelectArchs tells a session what its table is worth: how many of the
// architectures it knows, and how well its own seeds agree.
func TestSelectArchsTruthTable(t *testing.T) {
	strs := []string{
		"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
		"|none~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
	}
	seeds := [][]float64{{90, 80}, {80, 90}, {70, 72}, {60, 59}, {50, math.NaN()}}
	var rows []groundtruth.Row
	for i, sd := range seeds {
		a, err := space.Parse(strs[i])
		if err != nil {
			t.Fatal(err)
		}
		mean := sd[0]
		if !math.IsNaN(sd[1]) {
			mean = (sd[0] + sd[1]) / 2
		}
		rows = append(rows, groundtruth.Row{Arch: a, Acc: mean, Seeds: sd})
	}
	table := groundtruth.NewTable(rows)
	// The list holds the first three rows and one architecture the table lacks.
	e := run.Eval{Split: "eval", Archs: "list", List: []string{strs[0], strs[1], strs[2], strs[5]}}
	archs, truth, err := SelectArchs(e, 0, table)
	if err != nil {
		t.Fatal(err)
	}
	if len(archs) != 4 || truth.Acc[0] != 85 || truth.Acc[3] != -1 {
		t.Fatalf("archs %d, truth %v; want 4 archs, 85 first and -1 last", len(archs), truth.Acc)
	}
	tau := rank.KendallTau([]float64{90, 80, 70, 60}, []float64{80, 90, 72, 59})
	// Four rows of two seeds and one of one: the ceiling lies between a
	// one-seed table's and a two-seed table's.
	n := groundtruth.NoiseFromTau(tau)
	want := run.TruthTable{Rows: 5, Known: 3, Doubly: 4, SeedTau: tau, Ceiling: n.CeilingRows([]int{0, 1, 4})}
	if !(want.Ceiling > n.Ceiling(1) && want.Ceiling < n.Ceiling(2)) {
		t.Errorf("ceiling %g of mixed rows outside [%g, %g]", want.Ceiling, n.Ceiling(1), n.Ceiling(2))
	}
	if truth.Table == nil || *truth.Table != want {
		t.Fatalf("table %+v, want %+v", truth.Table, want)
	}
	if !(want.Ceiling > want.SeedTau && want.Ceiling < 1) {
		t.Errorf("ceiling %g for seed tau %g: a perfect predictor should beat a second seed and not reach 1", want.Ceiling, want.SeedTau)
	}

	// Without a table there is nothing to say about one.
	if _, truth, err := SelectArchs(e, 0, nil); err != nil || truth.Table != nil || truth.Acc[0] != -1 {
		t.Errorf("no table: %+v, %v", truth, err)
	}
	// A table without two seeds has no seed-to-seed tau.
	one := groundtruth.NewTable(rows[4:])
	if _, truth, err := SelectArchs(run.Eval{Split: "eval", Archs: "truth"}, 0, one); err != nil || truth.Table.SeedTau != 0 || truth.Table.Ceiling != 0 || truth.Table.Known != 1 {
		t.Errorf("one-seed table: %+v, %v", truth.Table, err)
	}
}
