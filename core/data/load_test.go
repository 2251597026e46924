package data

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pada/public"
)

// dirFiles opens files of the host, as the command line does.
type dirFiles struct{}

func (dirFiles) Open(field, name string) (io.ReadCloser, error) { return os.Open(name) }

func (dirFiles) ReadError(field, name string, err error) error { return err }

// TestLoadSynthetic: Load's synthetic data is the recipe the browser and
// the server shared before it moved here.
func TestLoadSynthetic(t *testing.T) {
	for _, n := range []int{0, 3000} {
		tr, ev, err := Load(Spec{Name: "synthetic", Train: n, C: 1, H: 8, W: 8, Classes: 4, Seed: 5}, Source{})
		if err != nil {
			t.Fatal(err)
		}
		want := max(n, SyntheticTrain)
		if !sameData(tr, Synthetic(want, 1, 8, 8, 4, 5)) || !sameData(ev, Synthetic(want/4, 1, 8, 8, 4, 6)) {
			t.Errorf("train %d: synthetic sets differ from Synthetic(%d) and Synthetic(%d)", n, want, want/4)
		}
	}
}

// TestLoadDefaultFromMemFS: the files as the page posts them give the
// sets read from the directory.
func TestLoadDefaultFromMemFS(t *testing.T) {
	m := MemFS{}
	for _, f := range []string{TrainImagesFile, TrainLabelsFile, EvalImagesFile, EvalLabelsFile} {
		b, err := os.ReadFile(filepath.Join("../../public/data", f))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = b
	}
	tr, ev, err := Load(Spec{Name: "fashion16", C: 1, H: DefaultSide, W: DefaultSide, Classes: 10}, Source{Fashion16: m})
	if err != nil {
		t.Fatal(err)
	}
	wantT, wantE, err := LoadDefault(public.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !sameData(tr, wantT) || !sameData(ev, wantE) || tr.Name != "fashion16-train" {
		t.Errorf("fashion16 from MemFS (%s, %s): not the embedded default sets", tr.Name, ev.Name)
	}
	delete(m, EvalLabelsFile)
	if _, _, err := LoadDefault(m); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestLoadIDXDir reads an IDX pair through an Opener and resizes it to
// the Spec's shape.
func TestLoadIDXDir(t *testing.T) {
	dir := t.TempDir()
	tr, ev, err := LoadDefault(os.DirFS("../../public/data"))
	if err != nil {
		t.Fatal(err)
	}
	for prefix, s := range map[string]*Set{"train": tr, "t10k": ev} {
		img, err := os.Create(filepath.Join(dir, prefix+"-images-idx3-ubyte"))
		if err != nil {
			t.Fatal(err)
		}
		lab, err := os.Create(filepath.Join(dir, prefix+"-labels-idx1-ubyte"))
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteIDX(img, lab, s); err != nil {
			t.Fatal(err)
		}
		img.Close()
		lab.Close()
	}
	gotT, gotE, err := Load(Spec{Name: "mnist", Dir: dir, C: 1, H: 8, W: 8, Classes: 10}, Source{Files: dirFiles{}})
	if err != nil {
		t.Fatal(err)
	}
	if gotT.H != 8 || !sameData(gotT, Resize(tr, 8, 8)) || !sameData(gotE, Resize(ev, 8, 8)) {
		t.Errorf("mnist from %s: not the files resized", dir)
	}
	for _, tc := range []struct {
		spec Spec
		src  Source
		want string
	}{
		{Spec{Name: "mnist"}, Source{}, "data.dir: dataset \"mnist\" needs the directory"},
		{Spec{Name: "fashion-mnist"}, Source{}, "data.dir: dataset \"fashion-mnist\" needs the directory"},
		{Spec{Name: "fashion-mnist"}, Source{FashionMNIST: dirFiles{}, FashionMNISTDir: t.TempDir()}, "no train-images-idx3 IDX file"},
		{Spec{Name: "cifar10"}, Source{}, "data.dir: cifar10 needs the directory"},
		{Spec{Name: "cifar100", Dir: dir}, Source{}, "the cifar100 binary version is needed"},
		{Spec{Name: "fashion16"}, Source{}, "not available"},
		{Spec{Name: "imagenet"}, Source{}, "is not known"},
	} {
		_, _, err := Load(tc.spec, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
}
