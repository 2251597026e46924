package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"

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

// loadDataFrom reads the data files of c through files.
func loadDataFrom(c run.Config, files dataFiles) (trainSet, evalSet *data.Set, err error) {
	d := c.Data
	s := c.Shape
	switch d.Name {
	case "fashion16":
		return data.LoadDefault(public.Data)
	case "synthetic":
		n := max(d.Train, 2000)
		return train.Synthetic(n, s.InC, s.H, s.W, s.Classes, c.Seed), train.Synthetic(n/4, s.InC, s.H, s.W, s.Classes, c.Seed+1), nil
	case "fashion-mnist", "mnist":
		dir := d.Dir
		if dir == "" && d.Name == "fashion-mnist" {
			dir, files = defaultFashionDir, hostFiles{bounded: true}
		}
		if dir == "" {
			return nil, nil, fmt.Errorf("data.dir: dataset %q needs the directory of its IDX files", d.Name)
		}
		if trainSet, err = readIDXPair(files, dir, "train"); err != nil {
			return nil, nil, err
		}
		if evalSet, err = readIDXPair(files, dir, "t10k"); err != nil {
			return nil, nil, err
		}
	case "cifar10", "cifar100":
		if trainSet, evalSet, err = readCIFAR(files, d.Name, d.Dir); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("data.name %q is not known", d.Name)
	}
	if trainSet.H != s.H || trainSet.W != s.W {
		trainSet, evalSet = data.Resize(trainSet, s.H, s.W), data.Resize(evalSet, s.H, s.W)
	}
	return trainSet, evalSet, nil
}

func readIDXPair(files dataFiles, dir, prefix string) (*data.Set, error) {
	open := func(kind string) (io.ReadCloser, error) {
		for _, name := range []string{prefix + "-" + kind + "-ubyte.gz", prefix + "-" + kind + "-ubyte", prefix + "-" + kind + ".idx3-ubyte", prefix + "-" + kind + ".idx1-ubyte"} {
			if f, err := files.open("data.dir", filepath.Join(dir, name)); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("data.dir %s: no %s-%s IDX file (looked for %s-%s-ubyte[.gz])", dir, prefix, kind, prefix, kind)
	}
	img, err := open("images-idx3")
	if err != nil {
		return nil, err
	}
	defer img.Close()
	lab, err := open("labels-idx1")
	if err != nil {
		return nil, err
	}
	defer lab.Close()
	set, err := data.ReadIDX(img, lab)
	return set, files.readError("data.dir", dir, err)
}

func readCIFAR(files dataFiles, name, dir string) (trainSet, evalSet *data.Set, err error) {
	if dir == "" {
		return nil, nil, fmt.Errorf("data.dir: %s needs the directory of its binary files", name)
	}
	read := func(file string) (*data.Set, error) {
		f, err := files.open("data.dir", filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("%w (the %s binary version is needed)", err, name)
		}
		defer f.Close()
		var set *data.Set
		if name == "cifar100" {
			set, err = data.ReadCIFAR100(f, true)
		} else {
			set, err = data.ReadCIFAR10(f)
		}
		return set, files.readError("data.dir", filepath.Join(dir, file), err)
	}
	if name == "cifar100" {
		if trainSet, err = read("train.bin"); err != nil {
			return nil, nil, err
		}
		evalSet, err = read("test.bin")
		return trainSet, evalSet, err
	}
	var parts []*data.Set
	for i := 1; i <= 5; i++ {
		p, err := read(fmt.Sprintf("data_batch_%d.bin", i))
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, p)
	}
	if trainSet, err = data.Concat(parts...); err != nil {
		return nil, nil, err
	}
	evalSet, err = read("test_batch.bin")
	return trainSet, evalSet, err
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
