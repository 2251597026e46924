package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pada/core/data"
)

// fakeFashion writes Fashion-MNIST-shaped IDX files dir/prefix-* holding
// perClass 28x28 images of each of 10 classes, gzipped if zip.
func fakeFashion(t *testing.T, dir, prefix string, perClass int, zip bool) {
	t.Helper()
	s := &data.Set{N: 10 * perClass, C: 1, H: 28, W: 28, Classes: 10}
	s.Pixels = make([]uint8, s.N*28*28)
	for i := range s.Pixels {
		s.Pixels[i] = uint8(i*7 + i/28)
	}
	for i := range s.N {
		s.Labels = append(s.Labels, uint8(i%10))
	}
	var img, lab bytes.Buffer
	if err := data.WriteIDX(&img, &lab, s); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"-images-idx3-ubyte": img.Bytes(), "-labels-idx1-ubyte": lab.Bytes()} {
		p := filepath.Join(dir, prefix+name)
		if zip {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(b)
			zw.Close()
			b, p = z.Bytes(), p+".gz"
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDatasetBuild(t *testing.T) {
	src := t.TempDir()
	fakeFashion(t, src, "train", 5, true)
	fakeFashion(t, src, "t10k", 3, false)
	build := func() string {
		out := filepath.Join(t.TempDir(), "data")
		err := datasetCmd([]string{"build", "-src", src, "-out", out, "-train-per-class", "4", "-eval-per-class", "2", "-seed", "3"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := build(), build()
	for _, name := range []string{data.TrainImagesFile, data.TrainLabelsFile, data.EvalImagesFile, data.EvalLabelsFile} {
		fa, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		fb, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between two builds", name)
		}
		zr, err := gzip.NewReader(bytes.NewReader(fa))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !zr.ModTime.IsZero() || zr.Name != "" {
			t.Errorf("%s: gzip header has time %v, name %q; want neither", name, zr.ModTime, zr.Name)
		}
	}
	train, eval, err := data.LoadDefault(os.DirFS(a))
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 40 || eval.N != 20 || train.H != 16 || eval.W != 16 {
		t.Errorf("built %d train, %d eval images of %dx%d; want 40, 20, 16x16", train.N, eval.N, train.H, train.W)
	}
}

func TestDatasetCmdErrors(t *testing.T) {
	src := t.TempDir()
	fakeFashion(t, src, "train", 5, true)
	fakeFashion(t, src, "t10k", 3, true)
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "dataset build"},
		{"unknown subcommand", []string{"frob"}, "dataset build"},
		{"unknown flag", []string{"build", "-frob"}, "-frob"},
		{"extra argument", []string{"build", "-out", out, "now"}, `unexpected argument "now"`},
		{"bad side", []string{"build", "-side", "0"}, "-side 0"},
		{"missing source", []string{"build", "-src", t.TempDir(), "-out", out}, "train-images-idx3-ubyte"},
		{"too many per class", []string{"build", "-src", src, "-out", out, "-train-per-class", strconv.Itoa(6)}, "class 0 has 5 images; want 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := datasetCmd(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}
