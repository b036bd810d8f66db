//go:build amd64 && !purego

#include "textflag.h"

// One, eight float32 copies of 1.0 for rectify8's mask.
DATA maskOne<>+0(SB)/8, $0x3f8000003f800000
DATA maskOne<>+8(SB)/8, $0x3f8000003f800000
DATA maskOne<>+16(SB)/8, $0x3f8000003f800000
DATA maskOne<>+24(SB)/8, $0x3f8000003f800000
GLOBL maskOne<>(SB), RODATA|NOPTR, $32

// func rectify8(n int, x, d, out *float32)
//
// rectify8 writes, eight at a time, out = x * m, or out = d * m when d is
// not nil, with m = 1.0 where x >= 0 and 0.0 elsewhere (NaN included):
// rectify32's products, the multiplied value first.
TEXT ·rectify8(SB), NOSPLIT, $0-32
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   d+16(FP), BX
	MOVQ   out+24(FP), DI
	VMOVUPS maskOne<>(SB), Y15
	VXORPS Y14, Y14, Y14
	SHRQ   $3, CX
	JZ     rdone
	TESTQ  BX, BX
	JNZ    rgrad

rfwd:
	VMOVUPS (SI), Y0
	VCMPPS  $0x1d, Y14, Y0, Y1 // x >= 0, ordered: false for NaN
	VANDPS  Y15, Y1, Y1
	VMULPS  Y1, Y0, Y0         // x * m, x the first operand
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rfwd
	JMP     rdone

rgrad:
	VMOVUPS (SI), Y0
	VCMPPS  $0x1d, Y14, Y0, Y1
	VANDPS  Y15, Y1, Y1
	VMOVUPS (BX), Y2
	VMULPS  Y1, Y2, Y2         // d * m, d the first operand
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rgrad

rdone:
	VZEROUPPER
	RET

// func reluGrad8(n int, x, d, out *float32)
//
// reluGrad8 writes, eight at a time, out = d where x > 0 and +0 elsewhere
// (NaN included), d's bits kept or cleared by a mask, as reluGrad32.
TEXT ·reluGrad8(SB), NOSPLIT, $0-32
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   d+16(FP), BX
	MOVQ   out+24(FP), DI
	VXORPS Y14, Y14, Y14
	SHRQ   $3, CX
	JZ     gdone

gloop:
	VMOVUPS (SI), Y0
	VCMPPS  $0x1e, Y14, Y0, Y1 // x > 0, ordered: false for NaN
	VANDPS  (BX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     gloop

gdone:
	VZEROUPPER
	RET

// func relu8(n int, x, out *float32)
//
// relu8 writes, eight at a time, out = x where x > 0, x without its sign
// where x is a NaN, and +0 elsewhere, x's bits kept or cleared by masks:
// Go's max(x, 0) bit for bit, whose two MINSS of the negated operands give
// a NaN's payload with the sign bit clear.
TEXT ·relu8(SB), NOSPLIT, $0-24
	MOVQ    n+0(FP), CX
	MOVQ    x+8(FP), SI
	MOVQ    out+16(FP), DI
	VXORPS  Y14, Y14, Y14
	VPCMPEQD Y13, Y13, Y13
	VPSRLD  $1, Y13, Y13 // 0x7fffffff: all but the sign
	SHRQ    $3, CX
	JZ      fdone

floop:
	VMOVUPS (SI), Y0
	VCMPPS  $0x16, Y14, Y0, Y1 // not x <= 0, unordered: true for NaN
	VANDPS  Y0, Y1, Y1
	VANDPS  Y13, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     floop

fdone:
	VZEROUPPER
	RET

// func pairRectify8(n int, b, a, d, out *float32)
//
// pairRectify8 is rectify8 of x = b + a (b the first operand), computed
// eight at a time and never stored: out = x * m, or out = d * m when d is
// not nil, with m = 1.0 where x >= 0 and 0.0 elsewhere (NaN included).
TEXT ·pairRectify8(SB), NOSPLIT, $0-40
	MOVQ    n+0(FP), CX
	MOVQ    b+8(FP), SI
	MOVQ    a+16(FP), DX
	MOVQ    d+24(FP), BX
	MOVQ    out+32(FP), DI
	VMOVUPS maskOne<>(SB), Y15
	VXORPS  Y14, Y14, Y14
	SHRQ    $3, CX
	JZ      pdone
	TESTQ   BX, BX
	JNZ     pgrad

pfwd:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0       // b + a
	VCMPPS  $0x1d, Y14, Y0, Y1 // x >= 0, ordered: false for NaN
	VANDPS  Y15, Y1, Y1
	VMULPS  Y1, Y0, Y0         // x * m, x the first operand
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     pfwd
	JMP     pdone

pgrad:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VCMPPS  $0x1d, Y14, Y0, Y1
	VANDPS  Y15, Y1, Y1
	VMOVUPS (BX), Y2
	VMULPS  Y1, Y2, Y2         // d * m, d the first operand
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     pgrad

pdone:
	VZEROUPPER
	RET
