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
