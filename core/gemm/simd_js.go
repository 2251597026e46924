package gemm

import (
	_ "embed"
	"unsafe"
)

// The simd128 kernels live in their own WebAssembly module (simd.wasm,
// written by internal/simdgen) because Go's wasm compiler emits no SIMD
// instructions. The host (public/worker.js, or tools/wasmexec for tests
// and benchmarks under node) provides the "gemm" imports below: load
// instantiates the module on Go's own memory (env.mem) when the engine
// validates it, and sgemm forwards to its export. Each call costs about
// as much as a short function call (no syscall/js, no copies): the
// kernel reads and writes Go's slices in place.

//go:embed simd.wasm
var simdModule []byte

// simdLoad asks the host to instantiate the kernel module, n bytes at p;
// it returns 1 when the kernels are ready, 0 when the engine lacks
// simd128 or the host declines (then the pure-Go kernels run).
//
//go:wasmimport gemm load
func simdLoad(p unsafe.Pointer, n int32) int32

// simdCall is the module's sgemm: C = alpha*op(A)*op(B) + beta*C for
// m, n, k > 0, with the pure-Go kernel's order of operations. Leading
// dimensions and wsLen count float32s; ws is scratch for the packed B.
//
//go:wasmimport gemm sgemm
func simdCall(tA, tB, m, n, k int32, alpha float32, a unsafe.Pointer, lda int32, b unsafe.Pointer, ldb int32, beta float32, c unsafe.Pointer, ldc int32, ws unsafe.Pointer, wsLen int32)

// simdScratch is internal/simdgen's Scratch: a kc×nc block of packed B
// and one micro-tile. The kernel traps when given less.
const simdScratch = 256*256 + 4*8

// simdWS is the kernel's scratch. One is enough: a wasm program has one
// thread, and a call into the kernel runs to completion before any other
// goroutine runs.
var simdWS []float32

// simdOn says whether the kernel module is loaded.
var simdOn = loadSIMD()

func loadSIMD() bool {
	if simdLoad(unsafe.Pointer(&simdModule[0]), int32(len(simdModule))) != 1 {
		return false
	}
	simdWS = make([]float32, simdScratch)
	return true
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// simdSgemm is the simd128 product for m, n, k > 0 and alpha != 0, with
// Sgemm's arguments already checked. It must only run when simdOn.
func simdSgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	simdCall(b2i(tA), b2i(tB), int32(m), int32(n), int32(k), alpha,
		unsafe.Pointer(&a[0]), int32(lda), unsafe.Pointer(&b[0]), int32(ldb), beta,
		unsafe.Pointer(&c[0]), int32(ldc), unsafe.Pointer(&simdWS[0]), int32(len(simdWS)))
}

// simdIm2col and simdCol2im are the module's im2col and col2im: Im2colSame
// and Col2imSame on one channel, for n*h*w > 0.
//
//go:wasmimport gemm im2col
func simdIm2col(col, src unsafe.Pointer, n, h, w, k, pad int32)

//go:wasmimport gemm col2im
func simdCol2im(acc, col unsafe.Pointer, n, h, w, k, pad int32)

func im2colSame(col, src []float32, n, h, w, k, pad int) {
	if !simdOn {
		im2colSameGo(col, src, n, h, w, k, pad)
		return
	}
	simdIm2col(unsafe.Pointer(&col[0]), unsafe.Pointer(&src[0]), int32(n), int32(h), int32(w), int32(k), int32(pad))
}

func col2imSame(acc, col []float32, n, h, w, k, pad int) {
	if !simdOn {
		col2imSameGo(acc, col, n, h, w, k, pad)
		return
	}
	simdCol2im(unsafe.Pointer(&acc[0]), unsafe.Pointer(&col[0]), int32(n), int32(h), int32(w), int32(k), int32(pad))
}

// simdIm2cols and simdCol2ims are the module's general (strided) im2col
// and col2im: Im2col and Col2im on one channel, for n*ho*wo > 0.
//
//go:wasmimport gemm im2cols
func simdIm2cols(col, src unsafe.Pointer, n, h, w, k, pad, stride, ho, wo int32)

//go:wasmimport gemm col2ims
func simdCol2ims(acc, col unsafe.Pointer, n, h, w, k, pad, stride, ho, wo int32)

func im2colGen(col, src []float32, n, h, w, k, pad, stride, ho, wo int) {
	if !simdOn || h*w == 0 {
		im2colGo(col, src, n, h, w, k, pad, stride, ho, wo)
		return
	}
	simdIm2cols(unsafe.Pointer(&col[0]), unsafe.Pointer(&src[0]), int32(n), int32(h), int32(w), int32(k), int32(pad), int32(stride), int32(ho), int32(wo))
}

func col2imGen(acc, col []float32, n, h, w, k, pad, stride, ho, wo int) {
	if !simdOn || h*w == 0 {
		col2imGo(acc, col, n, h, w, k, pad, stride, ho, wo)
		return
	}
	simdCol2ims(unsafe.Pointer(&acc[0]), unsafe.Pointer(&col[0]), int32(n), int32(h), int32(w), int32(k), int32(pad), int32(stride), int32(ho), int32(wo))
}
