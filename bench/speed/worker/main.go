// Command worker times supernet training steps of the Go engine on one
// shape and prints one JSON line. It builds natively and for GOOS=js
// (run under node), so that ../ can compare both with PyTorch in one run.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"pada/core/gemm"
	"pada/core/nn"
	"pada/core/optim"
	"pada/core/space"
	"pada/core/supernet"
)

type result struct {
	Engine    string  `json:"engine"`
	Shape     string  `json:"shape"`
	Threads   int     `json:"threads"`
	Steps     int     `json:"steps"`
	Batch     int     `json:"batch"`
	Seconds   float64 `json:"seconds"`
	ImagesSec float64 `json:"images_per_sec"`
	Loss      float64 `json:"last_loss"`
	Kernel    string  `json:"kernel"`               // gemm.Kernel(): which matrix kernels ran
	GemmShare float64 `json:"gemm_share,omitempty"` // share of the timed steps spent in matrix products (wasm only)
}

func main() {
	shapeName := flag.String("shape", "mini", "mini or nb201")
	threads := flag.Int("threads", 1, "goroutines")
	steps := flag.Int("steps", 20, "timed steps")
	warmup := flag.Int("warmup", 2, "untimed steps first")
	engine := flag.String("engine", "go", "name to report")
	archList := flag.String("archs", "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|", "comma-separated NB201 arch strings, trained in turn")
	flag.Parse()
	s := space.Mini
	if *shapeName == "nb201" {
		s = space.NB201
	}
	be := nn.NewCPU(*threads)
	m, err := supernet.New(s, be)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m.Init(0)
	r := rand.New(rand.NewPCG(0, 0))
	x := make([]float32, s.Batch*s.InC*s.H*s.W)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := make([]int32, s.Batch)
	for i := range y {
		y[i] = int32(r.IntN(s.Classes))
	}
	var archs []space.Arch
	for _, as := range strings.Split(*archList, ",") {
		a, err := space.Parse(as)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		archs = append(archs, a)
	}
	vel := make([]float32, len(m.Params))
	sgd := optim.SGD{Momentum: 0.9, WeightDecay: 2.5e-4}
	var loss float64
	step := func(i int) {
		m.ZeroGrad()
		m.Forward(x, s.Batch, archs[i%len(archs)])
		loss, _ = m.Loss(y, nil)
		m.Backward()
		optim.Scale(m.Grads, optim.ClipCoef(math.Sqrt(optim.SumSquares(m.Grads)), 5))
		for t, tn := range m.Tensors {
			if m.Touched(t) {
				sgd.Step(m.Param(t), m.Grad(t), vel[tn.Off:tn.Off+tn.Len], 0.05)
			}
		}
	}
	for i := 0; i < *warmup; i++ {
		step(i)
	}
	gemm.SetTiming(true)
	start := time.Now()
	for i := 0; i < *steps; i++ {
		step(i)
	}
	sec := time.Since(start).Seconds()
	inGemm := gemm.Timed().Seconds()
	gemm.SetTiming(false)
	json.NewEncoder(os.Stdout).Encode(result{
		Engine: *engine, Shape: *shapeName, Threads: *threads, Steps: *steps, Batch: s.Batch,
		Seconds: sec, ImagesSec: float64(*steps*s.Batch) / sec, Loss: loss,
		Kernel: gemm.Kernel(), GemmShare: inGemm / sec,
	})
}
