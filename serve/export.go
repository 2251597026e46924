package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"

	"pada/core/checkpoint"
	"pada/core/nn"
	"pada/core/run"
	"pada/core/space"
	"pada/core/supernet"
)

// configFlags adds -preset and -config to fs and returns a function that
// resolves them to a validated Config.
func configFlags(fs *flag.FlagSet) func() (run.Config, error) {
	preset := fs.String("preset", "", "start from a preset: mini or nb201")
	file := fs.String("config", "", "read the run Config from this JSON file")
	return func() (run.Config, error) {
		switch {
		case *preset != "" && *file != "":
			return run.Config{}, errors.New("give -preset or -config, not both")
		case *file != "":
			f, err := os.Open(*file)
			if err != nil {
				return run.Config{}, err
			}
			defer f.Close()
			c, err := run.ParseConfig(f)
			if err != nil {
				return c, fmt.Errorf("%s: %w", *file, err)
			}
			return c, nil
		case *preset == "":
			*preset = "mini"
		}
		return run.Preset(*preset)
	}
}

func exportCmd(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	cfg := configFlags(fs)
	archStr := fs.String("arch", "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|", "architecture of the probe (NB201 string)")
	seed := fs.Uint64("seed", 0, "seed of the weight initialisation and of the probe batch")
	out := fs.String("out", "", "write the .npz here (required)")
	threads := fs.Int("threads", runtime.NumCPU(), "goroutines for the CPU backend")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out FILE.npz is required")
	}
	c, err := cfg()
	if err != nil {
		return err
	}
	a, err := space.Parse(*archStr)
	if err != nil {
		return fmt.Errorf("-arch: %w", err)
	}
	train, _, err := loadData(c)
	if err != nil {
		return err
	}
	be := nn.NewCPU(*threads)
	defer be.Close()
	m, err := supernet.New(c.Shape, be)
	if err != nil {
		return err
	}
	m.Init(*seed)
	x, y, n, err := probeBatch(train, c, *seed)
	if err != nil {
		return err
	}
	p := checkpoint.NewProbe(m, x, y, n, a)
	var buf bytes.Buffer
	if err := checkpoint.Write(&buf, m, p); err != nil {
		return err
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d parameters, probe of %d images on %s\n", *out, m.NumParams(), n, a)
	return nil
}

func verifyCmd(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	cfg := configFlags(fs)
	in := fs.String("in", "", "the .npz to check (required)")
	threads := fs.Int("threads", runtime.NumCPU(), "goroutines for the CPU backend")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("-in FILE.npz is required")
	}
	c, err := cfg()
	if err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	be := nn.NewCPU(*threads)
	defer be.Close()
	m, err := supernet.New(c.Shape, be)
	if err != nil {
		return err
	}
	p, err := checkpoint.Read(f, st.Size(), m)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if p == nil {
		fmt.Printf("%s: %d parameters loaded; no probe to check\n", *in, m.NumParams())
		return nil
	}
	y := make([]int32, p.N)
	for i, v := range p.Target {
		if v < 0 || v >= int64(c.Shape.Classes) {
			return fmt.Errorf("%s: probe/target[%d] = %d is not a class in [0, %d)", *in, i, v, c.Shape.Classes)
		}
		y[i] = int32(v)
	}
	if p.N > c.Shape.Batch {
		return fmt.Errorf("%s: probe of %d images exceeds the shape's batch %d", *in, p.N, c.Shape.Batch)
	}
	q := checkpoint.NewProbe(m, p.Input, y, p.N, p.Arch)
	le, ge := relErr(q.Logits, p.Logits), relErr(q.Grads, p.Grads)
	fmt.Printf("%s: %d parameters; probe %s: logits rel. error %.2g, gradients rel. error %.2g\n", *in, m.NumParams(), p.Arch, le, ge)
	if le > 1e-4 || ge > 1e-4 {
		return fmt.Errorf("the file's probe does not match this engine (tolerance 1e-4)")
	}
	return nil
}

func relErr(a, b []float32) float64 {
	var d, n float64
	for i := range a {
		d += (float64(a[i]) - float64(b[i])) * (float64(a[i]) - float64(b[i]))
		n += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(d) / max(math.Sqrt(n), 1e-30)
}

// writeFileAtomic writes a file so that a crash leaves the old one or the
// new one, never half of it.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
