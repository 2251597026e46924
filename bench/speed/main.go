//go:build !js

// Command speed compares training speed and peak memory of the Go engine
// natively (1 and 2 threads), the Go engine as WebAssembly under node (one
// instance) with its pure-Go kernels (go-wasm) and with core/gemm's simd128
// kernel module (go-wasm-simd), and PyTorch on the CPU (1 and 2 threads),
// on the mini and nb201 shapes, in one run on one machine:
//
//	go run ./bench/speed [-shapes mini,nb201] [-steps-mini 30] [-steps-nb201 2]
//
// Every engine trains the same architectures on random data with the same
// optimizer; each runs in its own process so that its peak resident memory
// (getrusage maxrss) is its own.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
)

var archs = []string{
	"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
	"|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
	"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
}

type result struct {
	Engine    string  `json:"engine"`
	Shape     string  `json:"shape"`
	Threads   int     `json:"threads"`
	ImagesSec float64 `json:"images_per_sec"`
	Loss      float64 `json:"last_loss"`
	Kernel    string  `json:"kernel"`
	GemmShare float64 `json:"gemm_share"`
	PeakMB    float64 `json:"-"`
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "speed:", err)
		os.Exit(1)
	}
}

func measure(engine string, cmd *exec.Cmd) result {
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		must(fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String()))
	}
	var r result
	must(json.Unmarshal(out.Bytes(), &r))
	r.Engine = engine
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	fmt.Fprintf(os.Stderr, "  %-12s %-5s threads=%d  %8.1f images/s  peak %6.0f MB\n", engine, r.Shape, r.Threads, r.ImagesSec, r.PeakMB)
	if r.GemmShare > 0 {
		fmt.Fprintf(os.Stderr, "  %-12s %-5s %.0f%% of the step in matrix products (%s kernel)\n", engine, r.Shape, 100*r.GemmShare, r.Kernel)
	}
	return r
}

func main() {
	shapes := flag.String("shapes", "mini,nb201", "comma-separated shapes")
	stepsMini := flag.Int("steps-mini", 30, "timed steps on mini")
	stepsNB := flag.Int("steps-nb201", 2, "timed steps on nb201")
	python := flag.String("python", "/usr/bin/python3", "Python with torch")
	flag.Parse()

	root, err := os.Getwd()
	must(err)
	tmp, err := os.MkdirTemp("", "speed")
	must(err)
	defer os.RemoveAll(tmp)
	native, wasm := filepath.Join(tmp, "worker"), filepath.Join(tmp, "worker.wasm")
	build := exec.Command("go", "build", "-o", native, "./bench/speed/worker")
	build.Stderr = os.Stderr
	must(build.Run())
	build = exec.Command("go", "build", "-o", wasm, "./bench/speed/worker")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	build.Stderr = os.Stderr
	must(build.Run())
	goroot := strings.TrimSpace(string(must2(exec.Command("go", "env", "GOROOT").Output())))
	// The stock wasm_exec_node.js cannot run a binary that links core/gemm's
	// kernel imports; tools/wasmexec/run.js provides them.
	nodeExec := filepath.Join(root, "tools", "wasmexec", "run.js")
	wasmCmd := func(simd bool, args []string) *exec.Cmd {
		cmd := exec.Command("node", append([]string{"--stack-size=8192", nodeExec, wasm}, args...)...)
		cmd.Env = append(os.Environ(), "PADA_GOROOT="+goroot, "PADA_WASM_SIMD="+map[bool]string{true: "1", false: "0"}[simd])
		return cmd
	}

	fmt.Fprintf(os.Stderr, "machine: %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	var all []result
	for _, shape := range strings.Split(*shapes, ",") {
		steps := *stepsMini
		if shape == "nb201" {
			steps = *stepsNB
		}
		warm := fmt.Sprint(max(1, steps/10))
		args := []string{"-shape", shape, "-steps", fmt.Sprint(steps), "-warmup", warm, "-archs", strings.Join(archs, ",")}
		for _, t := range []int{1, 2} {
			all = append(all, measure("go", exec.Command(native, append(args, "-threads", fmt.Sprint(t))...)))
		}
		all = append(all, measure("go-wasm", wasmCmd(false, append(args, "-threads", "1"))))
		r := measure("go-wasm-simd", wasmCmd(true, append(args, "-threads", "1")))
		if r.Kernel != "wasm-simd128" {
			must(fmt.Errorf("go-wasm-simd ran the %q kernels: node did not load the simd128 module", r.Kernel))
		}
		all = append(all, r)
		for _, t := range []int{1, 2} {
			py := exec.Command(*python, "speed.py", "--shape", shape, "--threads", fmt.Sprint(t), "--steps", fmt.Sprint(steps), "--warmup", warm, "--archs", strings.Join(archs, ","))
			py.Dir = filepath.Join(root, "bench", "torchref")
			// One thread must mean one: OpenMP and MKL would add their own.
			py.Env = append(os.Environ(), fmt.Sprintf("OMP_NUM_THREADS=%d", t), fmt.Sprintf("MKL_NUM_THREADS=%d", t))
			all = append(all, measure("pytorch", py))
		}
	}
	report(os.Stdout, all)
}

func must2[T any](v T, err error) T { must(err); return v }

func report(w *os.File, all []result) {
	find := func(engine, shape string, threads int) *result {
		for i := range all {
			if all[i].Engine == engine && all[i].Shape == shape && all[i].Threads == threads {
				return &all[i]
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shape\tengine\tthreads\timages/s\tvs PyTorch (same threads)\tvs Go native 1 thread\tvs go-wasm\tin GEMM\tpeak RSS MB\t")
	for _, r := range all {
		vsPT, vsGo, vsWasm, share := "", "", "", ""
		if p := find("pytorch", r.Shape, r.Threads); p != nil && r.Engine != "pytorch" {
			vsPT = fmt.Sprintf("%.2fx", r.ImagesSec/p.ImagesSec)
		}
		if g := find("go", r.Shape, 1); g != nil {
			vsGo = fmt.Sprintf("%.2fx", r.ImagesSec/g.ImagesSec)
		}
		if g := find("go-wasm", r.Shape, 1); g != nil && strings.HasPrefix(r.Engine, "go-wasm") {
			vsWasm = fmt.Sprintf("%.2fx", r.ImagesSec/g.ImagesSec)
		}
		if r.GemmShare > 0 {
			share = fmt.Sprintf("%.0f%%", 100*r.GemmShare)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%.0f\t\n", r.Shape, r.Engine, r.Threads, r.ImagesSec, vsPT, vsGo, vsWasm, share, r.PeakMB)
	}
	tw.Flush()
}
