package data

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
)

// Spec names a dataset as a run's Config does (data.name, data.dir,
// data.train) with the image shape the run wants: real images are resized
// to H x W, synthetic ones are made C x H x W with Classes classes from
// Seed.
type Spec struct {
	Name  string // fashion16, synthetic, fashion-mnist, mnist, cifar10, cifar100
	Dir   string // the directory of the IDX or CIFAR binary files
	Train int    // data.train: synthetic data makes at least SyntheticTrain of them

	C, H, W, Classes int
	Seed             uint64
}

// SyntheticTrain is the fewest training images of synthetic data; the
// evaluation file has a quarter as many as the training file.
const SyntheticTrain = 2000

// Opener opens the files under a dataset's directory. field is the Config
// field that names them ("data.dir"), for its errors; ReadError turns a
// reader's error about name into what the caller may be told.
type Opener interface {
	Open(field, name string) (io.ReadCloser, error)
	ReadError(field, name string, err error) error
}

// Source is where Load reads files from.
type Source struct {
	Fashion16 fs.FS  // the default set's files (LoadDefault); nil: fashion16 is not available
	Files     Opener // files under Spec.Dir; nil: no dataset that needs a directory

	// FashionMNIST opens Fashion-MNIST's IDX files from FashionMNISTDir
	// when Spec.Dir is empty; nil: fashion-mnist then needs data.dir.
	FashionMNIST    Opener
	FashionMNISTDir string
}

// Load reads the training and evaluation files of s from src: the
// default set, synthetic data (the recipe of the browser and the server
// alike), or IDX and CIFAR files resized to s.H x s.W.
func Load(s Spec, src Source) (trainSet, evalSet *Set, err error) {
	files := src.Files
	switch s.Name {
	case "fashion16":
		if src.Fashion16 == nil {
			return nil, nil, fmt.Errorf("data.name %q: the default set's files are not available here", s.Name)
		}
		return LoadDefault(src.Fashion16)
	case "synthetic":
		n := max(s.Train, SyntheticTrain)
		return Synthetic(n, s.C, s.H, s.W, s.Classes, s.Seed), Synthetic(n/4, s.C, s.H, s.W, s.Classes, s.Seed+1), nil
	case "fashion-mnist", "mnist":
		dir := s.Dir
		if dir == "" && s.Name == "fashion-mnist" && src.FashionMNIST != nil {
			dir, files = src.FashionMNISTDir, src.FashionMNIST
		}
		if dir == "" {
			return nil, nil, fmt.Errorf("data.dir: dataset %q needs the directory of its IDX files", s.Name)
		}
		if trainSet, err = readIDXPair(files, dir, "train"); err != nil {
			return nil, nil, err
		}
		if evalSet, err = readIDXPair(files, dir, "t10k"); err != nil {
			return nil, nil, err
		}
	case "cifar10", "cifar100":
		if trainSet, evalSet, err = readCIFARDir(files, s.Name, s.Dir); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("data.name %q is not known", s.Name)
	}
	if trainSet.H != s.H || trainSet.W != s.W {
		trainSet, evalSet = Resize(trainSet, s.H, s.W), Resize(evalSet, s.H, s.W)
	}
	return trainSet, evalSet, nil
}

// noFiles opens nothing: a Source without Files.
type noFiles struct{}

func (noFiles) Open(field, name string) (io.ReadCloser, error) {
	return nil, fmt.Errorf("%s: %s: no files can be read here", field, name)
}

func (noFiles) ReadError(field, name string, err error) error { return err }

func readIDXPair(files Opener, dir, prefix string) (*Set, error) {
	if files == nil {
		files = noFiles{}
	}
	open := func(kind string) (io.ReadCloser, error) {
		for _, name := range []string{prefix + "-" + kind + "-ubyte.gz", prefix + "-" + kind + "-ubyte", prefix + "-" + kind + ".idx3-ubyte", prefix + "-" + kind + ".idx1-ubyte"} {
			if f, err := files.Open("data.dir", filepath.Join(dir, name)); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("data.dir %s: no %s-%s IDX file (looked for %s-%s-ubyte[.gz])", dir, prefix, kind, prefix, kind)
	}
	img, err := open("images-idx3")
	if err != nil {
		return nil, err
	}
	defer img.Close()
	lab, err := open("labels-idx1")
	if err != nil {
		return nil, err
	}
	defer lab.Close()
	set, err := ReadIDX(img, lab)
	return set, files.ReadError("data.dir", dir, err)
}

func readCIFARDir(files Opener, name, dir string) (trainSet, evalSet *Set, err error) {
	if dir == "" {
		return nil, nil, fmt.Errorf("data.dir: %s needs the directory of its binary files", name)
	}
	if files == nil {
		files = noFiles{}
	}
	read := func(file string) (*Set, error) {
		f, err := files.Open("data.dir", filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("%w (the %s binary version is needed)", err, name)
		}
		defer f.Close()
		var set *Set
		if name == "cifar100" {
			set, err = ReadCIFAR100(f, true)
		} else {
			set, err = ReadCIFAR10(f)
		}
		return set, files.ReadError("data.dir", filepath.Join(dir, file), err)
	}
	if name == "cifar100" {
		if trainSet, err = read("train.bin"); err != nil {
			return nil, nil, err
		}
		evalSet, err = read("test.bin")
		return trainSet, evalSet, err
	}
	var parts []*Set
	for i := 1; i <= 5; i++ {
		p, err := read(fmt.Sprintf("data_batch_%d.bin", i))
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, p)
	}
	if trainSet, err = Concat(parts...); err != nil {
		return nil, nil, err
	}
	evalSet, err = read("test_batch.bin")
	return trainSet, evalSet, err
}

// Synthetic makes a seeded, learnable toy dataset of n images: each class
// has a random template, and each image is its class's template plus noise.
// It stands in for real data in tests and benchmarks.
func Synthetic(n, c, h, w, classes int, seed uint64) *Set {
	r := rand.New(rand.NewPCG(seed, 0x5e))
	size := c * h * w
	tmpl := make([][]float64, classes)
	for k := range tmpl {
		tmpl[k] = make([]float64, size)
		for i := range tmpl[k] {
			tmpl[k][i] = 64 + 128*r.Float64()
		}
	}
	s := &Set{N: n, C: c, H: h, W: w, Classes: classes, Name: "synthetic",
		Pixels: make([]uint8, n*size), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		k := i % classes
		s.Labels[i] = uint8(k)
		for j := 0; j < size; j++ {
			v := tmpl[k][j] + 48*r.NormFloat64()
			s.Pixels[i*size+j] = uint8(min(max(v, 0), 255))
		}
	}
	return s
}
