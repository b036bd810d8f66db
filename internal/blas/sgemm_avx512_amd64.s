//go:build amd64 && !openblas && !purego

#include "textflag.h"

// STEPZ accumulates one depth p for two 6-row slivers of A: it loads B's
// 16 values at BX into Z12, broadcasts each of the 12 rows' A values into
// Z13 or Z14, and adds their products, A's value the first operand as in
// kernel6x16, to the accumulators Z0..Z11 (one per row of the 12x16
// tile). Row i of the first sliver is at AX + i*R9 (rows 0-2) and R10 +
// (i-3)*R9 (rows 3-5), of the second at R12 and R13 likewise. It then
// moves A's four pointers R11 bytes on and B's R8.
#define STEPZ \
	VMOVUPS      (BX), Z12;          \
	VBROADCASTSS (AX), Z13;          \
	VFMADD231PS  Z12, Z13, Z0;       \
	VBROADCASTSS (AX)(R9*1), Z14;    \
	VFMADD231PS  Z12, Z14, Z1;       \
	VBROADCASTSS (AX)(R9*2), Z13;    \
	VFMADD231PS  Z12, Z13, Z2;       \
	VBROADCASTSS (R10), Z14;         \
	VFMADD231PS  Z12, Z14, Z3;       \
	VBROADCASTSS (R10)(R9*1), Z13;   \
	VFMADD231PS  Z12, Z13, Z4;       \
	VBROADCASTSS (R10)(R9*2), Z14;   \
	VFMADD231PS  Z12, Z14, Z5;       \
	VBROADCASTSS (R12), Z13;         \
	VFMADD231PS  Z12, Z13, Z6;       \
	VBROADCASTSS (R12)(R9*1), Z14;   \
	VFMADD231PS  Z12, Z14, Z7;       \
	VBROADCASTSS (R12)(R9*2), Z13;   \
	VFMADD231PS  Z12, Z13, Z8;       \
	VBROADCASTSS (R13), Z14;         \
	VFMADD231PS  Z12, Z14, Z9;       \
	VBROADCASTSS (R13)(R9*1), Z13;   \
	VFMADD231PS  Z12, Z13, Z10;      \
	VBROADCASTSS (R13)(R9*2), Z14;   \
	VFMADD231PS  Z12, Z14, Z11;      \
	ADDQ         R11, AX;            \
	ADDQ         R11, R10;           \
	ADDQ         R11, R12;           \
	ADDQ         R11, R13;           \
	ADDQ         R8, BX

// ZROWADD sets C = C + alpha*acc for one row of the tile at DX (alpha in
// Z14) and moves DX to the next row; ZROWSET sets C = alpha*acc; ZROWSCALE
// sets C = beta*C + alpha*acc (beta in Z15). Each rounds as the AVX2
// kernel's ROWADD, ROWSET and ROWSCALE do.
#define ZROWADD(r) \
	VMULPS  Z14, r, r;  \
	VADDPS  (DX), r, r; \
	VMOVUPS r, (DX);    \
	ADDQ    SI, DX

#define ZROWSET(r) \
	VMULPS  Z14, r, r; \
	VMOVUPS r, (DX);   \
	ADDQ    SI, DX

#define ZROWSCALE(r) \
	VMULPS  Z14, r, r;        \
	VMULPS  (DX), Z15, Z13;   \
	VADDPS  Z13, r, r;        \
	VMOVUPS r, (DX);          \
	ADDQ    SI, DX

#define ZSTORE(ROW) \
	ROW(Z0);  \
	ROW(Z1);  \
	ROW(Z2);  \
	ROW(Z3);  \
	ROW(Z4);  \
	ROW(Z5);  \
	ROW(Z6);  \
	ROW(Z7);  \
	ROW(Z8);  \
	ROW(Z9);  \
	ROW(Z10); \
	ROW(Z11); \
	VZEROUPPER; \
	RET

// func kernel12x16z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int)
TEXT ·kernel12x16z(SB), NOSPLIT, $0-88
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), AX
	MOVQ a1+16(FP), R12
	MOVQ rs+24(FP), R9
	SHLQ $2, R9
	MOVQ ds+32(FP), R11
	SHLQ $2, R11
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R8
	SHLQ $2, R8
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), SI
	SHLQ $2, SI
	LEAQ (AX)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R12)(R9*2), R13
	ADDQ R9, R13

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

	MOVQ CX, DI
	SHRQ $1, DI
	ANDQ $1, CX
	TESTQ DI, DI
	JZ   ztail

zloop2:
	STEPZ
	STEPZ
	DECQ DI
	JNZ  zloop2

ztail:
	TESTQ CX, CX
	JZ    zstore
	STEPZ

zstore:
	VBROADCASTSS alpha+72(FP), Z14
	MOVQ         mode+80(FP), CX
	CMPQ         CX, $1
	JEQ          zset
	JGT          zscale
	ZSTORE(ZROWADD)

zset:
	ZSTORE(ZROWSET)

zscale:
	VBROADCASTSS beta+76(FP), Z15
	ZSTORE(ZROWSCALE)

// STEPW accumulates one depth p for two 6-row slivers of A against 32
// columns of B: it loads B's two rows of 16 values at BX and BX+R14 into
// Z24 and Z25, broadcasts each of the 12 rows' A values into Z26 or Z27,
// and adds their products to the accumulators Z0..Z23 (two per row of the
// 12x32 tile, in the order of kernel6x16: A's value times B's). Row i of
// the first sliver is at AX + i*R9 (rows 0-2) and R10 + (i-3)*R9 (rows
// 3-5), of the second at R12 and R13 likewise. It then moves A's four
// pointers R11 bytes on and B's R8.
#define STEPW \
	VMOVUPS          (BX), Z24;         \
	VMOVUPS          (BX)(R14*1), Z25;  \
	VBROADCASTSS (AX), Z26;             \
	VFMADD231PS  Z24, Z26, Z0;          \
	VFMADD231PS  Z25, Z26, Z1;          \
	VBROADCASTSS (AX)(R9*1), Z27;       \
	VFMADD231PS  Z24, Z27, Z2;          \
	VFMADD231PS  Z25, Z27, Z3;          \
	VBROADCASTSS (AX)(R9*2), Z26;       \
	VFMADD231PS  Z24, Z26, Z4;          \
	VFMADD231PS  Z25, Z26, Z5;          \
	VBROADCASTSS (R10), Z27;            \
	VFMADD231PS  Z24, Z27, Z6;          \
	VFMADD231PS  Z25, Z27, Z7;          \
	VBROADCASTSS (R10)(R9*1), Z26;      \
	VFMADD231PS  Z24, Z26, Z8;          \
	VFMADD231PS  Z25, Z26, Z9;          \
	VBROADCASTSS (R10)(R9*2), Z27;      \
	VFMADD231PS  Z24, Z27, Z10;         \
	VFMADD231PS  Z25, Z27, Z11;         \
	VBROADCASTSS (R12), Z26;            \
	VFMADD231PS  Z24, Z26, Z12;         \
	VFMADD231PS  Z25, Z26, Z13;         \
	VBROADCASTSS (R12)(R9*1), Z27;      \
	VFMADD231PS  Z24, Z27, Z14;         \
	VFMADD231PS  Z25, Z27, Z15;         \
	VBROADCASTSS (R12)(R9*2), Z26;      \
	VFMADD231PS  Z24, Z26, Z16;         \
	VFMADD231PS  Z25, Z26, Z17;         \
	VBROADCASTSS (R13), Z27;            \
	VFMADD231PS  Z24, Z27, Z18;         \
	VFMADD231PS  Z25, Z27, Z19;         \
	VBROADCASTSS (R13)(R9*1), Z26;      \
	VFMADD231PS  Z24, Z26, Z20;         \
	VFMADD231PS  Z25, Z26, Z21;         \
	VBROADCASTSS (R13)(R9*2), Z27;      \
	VFMADD231PS  Z24, Z27, Z22;         \
	VFMADD231PS  Z25, Z27, Z23;         \
	ADDQ         R11, AX;               \
	ADDQ         R11, R10;              \
	ADDQ         R11, R12;              \
	ADDQ         R11, R13;              \
	ADDQ         R8, BX

// WROWADD, WROWSET and WROWSCALE store one row of the 12x32 tile, two
// registers, at DX as ZROWADD, ZROWSET and ZROWSCALE store one register,
// and move DX to the next row.
#define WROWADD(lo, hi) \
	VMULPS  Z28, lo, lo;    \
	VADDPS  (DX), lo, lo;   \
	VMOVUPS lo, (DX);       \
	VMULPS  Z28, hi, hi;    \
	VADDPS  64(DX), hi, hi; \
	VMOVUPS hi, 64(DX);     \
	ADDQ    SI, DX

#define WROWSET(lo, hi) \
	VMULPS  Z28, lo, lo;  \
	VMOVUPS lo, (DX);     \
	VMULPS  Z28, hi, hi;  \
	VMOVUPS hi, 64(DX);   \
	ADDQ    SI, DX

#define WROWSCALE(lo, hi) \
	VMULPS  Z28, lo, lo;      \
	VMULPS  (DX), Z29, Z30;   \
	VADDPS  Z30, lo, lo;      \
	VMOVUPS lo, (DX);         \
	VMULPS  Z28, hi, hi;      \
	VMULPS  64(DX), Z29, Z31; \
	VADDPS  Z31, hi, hi;      \
	VMOVUPS hi, 64(DX);       \
	ADDQ    SI, DX

// WROWSTREAM stores one row of a block as WROWSET does, with
// non-temporal stores that bypass the caches (C's rows must be 64-byte
// aligned); the caller fences them (sfence) before C is read.
#define WROWSTREAM(lo, hi) \
	VMULPS   Z28, lo, lo; \
	VMOVNTPS lo, (DX);    \
	VMULPS   Z28, hi, hi; \
	VMOVNTPS hi, 64(DX);  \
	ADDQ     SI, DX

#define WSTORE(ROW) \
	ROW(Z0, Z1); \
	ROW(Z2, Z3); \
	ROW(Z4, Z5); \
	ROW(Z6, Z7); \
	ROW(Z8, Z9); \
	ROW(Z10, Z11); \
	ROW(Z12, Z13); \
	ROW(Z14, Z15); \
	ROW(Z16, Z17); \
	ROW(Z18, Z19); \
	ROW(Z20, Z21); \
	ROW(Z22, Z23); \
	VZEROUPPER; \
	RET

// func kernel12x32z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int)
TEXT ·kernel12x32z(SB), NOSPLIT, $0-96
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), AX
	MOVQ a1+16(FP), R12
	MOVQ rs+24(FP), R9
	SHLQ $2, R9
	MOVQ ds+32(FP), R11
	SHLQ $2, R11
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R8
	SHLQ $2, R8
	MOVQ b2+56(FP), R14
	SHLQ $2, R14
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), SI
	SHLQ $2, SI
	LEAQ (AX)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R12)(R9*2), R13
	ADDQ R9, R13

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, DI
	SHRQ $1, DI
	ANDQ $1, CX
	TESTQ DI, DI
	JZ   wtail

wloop2:
	STEPW
	STEPW
	DECQ DI
	JNZ  wloop2

wtail:
	TESTQ CX, CX
	JZ    wstore
	STEPW

wstore:
	VBROADCASTSS alpha+80(FP), Z28
	MOVQ         mode+88(FP), CX
	CMPQ         CX, $1
	JEQ          wset
	CMPQ         CX, $3
	JEQ          wstream
	CMPQ         CX, $2
	JEQ          wscale
	WSTORE(WROWADD)

wstream:
	WSTORE(WROWSTREAM)

wset:
	WSTORE(WROWSET)

wscale:
	VBROADCASTSS beta+84(FP), Z29
	WSTORE(WROWSCALE)

// STEPV accumulates one depth p for one 6-row sliver of A against 32
// columns of B, as STEPW does for the first of its two slivers: B's two
// rows of 16 values at BX and BX+R14 into Z24 and Z25, each row's A value
// broadcast into Z26 or Z27, the products added to Z0..Z11. It then moves
// A's two pointers R11 bytes on and B's R8.
#define STEPV \
	VMOVUPS          (BX), Z24;         \
	VMOVUPS          (BX)(R14*1), Z25;  \
	VBROADCASTSS (AX), Z26;             \
	VFMADD231PS  Z24, Z26, Z0;          \
	VFMADD231PS  Z25, Z26, Z1;          \
	VBROADCASTSS (AX)(R9*1), Z27;       \
	VFMADD231PS  Z24, Z27, Z2;          \
	VFMADD231PS  Z25, Z27, Z3;          \
	VBROADCASTSS (AX)(R9*2), Z26;       \
	VFMADD231PS  Z24, Z26, Z4;          \
	VFMADD231PS  Z25, Z26, Z5;          \
	VBROADCASTSS (R10), Z27;            \
	VFMADD231PS  Z24, Z27, Z6;          \
	VFMADD231PS  Z25, Z27, Z7;          \
	VBROADCASTSS (R10)(R9*1), Z26;      \
	VFMADD231PS  Z24, Z26, Z8;          \
	VFMADD231PS  Z25, Z26, Z9;          \
	VBROADCASTSS (R10)(R9*2), Z27;      \
	VFMADD231PS  Z24, Z27, Z10;         \
	VFMADD231PS  Z25, Z27, Z11;         \
	ADDQ         R11, AX;               \
	ADDQ         R11, R10;              \
	ADDQ         R8, BX

#define VSTORE(ROW) \
	ROW(Z0, Z1); \
	ROW(Z2, Z3); \
	ROW(Z4, Z5); \
	ROW(Z6, Z7); \
	ROW(Z8, Z9); \
	ROW(Z10, Z11); \
	VZEROUPPER; \
	RET

// func kernel6x32z(k int, a *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int)
TEXT ·kernel6x32z(SB), NOSPLIT, $0-88
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rs+16(FP), R9
	SHLQ $2, R9
	MOVQ ds+24(FP), R11
	SHLQ $2, R11
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R8
	SHLQ $2, R8
	MOVQ b2+48(FP), R14
	SHLQ $2, R14
	MOVQ c+56(FP), DX
	MOVQ ldc+64(FP), SI
	SHLQ $2, SI
	LEAQ (AX)(R9*2), R10
	ADDQ R9, R10

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

	MOVQ  CX, DI
	SHRQ  $1, DI
	ANDQ  $1, CX
	TESTQ DI, DI
	JZ    vtail

vloop2:
	STEPV
	STEPV
	DECQ DI
	JNZ  vloop2

vtail:
	TESTQ CX, CX
	JZ    vstore
	STEPV

vstore:
	VBROADCASTSS alpha+72(FP), Z28
	MOVQ         mode+80(FP), CX
	CMPQ         CX, $1
	JEQ          vset
	CMPQ         CX, $3
	JEQ          vstream
	CMPQ         CX, $2
	JEQ          vscale
	VSTORE(WROWADD)

vstream:
	VSTORE(WROWSTREAM)

vset:
	VSTORE(WROWSET)

vscale:
	VBROADCASTSS beta+76(FP), Z29
	VSTORE(WROWSCALE)

// func sfence()
TEXT ·sfence(SB), NOSPLIT, $0-0
	SFENCE
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET
