//go:build amd64 && !openblas && !purego

#include "textflag.h"

// STEPZ accumulates one depth p for two 6-row slivers of A: it loads B's
// 16 values at BX into Z12 and adds their products with each of the 12
// rows' A values, broadcast from memory, to the accumulators Z0..Z11 (one
// per row of the 12x16 tile). Row i of the first sliver is at AX + i*R9
// (rows 0-2) and R10 + (i-3)*R9 (rows 3-5), of the second at R12 and R13
// likewise. It then moves A's four pointers R11 bytes on and B's R8.
#define STEPZ \
	VMOVUPS          (BX), Z12;            \
	VFMADD231PS.BCST (AX), Z12, Z0;        \
	VFMADD231PS.BCST (AX)(R9*1), Z12, Z1;  \
	VFMADD231PS.BCST (AX)(R9*2), Z12, Z2;  \
	VFMADD231PS.BCST (R10), Z12, Z3;       \
	VFMADD231PS.BCST (R10)(R9*1), Z12, Z4; \
	VFMADD231PS.BCST (R10)(R9*2), Z12, Z5; \
	VFMADD231PS.BCST (R12), Z12, Z6;       \
	VFMADD231PS.BCST (R12)(R9*1), Z12, Z7; \
	VFMADD231PS.BCST (R12)(R9*2), Z12, Z8; \
	VFMADD231PS.BCST (R13), Z12, Z9;       \
	VFMADD231PS.BCST (R13)(R9*1), Z12, Z10; \
	VFMADD231PS.BCST (R13)(R9*2), Z12, Z11; \
	ADDQ             R11, AX;              \
	ADDQ             R11, R10;             \
	ADDQ             R11, R12;             \
	ADDQ             R11, R13;             \
	ADDQ             R8, BX

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
