package stat_test

import (
	"fmt"

	"pada/core/rank/stat"
)

// Supernet accuracies against stand-alone ones for five architectures,
// with a tie on each side.
func ExampleKendallTau() {
	pred := []float64{61.2, 58.0, 58.0, 70.1, 40.3}
	truth := []float64{91.5, 90.2, 92.0, 93.4, 92.0}
	fmt.Printf("tau-b %.4f\n", stat.KendallTau(pred, truth))
	fmt.Printf("rho   %.4f\n", stat.Spearman(pred, truth))
	// Output:
	// tau-b 0.2222
	// rho   0.2895
}

// Tau within groups of equal convolution count: the prediction orders the
// 2-conv cells rightly (tau 1) and the 4-conv cells backwards (tau -1),
// but puts every 4-conv cell above every 2-conv one. The overall tau of
// 0.556 comes from telling the groups apart; within them nothing is left.
func ExampleWithinTau() {
	convs := []int{2, 2, 2, 2, 2, 4, 4, 4, 4, 4}
	truth := []float64{80, 81, 82, 83, 84, 85, 86, 87, 88, 89}
	pred := []float64{1, 2, 3, 4, 5, 10, 9, 8, 7, 6}
	w := stat.WithinTau(pred, truth, convs)
	fmt.Printf("overall %.3f, within %.3f over %d groups (%d pairs)\n", stat.KendallTau(pred, truth), w.Tau, w.Groups, w.Pairs)
	// Output:
	// overall 0.556, within 0.000 over 2 groups (20 pairs)
}
