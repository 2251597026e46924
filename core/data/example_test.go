package data_test

import (
	"bytes"
	"fmt"
	"log"
	"math/rand/v2"

	"pada/core/data"
	"pada/core/data/digest"
	"pada/public"
)

func ExampleReadIDX() {
	// Two 2x2 images, written and read back in memory. ReadIDX reads
	// *os.File values (gzipped or not) the same way.
	s := &data.Set{N: 2, C: 1, H: 2, W: 2, Classes: 10,
		Pixels: []uint8{0, 64, 128, 255, 9, 9, 9, 9}, Labels: []uint8{7, 3}}
	var images, labels bytes.Buffer
	if err := data.WriteIDX(&images, &labels, s); err != nil {
		log.Fatal(err)
	}
	got, err := data.ReadIDX(&images, &labels)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.N, got.H, got.W, got.Labels, got.Image(0))

	// A header that promises more than the file holds.
	images.Reset()
	labels.Reset()
	data.WriteIDX(&images, &labels, s)
	_, err = data.ReadIDX(bytes.NewReader(images.Bytes()[:20]), &labels)
	fmt.Println(err)
	// Output:
	// 2 2 2 [7 3] [0 64 128 255]
	// data: images: byte 20: truncated pixels: header promises 8 bytes from byte 16, only 4 present: unexpected EOF
}

func ExampleResize() {
	// 3x3 -> 2x2: each output pixel covers 1.5x1.5 source pixels.
	s := &data.Set{N: 1, C: 1, H: 3, W: 3, Classes: 1, Labels: []uint8{0},
		Pixels: []uint8{0, 30, 60, 90, 120, 150, 180, 210, 240}}
	fmt.Println(data.Resize(s, 2, 2).Pixels)
	// Output: [40 80 160 200]
}

func ExampleSplit() {
	train, val, err := data.Split(10, 0.3, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(train), len(val))
	// Output: 7 3
}

func ExampleLoadDefault() {
	train, eval, err := data.LoadDefault(public.Data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Name, train.N, train.H, train.W, data.FashionClasses[train.Labels[0]])
	fmt.Println(eval.Name, eval.N, digest.Of(eval) == data.EvalHash)

	// Training reads normalised batches through data.Images.
	mean, std := data.Stats(train)
	var imgs data.Images = data.Normalize(train, mean, std)
	x := make([]float32, 4*1*16*16)
	y := make([]int32, 4)
	imgs.Batch(x, y, []int{0, 1, 2, 3}, true, rand.New(rand.NewPCG(1, 2)))
	fmt.Printf("mean %.3f std %.3f\n", mean[0], std[0])
	// Output:
	// fashion16-train 8000 16 16 Coat
	// fashion16-eval 10000 true
	// mean 0.285 std 0.327
}
