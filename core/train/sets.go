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

// Synthetic is data.Synthetic, the seeded toy dataset.
func Synthetic(n, c, h, w, classes int, seed uint64) *data.Set {
	return data.Synthetic(n, c, h, w, classes, seed)
}

// LoadData reads the training and evaluation files cfg's data section
// names, at its shape, from src (data.Load).
func LoadData(cfg run.Config, src data.Source) (trainFile, evalFile *data.Set, err error) {
	s := cfg.Shape
	return data.Load(data.Spec{Name: cfg.Data.Name, Dir: cfg.Data.Dir, Train: cfg.Data.Train,
		C: s.InC, H: s.H, W: s.W, Classes: s.Classes, Seed: cfg.Seed}, src)
}
