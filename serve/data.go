package main

import (
	"fmt"
	"io"
	"math/rand/v2"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/run"
	"pada/core/train"
	"pada/public"
)

// loadData reads the training and evaluation files a Config names, as
// the user's own (the command line). Only the native side reads files;
// the browser gets the embedded default.
func loadData(c run.Config) (trainSet, evalSet *data.Set, err error) {
	return loadDataFrom(c, hostFiles{})
}

// defaultFashionDir is where Debian's dataset-fashion-mnist puts the
// files: a location the server chooses, so API clients may use it.
const defaultFashionDir = "/usr/share/datasets/fashion-mnist"

// loadDataFrom reads the data files of c through files (data.Load): the
// embedded default set, synthetic data, or the files under data.dir;
// fashion-mnist without data.dir reads defaultFashionDir, bounded.
func loadDataFrom(c run.Config, files dataFiles) (trainSet, evalSet *data.Set, err error) {
	return train.LoadData(c, data.Source{Fashion16: public.Data, Files: opener{files},
		FashionMNIST: opener{hostFiles{bounded: true}}, FashionMNISTDir: defaultFashionDir})
}

// opener is a dataFiles as data.Load opens files.
type opener struct{ f dataFiles }

func (o opener) Open(field, name string) (io.ReadCloser, error) { return o.f.open(field, name) }

func (o opener) ReadError(field, name string, err error) error {
	return o.f.readError(field, name, err)
}

// loadTruthFrom opens the ground-truth table a Config names ("" for
// none) through files.
func loadTruthFrom(c run.Config, files dataFiles) (*groundtruth.Table, error) {
	switch c.Eval.Truth {
	case "":
		return nil, nil
	case "default":
		name, err := groundtruth.DefaultFileFor(c.Space)
		if err != nil {
			return nil, fmt.Errorf("eval.truth: %w", err)
		}
		f, err := public.Data.Open("data/" + name)
		if err != nil {
			return nil, fmt.Errorf("eval.truth: the default ground-truth table of space %q is not built into this binary: %w", c.Space, err)
		}
		defer f.Close()
		return groundtruth.Read(f)
	}
	f, err := files.open("eval.truth", c.Eval.Truth)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := groundtruth.ReadAny(lineCapped(f, maxLine))
	return t, files.readError("eval.truth", c.Eval.Truth, err)
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
