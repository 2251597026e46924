// Command overhead measures what PA&DA costs per epoch beyond uniform
// sampling, on the mini preset's data, natively:
//
//	go run ./bench/overhead [-epochs 2] [-reps 3] [-threads 1]
//
// Runs of uniform/uniform and pa/da alternate so that machine noise hits
// both alike. Epoch 0 is compared (tau = 0: PA and DA still draw uniformly,
// so both runs train paths of the same expected cost and the difference is
// the bookkeeping: per-step gradient norms and per-sample scores, the
// end-of-epoch updates and the data summary). Later epochs are reported
// too, where PA's preference for convolutions also changes what a step
// costs.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"pada/core/data"
	"pada/core/nn"
	"pada/core/run"
	"pada/core/supernet"
	"pada/core/train"
	"pada/public"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

func epochSeconds(c run.Config, trainFile *data.Set, threads int) []float64 {
	sets, err := train.BuildSets(c, trainFile, nil)
	must(err)
	be := nn.NewCPU(threads)
	defer be.Close()
	net, err := supernet.New(c.Shape, be)
	must(err)
	net.Init(c.Seed)
	tr, err := train.NewTrainer(c, net, sets.Train, nil)
	must(err)
	var secs []float64
	start := time.Now()
	for !tr.Done() {
		if _, ep := tr.Step(); ep != nil {
			secs = append(secs, time.Since(start).Seconds())
			start = time.Now()
		}
	}
	return secs
}

func main() {
	epochs := flag.Int("epochs", 2, "epochs per run")
	reps := flag.Int("reps", 3, "runs per sampler (alternating)")
	threads := flag.Int("threads", 1, "goroutines")
	flag.Parse()
	trainFile, _, err := data.LoadDefault(public.Data)
	must(err)
	base, err := run.Preset("mini")
	must(err)
	base.Epochs = *epochs
	base.Data.ValFrac = 0 // validation is the same for both; leave it out
	base.Eval.Split = "eval"
	sum := map[string][]float64{}
	for r := 0; r < *reps; r++ {
		for _, s := range [][2]string{{"uniform", "uniform"}, {"pa", "da"}} {
			c := base
			c.Seed = uint64(r)
			c.Sampler.Path, c.Sampler.Data = s[0], s[1]
			secs := epochSeconds(c, trainFile, *threads)
			name := s[0] + "/" + s[1]
			if sum[name] == nil {
				sum[name] = make([]float64, len(secs))
			}
			for e, v := range secs {
				sum[name][e] += v / float64(*reps)
			}
			fmt.Fprintf(os.Stderr, "  rep %d %-15s epochs: %v\n", r, name, secs)
		}
	}
	fmt.Printf("mean seconds per epoch over %d runs each (%d threads, %d training images)\n", *reps, *threads, trainFile.N)
	fmt.Printf("%-6s %10s %10s %8s\n", "epoch", "uniform", "pa/da", "ratio")
	for e := 0; e < *epochs; e++ {
		u, p := sum["uniform/uniform"][e], sum["pa/da"][e]
		fmt.Printf("%-6d %10.2f %10.2f %7.3fx\n", e, u, p, p/u)
	}
}
