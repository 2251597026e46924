package train

import (
	"fmt"
	"math/rand/v2"

	"pada/core/data"
	"pada/core/run"
)

// BuildSets splits and normalises a run's data as cfg says: the training
// file loses cfg.Data.ValFrac of its images (drawn with the run seed) to
// validation, normalisation statistics come from what remains, and the
// evaluation split is either the held-out evaluation file or validation.
// evalFile may be nil; Sets.Eval is then nil unless the split is "val".
func BuildSets(cfg run.Config, trainFile, evalFile *data.Set) (Sets, error) {
	s := cfg.Shape
	for _, f := range []*data.Set{trainFile, evalFile} {
		if f == nil {
			continue
		}
		if f.C != s.InC || f.H != s.H || f.W != s.W {
			return Sets{}, fmt.Errorf("data %q is %dx%dx%d but shape wants %dx%dx%d (in_channels x height x width)", f.Name, f.C, f.H, f.W, s.InC, s.H, s.W)
		}
		if f.Classes > s.Classes {
			return Sets{}, fmt.Errorf("data %q has %d classes but shape.classes is %d", f.Name, f.Classes, s.Classes)
		}
	}
	tr := trainFile
	if cfg.Data.Train > 0 && cfg.Data.Train < tr.N {
		idx := make([]int, cfg.Data.Train)
		perm := rand.New(rand.NewPCG(cfg.Seed, 0x1d)).Perm(tr.N)
		copy(idx, perm)
		tr = tr.Select(idx)
	}
	tIdx, vIdx, err := data.Split(tr.N, cfg.Data.ValFrac, cfg.Seed)
	if err != nil {
		return Sets{}, err
	}
	trainSet := tr.Select(tIdx)
	mean, std := data.Stats(trainSet)
	out := Sets{Train: data.Normalize(trainSet, mean, std)}
	if len(vIdx) > 0 {
		out.Val = data.Normalize(tr.Select(vIdx), mean, std)
	}
	switch {
	case cfg.Eval.Split == "val":
		out.Eval = out.Val
	case evalFile != nil:
		out.Eval = data.Normalize(evalFile, mean, std)
	}
	return out, nil
}

// Synthetic makes a seeded, learnable toy dataset of n images: each class
// has a random template, and each image is its class's template plus noise.
// It stands in for real data in tests and benchmarks.
func Synthetic(n, c, h, w, classes int, seed uint64) *data.Set {
	r := rand.New(rand.NewPCG(seed, 0x5e))
	size := c * h * w
	tmpl := make([][]float64, classes)
	for k := range tmpl {
		tmpl[k] = make([]float64, size)
		for i := range tmpl[k] {
			tmpl[k][i] = 64 + 128*r.Float64()
		}
	}
	s := &data.Set{N: n, C: c, H: h, W: w, Classes: classes, Name: "synthetic",
		Pixels: make([]uint8, n*size), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		k := i % classes
		s.Labels[i] = uint8(k)
		for j := 0; j < size; j++ {
			v := tmpl[k][j] + 48*r.NormFloat64()
			s.Pixels[i*size+j] = uint8(min(max(v, 0), 255))
		}
	}
	return s
}
