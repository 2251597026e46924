// Package stat compares a ranking with ground truth: Kendall's tau-b,
// Spearman's rho, the overlap of the top architectures, bootstrap
// intervals, differences of two rankings' tau with a verdict, and tau
// within groups of equal cost. It is pure arithmetic, so that a front end
// can use it without linking the network.
package stat

import (
	"fmt"
	"math"
	"sort"
)

// KendallTau returns Kendall's tau-b of x and y, with ties handled as
// scipy.stats.kendalltau does, in O(n log n) (Knight's algorithm). It is
// NaN when either vector is constant or shorter than 2.
func KendallTau(x, y []float64) float64 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("stat: KendallTau of lengths %d and %d", len(x), len(y)))
	}
	n := len(x)
	if n < 2 {
		return math.NaN()
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if x[i] != x[j] {
			return x[i] < x[j]
		}
		return y[i] < y[j]
	})
	// Pairs tied in x (n1) and tied in both (n3), from runs in the sort.
	var n1, n3 int64
	for i := 0; i < n; {
		j := i
		for j < n && x[idx[j]] == x[idx[i]] {
			j++
		}
		t := int64(j - i)
		n1 += t * (t - 1) / 2
		for k := i; k < j; {
			l := k
			for l < j && y[idx[l]] == y[idx[k]] {
				l++
			}
			u := int64(l - k)
			n3 += u * (u - 1) / 2
			k = l
		}
		i = j
	}
	// Sorting by y now counts the discordant pairs as the swaps a merge
	// sort makes.
	ys := make([]float64, n)
	for i, k := range idx {
		ys[i] = y[k]
	}
	swaps := mergeCount(ys, make([]float64, n))
	var n2 int64
	for i := 0; i < n; {
		j := i
		for j < n && ys[j] == ys[i] {
			j++
		}
		t := int64(j - i)
		n2 += t * (t - 1) / 2
		i = j
	}
	n0 := int64(n) * int64(n-1) / 2
	s := float64(n0 - n1 - n2 + n3 - 2*swaps)
	den := math.Sqrt(float64(n0-n1)) * math.Sqrt(float64(n0-n2))
	if den == 0 {
		return math.NaN()
	}
	return s / den
}

// mergeCount sorts v ascending and returns the number of inversions
// (pairs i < j with v[i] > v[j]).
func mergeCount(v, tmp []float64) int64 {
	n := len(v)
	if n < 2 {
		return 0
	}
	m := n / 2
	c := mergeCount(v[:m], tmp[:m]) + mergeCount(v[m:], tmp[m:])
	i, j, k := 0, m, 0
	for i < m && j < n {
		if v[j] < v[i] {
			tmp[k] = v[j]
			c += int64(m - i)
			j++
		} else {
			tmp[k] = v[i]
			i++
		}
		k++
	}
	k += copy(tmp[k:], v[i:m])
	copy(tmp[k:], v[j:n])
	copy(v, tmp[:n])
	return c
}

// ranks returns the average (fractional) ranks of v, 1-based.
func ranks(v []float64) []float64 {
	n := len(v)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, n)
	for i := 0; i < n; {
		j := i
		for j < n && v[idx[j]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}

// Spearman returns Spearman's rho (the Pearson correlation of the average
// ranks), NaN when either vector is constant.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("stat: Spearman of lengths %d and %d", len(x), len(y)))
	}
	if len(x) < 2 {
		return math.NaN()
	}
	return pearson(ranks(x), ranks(y))
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

// TopOverlap is the precision of the predicted top fraction: the share of
// the ceil(frac*n) architectures with the highest prediction that are also
// among the ceil(frac*n) with the highest truth.
func TopOverlap(pred, truth []float64, frac float64) float64 {
	n := len(pred)
	k := int(math.Ceil(frac * float64(n)))
	if k < 1 || n == 0 {
		return math.NaN()
	}
	top := func(v []float64) map[int]bool {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
		m := make(map[int]bool, k)
		for _, i := range idx[:k] {
			m[i] = true
		}
		return m
	}
	tp, tt := top(pred), top(truth)
	hit := 0
	for i := range tp {
		if tt[i] {
			hit++
		}
	}
	return float64(hit) / float64(k)
}

// MeanSD is the mean and the sample standard deviation of v (n-1 in the
// denominator): NaN for both when v is empty, sd 0 for one value.
func MeanSD(v []float64) (mean, sd float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}
