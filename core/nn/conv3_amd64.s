//go:build !purego

#include "textflag.h"

// The AVX-512 kernels of the direct 3x3 convolution (conv3.go). Both read
// the input straight from zero-padded planes: each tap of output column j
// is a plane read at j plus a fixed offset, so no im2col matrix is built.

// func convTile8x32(a, b, c *float32, ldc, cin, lc int, offs *int, taps int)
//
// C[8×32] = sum over input channels ci < cin and taps t < taps of
// a[ci][t][0:8] (broadcast down the rows) times the 32 floats at byte
// offset offs[t] from b + ci*lc floats. a holds 8 weights per tap; rows
// of C are ldc floats apart. C is overwritten.
TEXT ·convTile8x32(SB), NOSPLIT, $0-64
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ c+16(FP), DX
	MOVQ ldc+24(FP), R8
	SHLQ $2, R8
	MOVQ cin+32(FP), CX
	MOVQ lc+40(FP), R10
	SHLQ $2, R10
	MOVQ offs+48(FP), R12
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
	MOVQ R12, R14
	MOVQ taps+56(FP), BX

tap:
	MOVQ (R14), R13
	VMOVUPS (DI)(R13*1), Z16
	VMOVUPS 64(DI)(R13*1), Z17
	VBROADCASTSS 0(SI), Z18
	VBROADCASTSS 4(SI), Z19
	VBROADCASTSS 8(SI), Z20
	VBROADCASTSS 12(SI), Z21
	VFMADD231PS Z16, Z18, Z0
	VFMADD231PS Z17, Z18, Z1
	VFMADD231PS Z16, Z19, Z2
	VFMADD231PS Z17, Z19, Z3
	VFMADD231PS Z16, Z20, Z4
	VFMADD231PS Z17, Z20, Z5
	VFMADD231PS Z16, Z21, Z6
	VFMADD231PS Z17, Z21, Z7
	VBROADCASTSS 16(SI), Z22
	VBROADCASTSS 20(SI), Z23
	VBROADCASTSS 24(SI), Z24
	VBROADCASTSS 28(SI), Z25
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z16, Z23, Z10
	VFMADD231PS Z17, Z23, Z11
	VFMADD231PS Z16, Z24, Z12
	VFMADD231PS Z17, Z24, Z13
	VFMADD231PS Z16, Z25, Z14
	VFMADD231PS Z17, Z25, Z15
	ADDQ $32, SI
	ADDQ $8, R14
	DECQ BX
	JNZ  tap
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

// func wgradTile4x3(y, x *float32, offs *int, ldy, n int, out *float32)
//
// out[i*3+t] = the sum over j < n of y[i*ldy + j] times the float at
// byte offset offs[t] from x + j, for rows i < 4 and taps t < 3: the
// weight gradient of four output channels for three taps. n is a positive
// multiple of 16. Each sum is kept in 16 lanes and the lanes are added at
// the end, halves first.
TEXT ·wgradTile4x3(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ offs+16(FP), AX
	MOVQ 0(AX), R12
	MOVQ 8(AX), R13
	MOVQ 16(AX), R14
	MOVQ ldy+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	SHRQ $4, CX
	MOVQ out+40(FP), DX
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
	VMOVUPS (DI)(R12*1), Z16
	VMOVUPS (DI)(R13*1), Z17
	VMOVUPS (DI)(R14*1), Z18
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

	VEXTRACTF64X4 $1, Z0, Y12
	VADDPS Y12, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y12
	VADDPS Y12, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y12
	VADDPS Y12, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y12
	VADDPS Y12, Y3, Y3
	VEXTRACTF64X4 $1, Z4, Y12
	VADDPS Y12, Y4, Y4
	VEXTRACTF64X4 $1, Z5, Y12
	VADDPS Y12, Y5, Y5
	VEXTRACTF64X4 $1, Z6, Y12
	VADDPS Y12, Y6, Y6
	VEXTRACTF64X4 $1, Z7, Y12
	VADDPS Y12, Y7, Y7
	VEXTRACTF64X4 $1, Z8, Y12
	VADDPS Y12, Y8, Y8
	VEXTRACTF64X4 $1, Z9, Y12
	VADDPS Y12, Y9, Y9
	VEXTRACTF64X4 $1, Z10, Y12
	VADDPS Y12, Y10, Y10
	VEXTRACTF64X4 $1, Z11, Y12
	VADDPS Y12, Y11, Y11
	VHADDPS Y1, Y0, Y12
	VHADDPS Y3, Y2, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	VMOVUPS X12, 0(DX)
	VHADDPS Y5, Y4, Y12
	VHADDPS Y7, Y6, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	VMOVUPS X12, 16(DX)
	VHADDPS Y9, Y8, Y12
	VHADDPS Y11, Y10, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	VMOVUPS X12, 32(DX)
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
