//go:build !purego

#include "textflag.h"

// The AVX-512 kernels of the direct 3x3 convolution (conv3.go). Both read
// the input straight from zero-padded planes: a tap (kh, kw) of output
// column j is the plane at j + kh*wp + kw, so no im2col matrix is built.

// TAP multiplies the 32 input values at byte offset off of R11 by the 8
// weights at SI (one per output row) into the accumulators Z0-Z15, then
// steps SI to the next tap's weights.
#define TAP(off) \
	VMOVUPS off(R11), Z16 \
	VMOVUPS off+64(R11), Z17 \
	VBROADCASTSS 0(SI), Z18 \
	VBROADCASTSS 4(SI), Z19 \
	VBROADCASTSS 8(SI), Z20 \
	VBROADCASTSS 12(SI), Z21 \
	VFMADD231PS Z16, Z18, Z0 \
	VFMADD231PS Z17, Z18, Z1 \
	VFMADD231PS Z16, Z19, Z2 \
	VFMADD231PS Z17, Z19, Z3 \
	VFMADD231PS Z16, Z20, Z4 \
	VFMADD231PS Z17, Z20, Z5 \
	VFMADD231PS Z16, Z21, Z6 \
	VFMADD231PS Z17, Z21, Z7 \
	VBROADCASTSS 16(SI), Z22 \
	VBROADCASTSS 20(SI), Z23 \
	VBROADCASTSS 24(SI), Z24 \
	VBROADCASTSS 28(SI), Z25 \
	VFMADD231PS Z16, Z22, Z8 \
	VFMADD231PS Z17, Z22, Z9 \
	VFMADD231PS Z16, Z23, Z10 \
	VFMADD231PS Z17, Z23, Z11 \
	VFMADD231PS Z16, Z24, Z12 \
	VFMADD231PS Z17, Z24, Z13 \
	VFMADD231PS Z16, Z25, Z14 \
	VFMADD231PS Z17, Z25, Z15 \
	ADDQ $32, SI

// func convTile8x32(a, b, c *float32, ldc, cin, wp, lc int)
//
// C[8×32] = sum over input channels ci < cin and taps (kh, kw) < 3×3 of
// a[ci][kh][kw][0:8] (broadcast down the rows) times the 32 floats at
// b + ci*lc + kh*wp + kw. a holds 8 weights per tap, taps in (ci, kh, kw)
// order; rows of C are ldc floats apart. C is overwritten.
TEXT ·convTile8x32(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ c+16(FP), DX
	MOVQ ldc+24(FP), R8
	SHLQ $2, R8
	MOVQ cin+32(FP), CX
	MOVQ wp+40(FP), R9
	SHLQ $2, R9
	MOVQ lc+48(FP), R10
	SHLQ $2, R10
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15

channel:
	MOVQ DI, R11
	MOVQ $3, BX

row:
	TAP(0)
	TAP(4)
	TAP(8)
	ADDQ R9, R11
	DECQ BX
	JNZ  row
	ADDQ R10, DI
	DECQ CX
	JNZ  channel

	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z8, (DX)
	VMOVUPS Z9, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z10, (DX)
	VMOVUPS Z11, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z12, (DX)
	VMOVUPS Z13, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z14, (DX)
	VMOVUPS Z15, 64(DX)
	VZEROUPPER
	RET

// func wgradTile4x3(y, x *float32, ldy, n int, out *float32)
//
// out[(i*3+t)*16 : +16] = the 16 lane-wise partial sums, over j < n, of
// y[i*ldy + j] * x[j + t], for rows i < 4 and shifts t < 3: the weight
// gradient of four output channels for the three taps of one kernel row,
// left for the caller to sum across lanes. n is a positive multiple of 16.
TEXT ·wgradTile4x3(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ ldy+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	SHRQ $4, CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11

loop:
	VMOVUPS (DI), Z16
	VMOVUPS 4(DI), Z17
	VMOVUPS 8(DI), Z18
	VMOVUPS (SI), Z12
	VMOVUPS (R9), Z13
	VMOVUPS (R10), Z14
	VMOVUPS (R11), Z15
	VFMADD231PS Z16, Z12, Z0
	VFMADD231PS Z17, Z12, Z1
	VFMADD231PS Z18, Z12, Z2
	VFMADD231PS Z16, Z13, Z3
	VFMADD231PS Z17, Z13, Z4
	VFMADD231PS Z18, Z13, Z5
	VFMADD231PS Z16, Z14, Z6
	VFMADD231PS Z17, Z14, Z7
	VFMADD231PS Z18, Z14, Z8
	VFMADD231PS Z16, Z15, Z9
	VFMADD231PS Z17, Z15, Z10
	VFMADD231PS Z18, Z15, Z11
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JNZ  loop

	VMOVUPS Z0, 0(DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	VMOVUPS Z4, 256(DX)
	VMOVUPS Z5, 320(DX)
	VMOVUPS Z6, 384(DX)
	VMOVUPS Z7, 448(DX)
	VMOVUPS Z8, 512(DX)
	VMOVUPS Z9, 576(DX)
	VMOVUPS Z10, 640(DX)
	VMOVUPS Z11, 704(DX)
	VZEROUPPER
	RET

// func reluPlanes(x *float32, n int)
//
// x[i] = 0 where x[i] <= 0 (or -0), as relu does, for i < n, a positive
// multiple of 16. Comparing the bits as signed integers with zero keeps
// exactly the positive values (and NaNs with the sign bit clear).
TEXT ·reluPlanes(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $4, CX
	VPXORD Z31, Z31, Z31

reluLoop:
	VMOVUPS (DI), Z0
	VPCMPGTD Z31, Z0, K1
	VMOVDQU32.Z Z0, K1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ  reluLoop
	VZEROUPPER
	RET

// func maskPositive(x, m *float32, n int)
//
// x[i] = 0 where m[i] <= 0 (or -0), for i < n, a positive multiple of 16:
// the gradient through a ReLU whose output was m.
TEXT ·maskPositive(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	MOVQ m+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	VPXORD Z31, Z31, Z31

maskLoop:
	VMOVUPS (SI), Z0
	VPCMPGTD Z31, Z0, K1
	VMOVUPS (DI), Z1
	VMOVDQU32.Z Z1, K1, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	DECQ CX
	JNZ  maskLoop
	VZEROUPPER
	RET
