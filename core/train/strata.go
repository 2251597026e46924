package train

import (
	"sort"

	"pada/core/groundtruth"
	"pada/core/space"
)

// Stratified picks k architectures from a ground-truth table that cover
// its accuracy range evenly: the table's isomorphism classes sorted by
// accuracy (ties by architecture index, so the choice is fixed) and k of
// them at evenly spaced ranks, the worst and the best included. A seeded
// sample of a few dozen classes often misses the tails, and Kendall tau
// on a narrow band of accuracies is mostly the table's own noise; an even
// spread keeps the ranking's signal. It returns every class when k is at
// least their number, and nil for a nil table.
func Stratified(t *groundtruth.Table, k int) []space.Arch {
	if t == nil || k < 1 {
		return nil
	}
	rows := t.Unique()
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Acc != rows[j].Acc {
			return rows[i].Acc < rows[j].Acc
		}
		return rows[i].Arch.Index() < rows[j].Arch.Index()
	})
	n := len(rows)
	k = min(k, n)
	out := make([]space.Arch, 0, k)
	if k == 1 {
		return append(out, rows[n/2].Arch)
	}
	for i := range k {
		out = append(out, rows[i*(n-1)/(k-1)].Arch)
	}
	return out
}
