package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"pada/core/data"
	"pada/core/data/digest"
)

const datasetUsage = `usage: go run ./serve dataset build [flags]

Rebuilds the embedded default dataset (Fashion-MNIST, class-balanced,
area-averaged to a small square) from the Fashion-MNIST IDX files. The
output is byte-for-byte the same on every run with the same flags.

flags:`

// datasetOptions are the flags of `dataset build`.
type datasetOptions struct {
	src, out          string
	trainPer, evalPer int
	side              int
	seed              uint64
}

// datasetCmd runs `dataset build`: it reads Fashion-MNIST from -src,
// samples and shrinks it, and writes the default dataset's gzipped IDX
// files to -out, printing each file's size and SHA-256 and each set's
// data.Set hash (for public/data/README.md and the data package's
// TrainHash/EvalHash).
func datasetCmd(args []string) error {
	fs := flag.NewFlagSet("dataset build", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), datasetUsage)
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "build" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return errors.New("want `dataset build [flags]`; see `go run ./serve dataset build -h`")
	}
	var o datasetOptions
	fs.StringVar(&o.src, "src", "/usr/share/datasets/fashion-mnist", "directory holding Fashion-MNIST's train-* and t10k-* IDX files (gzipped or not)")
	fs.StringVar(&o.out, "out", "public/data", "directory to write the dataset files to")
	fs.IntVar(&o.trainPer, "train-per-class", data.DefaultTrainPerClass, "training images per class, drawn from the train file")
	fs.IntVar(&o.evalPer, "eval-per-class", data.DefaultEvalPerClass, "evaluation images per class, drawn from the t10k file")
	fs.IntVar(&o.side, "side", data.DefaultSide, "side of the shrunk square images, in pixels")
	fs.Uint64Var(&o.seed, "seed", data.DefaultSeed, "seed of the class-balanced sampling")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dataset build: unexpected argument %q", fs.Arg(0))
	}
	if o.side < 1 {
		return fmt.Errorf("dataset build: -side %d: want at least 1", o.side)
	}
	return buildDataset(os.Stdout, o)
}

// buildDataset writes the two sets and reports on w.
func buildDataset(w io.Writer, o datasetOptions) error {
	splits := []struct {
		name, src      string
		per            int
		images, labels string
	}{
		{"fashion16-train", "train", o.trainPer, data.TrainImagesFile, data.TrainLabelsFile},
		{"fashion16-eval", "t10k", o.evalPer, data.EvalImagesFile, data.EvalLabelsFile},
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	for _, sp := range splits {
		full, err := readIDXFiles(o.src, sp.src)
		if err != nil {
			return err
		}
		sub, err := data.Subset(full, sp.per, o.seed)
		if err != nil {
			return err
		}
		s := data.Resize(sub, o.side, o.side)
		s.Name = sp.name

		var img, lab bytes.Buffer
		if err := data.WriteIDX(&img, &lab, s); err != nil {
			return err
		}
		files := []struct {
			name string
			raw  []byte
		}{{sp.images, img.Bytes()}, {sp.labels, lab.Bytes()}}
		gz := make([][]byte, len(files))
		for i, f := range files {
			if gz[i], err = gzipFixed(f.raw); err != nil {
				return fmt.Errorf("gzip %s: %w", f.name, err)
			}
		}
		// Read the bytes back as LoadDefault will, so that a file that would
		// not load is never written.
		back, err := data.ReadIDX(bytes.NewReader(gz[0]), bytes.NewReader(gz[1]))
		if err != nil {
			return fmt.Errorf("reading back %s: %w", sp.name, err)
		}
		if digest.Of(back) != digest.Of(s) {
			return fmt.Errorf("reading back %s: hash %s, wrote %s", sp.name, digest.Of(back), digest.Of(s))
		}
		for i, f := range files {
			p := filepath.Join(o.out, f.name)
			if err := writeFileAtomic(p, gz[i]); err != nil {
				return err
			}
			fmt.Fprintf(w, "%x  %8d  %s\n", sha256.Sum256(gz[i]), len(gz[i]), p)
		}
		fmt.Fprintf(w, "set %s: %d images %dx%dx%d, %d classes, hash %s\n",
			s.Name, s.N, s.C, s.H, s.W, s.Classes, digest.Of(s))
	}
	return nil
}

// readIDXFiles reads dir/prefix-images-idx3-ubyte and its labels, each
// gzipped (.gz) or not.
func readIDXFiles(dir, prefix string) (*data.Set, error) {
	var rs [2]*os.File
	for i, kind := range []string{"images-idx3-ubyte", "labels-idx1-ubyte"} {
		p := filepath.Join(dir, prefix+"-"+kind)
		f, err := os.Open(p + ".gz")
		if errors.Is(err, os.ErrNotExist) {
			f, err = os.Open(p)
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		rs[i] = f
	}
	return data.ReadIDX(rs[0], rs[1])
}

// gzipFixed compresses b with a header that carries no file name and no
// modification time, so that the same bytes in give the same bytes out.
func gzipFixed(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
