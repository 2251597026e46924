package groundtruth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"pada/core/data"
	"pada/core/groundtruth"
	"pada/core/nn"
	"pada/core/rank"
	"pada/core/run"
	"pada/core/sampler"
	"pada/core/space"
	"pada/core/supernet"
	"pada/core/train"
)

// tinyConfig is a schedule small enough for a test to train dozens of
// architectures in a second.
func tinyConfig() run.Config {
	c, _ := run.Preset("mini")
	c.Shape = space.Shape{InC: 1, H: 8, W: 8, C: 2, N: 1, Classes: 4, Batch: 16}
	c.Data = run.Data{Name: "synthetic"}
	c.Epochs = 2
	c.Eval = run.Eval{Split: "eval", Archs: "unique", Images: 32}
	return c
}

// tinySets are normalised synthetic training and evaluation images for
// tinyConfig: n training images, 40 evaluation images.
func tinySets(t *testing.T, c run.Config, n int, seed uint64) train.Sets {
	t.Helper()
	s := c.Shape
	sets, err := train.BuildSets(c, train.Synthetic(n, s.InC, s.H, s.W, s.Classes, seed), train.Synthetic(40, s.InC, s.H, s.W, s.Classes, seed+1))
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

func mustParse(t *testing.T, s string) space.Arch {
	t.Helper()
	a, err := space.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestStandaloneMatchesTrainer checks the stand-alone loop against the
// supernet Trainer driven by a Fixed path: the same weights, bit for bit,
// whatever the last batch looks like.
func TestStandaloneMatchesTrainer(t *testing.T) {
	arch := "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
	for _, tc := range []struct {
		name   string
		images int
		clip   float64
	}{
		{"whole batches", 48, 5},
		{"short last batch", 42, 5},
		{"last batch of one dropped", 49, 5},
		{"clipping bites", 48, 0.05},
		{"no clipping", 48, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tinyConfig()
			c.Clip = tc.clip
			sets := tinySets(t, c, tc.images, 3)
			a := mustParse(t, arch)
			const seed = 7

			be := nn.NewCPU(1)
			defer be.Close()
			st, err := train.NewStandalone(c, be, sets.Train, sets.Eval)
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Train(context.Background(), a, seed)
			if err != nil {
				t.Fatal(err)
			}

			ref, err := supernet.New(c.Shape, be)
			if err != nil {
				t.Fatal(err)
			}
			ref.Init(seed)
			c.Seed = seed
			tr, err := train.NewTrainerWithPath(c, ref, sets.Train, nil, sampler.Fixed{Arch: a})
			if err != nil {
				t.Fatal(err)
			}
			for !tr.Done() {
				tr.Step()
			}
			got := st.Net().Params
			for i, v := range ref.Params {
				if got[i] != v {
					t.Fatalf("parameter %d is %g stand-alone, %g with the Trainer", i, got[i], v)
				}
			}
			if want := rank.NewEvaluator(ref, sets.Eval, c.Eval.Images).Accuracy(a); res.Acc != want {
				t.Errorf("accuracy %g, want %g", res.Acc, want)
			}
		})
	}
}

// TestStandaloneIsFresh checks that a run depends only on its
// architecture and seed (not on what the Standalone trained before), and
// that parameters off the path keep their initial values: the network
// trained is the stand-alone one.
func TestStandaloneIsFresh(t *testing.T) {
	c := tinyConfig()
	sets := tinySets(t, c, 48, 1)
	a := mustParse(t, "|nor_conv_1x1~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|")
	other := mustParse(t, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
	be := nn.NewCPU(1)
	defer be.Close()
	st, err := train.NewStandalone(c, be, sets.Train, sets.Eval)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := st.Train(ctx, a, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Train(ctx, other, 5); err != nil {
		t.Fatal(err)
	}
	again, err := st.Train(ctx, a, 4)
	if err != nil {
		t.Fatal(err)
	}
	if first.Acc != again.Acc {
		t.Errorf("accuracy %g after training another architecture, %g before", again.Acc, first.Acc)
	}
	init, err := supernet.New(c.Shape, be)
	if err != nil {
		t.Fatal(err)
	}
	init.Init(4)
	m := st.Net()
	onPath := 0
	for i, tn := range m.Tensors {
		if m.Touched(i) {
			onPath += tn.Len
			continue
		}
		for j, v := range m.Param(i) {
			if v != init.Param(i)[j] {
				t.Fatalf("%s[%d] moved from %g to %g but is off the path", tn.Name, j, init.Param(i)[j], v)
			}
		}
	}
	if onPath != m.ParamCount(a) {
		t.Errorf("%d parameters trained, the path has %d", onPath, m.ParamCount(a))
	}
}

func TestStandaloneCancel(t *testing.T) {
	c := tinyConfig()
	sets := tinySets(t, c, 48, 1)
	be := nn.NewCPU(1)
	defer be.Close()
	st, err := train.NewStandalone(c, be, sets.Train, sets.Eval)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.Train(ctx, space.Arch{}, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run returned %v", err)
	}
}

func TestNewStandaloneErrors(t *testing.T) {
	c := tinyConfig()
	sets := tinySets(t, c, 48, 1)
	bad := c
	bad.Epochs = 0
	one := &data.Normalized{Set: train.Synthetic(1, 1, 8, 8, 4, 0), Mean: []float32{0}, Std: []float32{1}}
	be := nn.NewCPU(1)
	defer be.Close()
	for _, tc := range []struct {
		name        string
		cfg         run.Config
		train, eval data.Images
		want        string
	}{
		{"bad config", bad, sets.Train, sets.Eval, "epochs"},
		{"one training image", c, one, sets.Eval, "at least 2 training images"},
		{"no evaluation images", c, sets.Train, nil, "evaluation images"},
	} {
		if _, err := train.NewStandalone(tc.cfg, be, tc.train, tc.eval); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestFLOPs(t *testing.T) {
	// The mini network without cell convolutions: stem 1->8 at 16x16,
	// residual blocks 8->16 at 8x8 and 16->32 at 4x4 (3x3, 3x3, 1x1
	// shortcut each), classifier 32->10.
	const base = 1*8*9*256 + (8*16*9+16*16*9+8*16)*64 + (16*32*9+32*32*9+16*32)*16 + 32*10
	// A cell convolution costs the same at every stage: channels double
	// as the area quarters.
	const c1, c3 = 8 * 8 * 256 * 3, 8 * 8 * 9 * 256 * 3
	for _, tc := range []struct {
		arch string
		want float64
	}{
		{"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", base},
		{"|skip_connect~0|+|avg_pool_3x3~0|skip_connect~1|+|avg_pool_3x3~0|none~1|skip_connect~2|", base},
		{"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", base + 6*c3},
		{"|avg_pool_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|avg_pool_3x3~0|nor_conv_1x1~1|avg_pool_3x3~2|", base + 2*c1},
		// Edge 0's convolution feeds only a none edge: it still runs.
		{"|nor_conv_3x3~0|+|skip_connect~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|", base + c3 + c1},
	} {
		if got := groundtruth.FLOPs(space.Mini, mustParse(t, tc.arch)); got != tc.want {
			t.Errorf("FLOPs(%s) = %.0f, want %.0f", tc.arch, got, tc.want)
		}
	}
	// Cells repeat per stage.
	s := space.Mini
	s.N = 3
	a := mustParse(t, "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
	if got, want := groundtruth.FLOPs(s, a), float64(base+3*c3); got != want {
		t.Errorf("FLOPs with 3 cells per stage = %.0f, want %.0f", got, want)
	}
}

func TestMiniSchedule(t *testing.T) {
	c := groundtruth.MiniSchedule()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Shape != space.Mini || c.Data.Name != "fashion16" || c.Preset != "mini" {
		t.Errorf("schedule is for %+v on %q (preset %q), want the mini shape on fashion16", c.Shape, c.Data.Name, c.Preset)
	}
	if c.Epochs != groundtruth.MiniEpochs || c.Data.ValFrac != 0 || c.Eval.Split != "eval" || c.Eval.Images != 0 {
		t.Errorf("schedule: %d epochs, val_frac %v, eval %q on %d images", c.Epochs, c.Data.ValFrac, c.Eval.Split, c.Eval.Images)
	}
	if c.Seed != groundtruth.DataSeed {
		t.Errorf("data seed %d, want %d", c.Seed, groundtruth.DataSeed)
	}
}
