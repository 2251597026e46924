package groundtruth_test

import (
	"fmt"

	"pada/core/groundtruth"
)

// Two seeds of the mini table order its architectures with Kendall tau
// 0.6314. How many seeds per architecture would a table need for 0.8, and
// what can a supernet hope to score against it?
func ExampleNoiseFromTau() {
	n := groundtruth.NoiseFromTau(0.6314)
	fmt.Printf("correlation between two seeds: %.2f\n", n.R)
	fmt.Printf("seed-to-seed tau with means of 2, 3, 4 seeds: %.2f %.2f %.2f\n", n.SeedTau(2), n.SeedTau(3), n.SeedTau(4))
	fmt.Printf("seeds for tau 0.8: %d\n", n.SeedsFor(0.8))
	fmt.Printf("best tau against 1-seed rows: %.2f\n", n.Ceiling(1))
	// Output:
	// correlation between two seeds: 0.84
	// seed-to-seed tau with means of 2, 3, 4 seeds: 0.73 0.78 0.81
	// seeds for tau 0.8: 4
	// best tau against 1-seed rows: 0.74
}
