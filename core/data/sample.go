package data

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// stream is the PCG stream (second seed word) of Subset and Split, fixed
// so that the seed alone decides the sample.
const stream = 0x9e3779b97f4a7c15

// Subset draws perClass images of every class, uniformly without
// replacement, with a generator seeded from seed: the same set and seed give
// the same subset on every platform and Go release. The images keep their
// order in s. It is an error if a class has fewer than perClass images.
func Subset(s *Set, perClass int, seed uint64) (*Set, error) {
	if perClass < 1 {
		return nil, fmt.Errorf("data: subset of %q: %d images per class; want at least 1", s.Name, perClass)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	byClass := make([][]int, s.Classes)
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], i)
	}
	r := rand.New(rand.NewPCG(seed, stream))
	idx := make([]int, 0, perClass*s.Classes)
	for c, all := range byClass {
		if len(all) < perClass {
			return nil, fmt.Errorf("data: subset of %q: class %d has %d images; want %d", s.Name, c, len(all), perClass)
		}
		partialShuffle(r, all, perClass)
		idx = append(idx, all[:perClass]...)
	}
	slices.Sort(idx)
	return s.Select(idx), nil
}

// Split divides the indices 0..n-1 at random into a training part and a
// validation part of round(valFrac*n) indices, each in increasing order.
// The same n, valFrac and seed give the same split everywhere.
func Split(n int, valFrac float64, seed uint64) (train, val []int, err error) {
	if n < 0 {
		return nil, nil, fmt.Errorf("data: split of %d indices", n)
	}
	if !(valFrac >= 0 && valFrac < 1) { // also rejects NaN
		return nil, nil, fmt.Errorf("data: split: validation fraction %v is outside [0, 1)", valFrac)
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	nval := int(math.Round(valFrac * float64(n)))
	partialShuffle(rand.New(rand.NewPCG(seed, stream)), perm, nval)
	val, train = perm[:nval:nval], perm[nval:]
	slices.Sort(val)
	slices.Sort(train)
	return train, val, nil
}

// partialShuffle moves a uniform random choice of k elements of a, in
// random order, to a[:k] (the first k steps of a Fisher-Yates shuffle).
func partialShuffle(r *rand.Rand, a []int, k int) {
	for i := range k {
		j := i + intn(r, len(a)-i)
		a[i], a[j] = a[j], a[i]
	}
}

// intn returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method. math/rand/v2 specifies PCG's output but not
// how IntN or Shuffle consume it; drawing through this function keeps
// samples, and so the committed dataset, identical across Go releases.
func intn(r *rand.Rand, n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), un)
		}
	}
	return int(hi)
}
