package main

import (
	"math/rand/v2"

	"pada/core/data"
	"pada/core/run"
	"pada/core/train"
	"pada/serve/native"
)

// loadData reads the training and evaluation files a Config names, as
// the user's own (the command line).
func loadData(c run.Config) (trainSet, evalSet *data.Set, err error) {
	return native.LoadData(c, native.HostFiles{})
}

// probeBatch draws one batch of the training split, seeded, normalised as
// training normalises it, without augmentation.
func probeBatch(trainSet *data.Set, c run.Config, seed uint64) ([]float32, []int32, int, error) {
	sets, err := train.BuildSets(c, trainSet, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	s := c.Shape
	n := min(s.Batch, sets.Train.Len())
	idx := rand.New(rand.NewPCG(seed, 7)).Perm(sets.Train.Len())[:n]
	x := make([]float32, n*s.InC*s.H*s.W)
	y := make([]int32, n)
	sets.Train.Batch(x, y, idx, false, nil)
	return x, y, n, nil
}
