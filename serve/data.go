package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"pada/core/data"
	"pada/core/run"
	"pada/core/train"
	"pada/public"
)

// loadData reads the training and evaluation files a Config names. Only
// the native side reads files; the browser gets the embedded default.
func loadData(c run.Config) (trainSet, evalSet *data.Set, err error) {
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
			dir = "/usr/share/datasets/fashion-mnist"
		}
		if dir == "" {
			return nil, nil, fmt.Errorf("data.dir: dataset %q needs the directory of its IDX files", d.Name)
		}
		if trainSet, err = readIDXPair(dir, "train"); err != nil {
			return nil, nil, err
		}
		if evalSet, err = readIDXPair(dir, "t10k"); err != nil {
			return nil, nil, err
		}
	case "cifar10", "cifar100":
		if trainSet, evalSet, err = readCIFAR(d.Name, d.Dir); err != nil {
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

func readIDXPair(dir, prefix string) (*data.Set, error) {
	open := func(kind string) (*os.File, error) {
		for _, name := range []string{prefix + "-" + kind + "-ubyte.gz", prefix + "-" + kind + "-ubyte", prefix + "-" + kind + ".idx3-ubyte", prefix + "-" + kind + ".idx1-ubyte"} {
			if f, err := os.Open(filepath.Join(dir, name)); err == nil {
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
	return data.ReadIDX(img, lab)
}

func readCIFAR(name, dir string) (trainSet, evalSet *data.Set, err error) {
	if dir == "" {
		return nil, nil, fmt.Errorf("data.dir: %s needs the directory of its binary files", name)
	}
	read := func(file string) (*data.Set, error) {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("data.dir: %w (the %s binary version is needed)", err, name)
		}
		defer f.Close()
		if name == "cifar100" {
			return data.ReadCIFAR100(f, true)
		}
		return data.ReadCIFAR10(f)
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
