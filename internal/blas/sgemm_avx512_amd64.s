//go:build amd64 && !openblas && !purego

#include "textflag.h"

// shallowDepth is the depth up to which the 12x32 and 6x32 kernels
// prefetch their block of C before they compute it.
#define shallowDepth 64

// ZERO12 clears twelve accumulators.
#define ZERO12(A, B, C, D, E, F, G, H, I, J, K, L) \
	VPXORD A, A, A; \
	VPXORD B, B, B; \
	VPXORD C, C, C; \
	VPXORD D, D, D; \
	VPXORD E, E, E; \
	VPXORD F, F, F; \
	VPXORD G, G, G; \
	VPXORD H, H, H; \
	VPXORD I, I, I; \
	VPXORD J, J, J; \
	VPXORD K, K, K; \
	VPXORD L, L, L

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

	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)

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

// SLIVERW adds one depth's products for one 6-row sliver of A, rows 0-2
// at P + i*R9 and rows 3-5 at Q + (i-3)*R9, against B's 32 values in Z24
// and Z25, to the accumulators of its rows, two a row (A0 and A1 for row
// 0, ..., L0 and L1 for row 5). Each row's A value is broadcast into Z26
// or Z27 in turn, and multiplied first, as in kernel6x16.
#define SLIVERW(P, Q, A0, A1, B0, B1, C0, C1, D0, D1, E0, E1, L0, L1) \
	VBROADCASTSS (P), Z26;         \
	VFMADD231PS  Z24, Z26, A0;     \
	VFMADD231PS  Z25, Z26, A1;     \
	VBROADCASTSS (P)(R9*1), Z27;   \
	VFMADD231PS  Z24, Z27, B0;     \
	VFMADD231PS  Z25, Z27, B1;     \
	VBROADCASTSS (P)(R9*2), Z26;   \
	VFMADD231PS  Z24, Z26, C0;     \
	VFMADD231PS  Z25, Z26, C1;     \
	VBROADCASTSS (Q), Z27;         \
	VFMADD231PS  Z24, Z27, D0;     \
	VFMADD231PS  Z25, Z27, D1;     \
	VBROADCASTSS (Q)(R9*1), Z26;   \
	VFMADD231PS  Z24, Z26, E0;     \
	VFMADD231PS  Z25, Z26, E1;     \
	VBROADCASTSS (Q)(R9*2), Z27;   \
	VFMADD231PS  Z24, Z27, L0;     \
	VFMADD231PS  Z25, Z27, L1

// STEPW accumulates one depth p for two 6-row slivers of A against 32
// columns of B: it loads B's two rows of 16 values at BX and BX+R14 into
// Z24 and Z25 and adds the first sliver's products (rows at AX and R10)
// to Z0..Z11 and the second's (at R12 and R13) to Z12..Z23 (SLIVERW). It
// then moves A's four pointers R11 bytes on and B's R8.
#define STEPW \
	VMOVUPS (BX), Z24;                                                       \
	VMOVUPS (BX)(R14*1), Z25;                                                \
	SLIVERW(AX, R10, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11);      \
	SLIVERW(R12, R13, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	ADDQ    R11, AX;                                                         \
	ADDQ    R11, R10;                                                        \
	ADDQ    R11, R12;                                                        \
	ADDQ    R11, R13;                                                        \
	ADDQ    R8, BX

// STEPWP is STEPW that also prefetches B's 32 values 32 depths ahead
// (at R15 and R15+R14, which it moves on with BX), for a B read in place
// from memory: its depths are rows of B, too far apart for the
// hardware's prefetchers to follow. (Where B's rows are not 64-byte
// aligned the values span a third cache line, left to the load; where k
// is 32 or less the prefetches fall past the depths the block reads.)
#define STEPWP \
	PREFETCHT0 (R15);         \
	PREFETCHT0 (R15)(R14*1);  \
	ADDQ       R8, R15;       \
	STEPW

// STEPWN is STEPWP that also prefetches, into L2, the 32 values of the
// same depth of the block that runs next, at BX+CX and 64 bytes on: CX
// is next - b, which kernel12x32z keeps there while it loops, and the
// second sixteen columns of a pair read in place start 64 bytes on.
#define STEPWN \
	PREFETCHT1 (BX)(CX*1);    \
	PREFETCHT1 64(BX)(CX*1);  \
	STEPWP

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

// SIXROWS stores six rows of a block, two registers a row, with ROW.
#define SIXROWS(ROW, A0, A1, B0, B1, C0, C1, D0, D1, E0, E1, L0, L1) \
	ROW(A0, A1); \
	ROW(B0, B1); \
	ROW(C0, C1); \
	ROW(D0, D1); \
	ROW(E0, E1); \
	ROW(L0, L1)

// WSTORE stores the 12 rows of a 12x32 block with ROW, and returns.
#define WSTORE(ROW) \
	SIXROWS(ROW, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11);         \
	SIXROWS(ROW, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	VZEROUPPER;                                                            \
	RET

// PREFETCHROWS6 prefetches six rows of two cache lines each at DI, ldc SI
// bytes apart, and moves DI past them.
#define PREFETCHROWS6 \
	PREFETCHT0 (DI); PREFETCHT0 64(DI); ADDQ SI, DI; \
	PREFETCHT0 (DI); PREFETCHT0 64(DI); ADDQ SI, DI; \
	PREFETCHT0 (DI); PREFETCHT0 64(DI); ADDQ SI, DI; \
	PREFETCHT0 (DI); PREFETCHT0 64(DI); ADDQ SI, DI; \
	PREFETCHT0 (DI); PREFETCHT0 64(DI); ADDQ SI, DI; \
	PREFETCHT0 (DI); PREFETCHT0 64(DI); ADDQ SI, DI

// PREFETCHC12 prefetches the 12 rows of a 12x32 block of C at DX, ldc SI
// bytes apart, with DI as scratch.
#define PREFETCHC12 \
	MOVQ DX, DI;   \
	PREFETCHROWS6; \
	PREFETCHROWS6

// func kernel12x32z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int, next *float32)
TEXT ·kernel12x32z(SB), NOSPLIT, $0-104
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

	// A shallow block stores C soon after it starts: C's rows are
	// fetched first, unless they are to be streamed.
	CMPQ CX, $shallowDepth
	JGT  wzero
	MOVQ mode+88(FP), DI
	CMPQ DI, $3
	JEQ  wzero
	PREFETCHC12

wzero:
	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO12(Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

	MOVQ CX, DI
	SHRQ $1, DI
	ANDQ $1, CX
	TESTQ DI, DI
	JZ   wtail
	CMPQ R8, $64
	JNE  wfar

wloop2:
	STEPW
	STEPW
	DECQ DI
	JNZ  wloop2
	JMP  wtail

	// B read in place: prefetched 32 depths ahead.
wfar:
	MOVQ R8, R15
	SHLQ $5, R15
	ADDQ BX, R15
	MOVQ next+96(FP), CX
	SUBQ BX, CX
	JNZ  wloopnext

wloopfar:
	STEPWP
	STEPWP
	DECQ DI
	JNZ  wloopfar
	JMP  wfartail

wloopnext:
	STEPWN
	STEPWN
	DECQ DI
	JNZ  wloopnext

wfartail:
	MOVQ k+0(FP), CX
	ANDQ $1, CX

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
// columns of B, as STEPW does for the first of its two slivers. It then
// moves A's two pointers R11 bytes on and B's R8.
#define STEPV \
	VMOVUPS (BX), Z24;                                                  \
	VMOVUPS (BX)(R14*1), Z25;                                           \
	SLIVERW(AX, R10, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11); \
	ADDQ    R11, AX;                                                    \
	ADDQ    R11, R10;                                                   \
	ADDQ    R8, BX

// VSTORE stores the 6 rows of a 6x32 block with ROW, and returns.
#define VSTORE(ROW) \
	SIXROWS(ROW, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11); \
	VZEROUPPER;                                                    \
	RET

// PREFETCHC6 prefetches the 6 rows of a 6x32 block of C at DX, ldc SI
// bytes apart, with DI as scratch.
#define PREFETCHC6 \
	MOVQ DX, DI; \
	PREFETCHROWS6

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

	// As in kernel12x32z, a shallow block's rows of C are fetched first.
	CMPQ CX, $shallowDepth
	JGT  vzero
	MOVQ mode+80(FP), DI
	CMPQ DI, $3
	JEQ  vzero
	PREFETCHC6

vzero:
	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)

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
