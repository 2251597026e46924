package npz_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"pada/core/npz"
)

func ExampleWriter() {
	// Write two tensors under state_dict keys, as a checkpoint does.
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	if err := w.Float32("cells.0.edges.1<-0.3.op.1.weight", []int{2, 1, 1, 1}, []float32{0.5, -1}); err != nil {
		log.Fatal(err)
	}
	if err := w.Int64("probe/target", []int{3}, []int64{7, 0, 2}); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	// Read them back, as PyTorch's side would with np.load.
	r, err := npz.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range r.Names() {
		a, err := r.Array(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.Name, a.Dtype, a.Shape, a.Float32, a.Int64)
	}
	// Output:
	// cells.0.edges.1<-0.3.op.1.weight <f4 [2 1 1 1] [0.5 -1] []
	// probe/target <i8 [3] [] [7 0 2]
}

func ExampleReadNPY() {
	f, err := os.Open("testdata/golden_v1.npy") // written by np.save
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	a, err := npz.ReadNPY(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Dtype, a.Shape, a.Float32)

	// A header that promises more data than the file holds is an error.
	_, err = npz.ReadNPY(bytes.NewReader([]byte("\x93NUMPY\x01\x00\x3c\x00" +
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n" +
		"only 20 bytes here..")))
	fmt.Println(err)
	// Output:
	// <f4 [2 3] [-0.5 -0.25 0 0.25 0.5 0.75]
	// npz: .npy data at byte 70: shape (3, 4) needs 48 bytes of data, have 20
}
