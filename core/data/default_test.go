package data

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"pada/public"
)

func perClass(s *Set) []int {
	n := make([]int, s.Classes)
	for _, l := range s.Labels {
		n[l]++
	}
	return n
}

func checkDefault(t *testing.T, train, eval *Set) {
	t.Helper()
	for _, tc := range []struct {
		s    *Set
		name string
		per  int
	}{
		{train, "fashion16-train", DefaultTrainPerClass},
		{eval, "fashion16-eval", DefaultEvalPerClass},
	} {
		s := tc.s
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		if s.Name != tc.name || s.N != 10*tc.per || s.C != 1 || s.H != DefaultSide || s.W != DefaultSide || s.Classes != 10 {
			t.Errorf("%s: %dx%dx%dx%d, %d classes; want %s, %dx1x%dx%d, 10 classes",
				s.Name, s.N, s.C, s.H, s.W, s.Classes, tc.name, 10*tc.per, DefaultSide, DefaultSide)
		}
		for c, n := range perClass(s) {
			if n != tc.per {
				t.Errorf("%s: class %d has %d images; want %d", s.Name, c, n, tc.per)
			}
		}
	}
}

// TestLoadDefault loads the committed files the ways callers reach them.
func TestLoadDefault(t *testing.T) {
	sub, err := fs.Sub(public.Data, "data")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fsys fs.FS
	}{
		{"embedded public", public.Data},
		{"embedded data dir", sub},
		{"directory", os.DirFS("../../public/data")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train, eval, err := LoadDefault(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			checkDefault(t, train, eval)
		})
	}
}

// TestDefaultREADME checks that public/data/README.md lists the SHA-256 of
// every committed file.
func TestDefaultREADME(t *testing.T) {
	readme, err := fs.ReadFile(public.Data, "data/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, EvalImagesFile, EvalLabelsFile} {
		b, err := fs.ReadFile(public.Data, "data/"+name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if !strings.Contains(string(readme), hex.EncodeToString(sum[:])) {
			t.Errorf("README.md does not list %s's sha256 %x", name, sum)
		}
	}
}

func TestLoadDefaultErrors(t *testing.T) {
	files := fstest.MapFS{}
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, EvalImagesFile, EvalLabelsFile} {
		b, err := fs.ReadFile(public.Data, "data/"+name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	corrupt := fstest.MapFS{}
	for k, v := range files {
		corrupt[k] = v
	}
	corrupt[EvalLabelsFile] = &fstest.MapFile{Data: gz(t, idxBytes(idxLabels, []uint32{10000}, make([]byte, 9999)))}
	missing := fstest.MapFS{TrainImagesFile: files[TrainImagesFile], TrainLabelsFile: files[TrainLabelsFile]}
	for _, tc := range []struct {
		name string
		fsys fs.FS
		want string
	}{
		{"empty", fstest.MapFS{}, "data/" + TrainImagesFile},
		{"no eval", missing, EvalImagesFile},
		{"corrupt eval labels", corrupt, EvalLabelsFile + ": byte 10007 of the gunzipped stream: truncated labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadDefault(tc.fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestClassNames(t *testing.T) {
	cases := []struct {
		dataset string
		n       int
		last    string
	}{
		{"fashion16", 10, "Ankle boot"},
		{"fashion-mnist", 10, "Ankle boot"},
		{"mnist", 10, "9"},
		{"cifar10", 10, "truck"},
		{"cifar100", 0, ""},
		{"synthetic", 0, ""},
		{"", 0, ""},
	}
	for _, c := range cases {
		got := ClassNames(c.dataset)
		if len(got) != c.n || (c.n > 0 && got[c.n-1] != c.last) {
			t.Errorf("ClassNames(%q) = %q; want %d names ending in %q", c.dataset, got, c.n, c.last)
		}
	}
}
