package gemm

// simd.wasm is the WebAssembly kernel module (simd128) that Sgemm calls in
// the browser when the host loads it (see simd_js.go). It is generated and
// committed, so that building the site needs no wasm toolchain;
// internal/simdgen's test checks that it is up to date.
//
//go:generate go run ./internal/simdgen -out simd.wasm
