//go:build amd64 && !openblas && !purego

// The openblas build uses cgo, and a cgo package cannot hold Go assembly,
// so that build leaves the kernel out.

#include "textflag.h"

// STEP accumulates one depth p: it loads B's 16 values at bo(BX) into
// Y12 and Y13, broadcasts A's 6 values at ao(AX), and adds their products
// to the accumulators Y0..Y11 (two per row of the tile).
#define STEP(ao, bo) \
	VMOVUPS      bo(BX), Y12;        \
	VMOVUPS      bo+32(BX), Y13;     \
	VBROADCASTSS ao(AX), Y14;        \
	VFMADD231PS  Y12, Y14, Y0;       \
	VFMADD231PS  Y13, Y14, Y1;       \
	VBROADCASTSS ao+4(AX), Y15;      \
	VFMADD231PS  Y12, Y15, Y2;       \
	VFMADD231PS  Y13, Y15, Y3;       \
	VBROADCASTSS ao+8(AX), Y14;      \
	VFMADD231PS  Y12, Y14, Y4;       \
	VFMADD231PS  Y13, Y14, Y5;       \
	VBROADCASTSS ao+12(AX), Y15;     \
	VFMADD231PS  Y12, Y15, Y6;       \
	VFMADD231PS  Y13, Y15, Y7;       \
	VBROADCASTSS ao+16(AX), Y14;     \
	VFMADD231PS  Y12, Y14, Y8;       \
	VFMADD231PS  Y13, Y14, Y9;       \
	VBROADCASTSS ao+20(AX), Y15;     \
	VFMADD231PS  Y12, Y15, Y10;      \
	VFMADD231PS  Y13, Y15, Y11

// ROWADD sets C = C + alpha*acc for one row of the tile at DX (alpha in
// Y12) and moves DX to the next row.
#define ROWADD(lo, hi) \
	VMULPS  Y12, lo, lo;      \
	VADDPS  (DX), lo, lo;     \
	VMOVUPS lo, (DX);         \
	VMULPS  Y12, hi, hi;      \
	VADDPS  32(DX), hi, hi;   \
	VMOVUPS hi, 32(DX);       \
	ADDQ    SI, DX

// ROWSET sets C = alpha*acc without reading C.
#define ROWSET(lo, hi) \
	VMULPS  Y12, lo, lo;      \
	VMOVUPS lo, (DX);         \
	VMULPS  Y12, hi, hi;      \
	VMOVUPS hi, 32(DX);       \
	ADDQ    SI, DX

// ROWSCALE sets C = beta*C + alpha*acc (beta in Y13).
#define ROWSCALE(lo, hi) \
	VMULPS  Y12, lo, lo;      \
	VMULPS  (DX), Y13, Y14;   \
	VADDPS  Y14, lo, lo;      \
	VMOVUPS lo, (DX);         \
	VMULPS  Y12, hi, hi;      \
	VMULPS  32(DX), Y13, Y15; \
	VADDPS  Y15, hi, hi;      \
	VMOVUPS hi, 32(DX);       \
	ADDQ    SI, DX

// ZEROACC clears the accumulators Y0..Y11.
#define ZEROACC \
	VXORPS Y0, Y0, Y0;    \
	VXORPS Y1, Y1, Y1;    \
	VXORPS Y2, Y2, Y2;    \
	VXORPS Y3, Y3, Y3;    \
	VXORPS Y4, Y4, Y4;    \
	VXORPS Y5, Y5, Y5;    \
	VXORPS Y6, Y6, Y6;    \
	VXORPS Y7, Y7, Y7;    \
	VXORPS Y8, Y8, Y8;    \
	VXORPS Y9, Y9, Y9;    \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// STOREADD, STORESET and STORESCALE store the whole tile as ROWADD,
// ROWSET and ROWSCALE store a row, and return.
#define STOREADD \
	ROWADD(Y0, Y1);   \
	ROWADD(Y2, Y3);   \
	ROWADD(Y4, Y5);   \
	ROWADD(Y6, Y7);   \
	ROWADD(Y8, Y9);   \
	ROWADD(Y10, Y11); \
	VZEROUPPER;       \
	RET

#define STORESET \
	ROWSET(Y0, Y1);   \
	ROWSET(Y2, Y3);   \
	ROWSET(Y4, Y5);   \
	ROWSET(Y6, Y7);   \
	ROWSET(Y8, Y9);   \
	ROWSET(Y10, Y11); \
	VZEROUPPER;       \
	RET

#define STORESCALE \
	ROWSCALE(Y0, Y1);   \
	ROWSCALE(Y2, Y3);   \
	ROWSCALE(Y4, Y5);   \
	ROWSCALE(Y6, Y7);   \
	ROWSCALE(Y8, Y9);   \
	ROWSCALE(Y10, Y11); \
	VZEROUPPER;         \
	RET

// func kernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, mode int)
TEXT ·kernel6x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), SI
	SHLQ $2, SI

	ZEROACC

	MOVQ CX, DI
	SHRQ $2, DI
	ANDQ $3, CX
	TESTQ DI, DI
	JZ   tail

loop4:
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ DI
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    store

loop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

store:
	VBROADCASTSS alpha+40(FP), Y12
	MOVQ         mode+48(FP), CX
	CMPQ         CX, $1
	JEQ          set
	JGT          scale
	STOREADD

set:
	STORESET

scale:
	VBROADCASTSS beta+44(FP), Y13
	STORESCALE

// func kernel6x16s(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int)
//
// kernel6x16s is kernel6x16 reading B in place: depth p's 16 values are
// at b + p*ldb instead of a packed sliver's b + p*16.
TEXT ·kernel6x16s(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), SI
	SHLQ $2, SI

	ZEROACC

	MOVQ CX, DI
	SHRQ $2, DI
	ANDQ $3, CX
	TESTQ DI, DI
	JZ   stail

sloop4:
	STEP(0, 0)
	ADDQ R8, BX
	STEP(24, 0)
	ADDQ R8, BX
	STEP(48, 0)
	ADDQ R8, BX
	STEP(72, 0)
	ADDQ R8, BX
	ADDQ $96, AX
	DECQ DI
	JNZ  sloop4

stail:
	TESTQ CX, CX
	JZ    sstore

sloop1:
	STEP(0, 0)
	ADDQ $24, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  sloop1

sstore:
	VBROADCASTSS alpha+48(FP), Y12
	MOVQ         mode+56(FP), CX
	CMPQ         CX, $1
	JEQ          sset
	JGT          sscale
	STOREADD

sset:
	STORESET

sscale:
	VBROADCASTSS beta+52(FP), Y13
	STORESCALE

// STEPA is STEP with A read in place: row i of the tile at AX + i*R9 for
// rows 0-2 and at R10 + (i-3)*R9 for rows 3-5 (R10 = AX + 3*R9); it then
// moves both to the next depth, R11 bytes on.
#define STEPA(bo) \
	VMOVUPS      bo(BX), Y12;        \
	VMOVUPS      bo+32(BX), Y13;     \
	VBROADCASTSS (AX), Y14;          \
	VFMADD231PS  Y12, Y14, Y0;       \
	VFMADD231PS  Y13, Y14, Y1;       \
	VBROADCASTSS (AX)(R9*1), Y15;    \
	VFMADD231PS  Y12, Y15, Y2;       \
	VFMADD231PS  Y13, Y15, Y3;       \
	VBROADCASTSS (AX)(R9*2), Y14;    \
	VFMADD231PS  Y12, Y14, Y4;       \
	VFMADD231PS  Y13, Y14, Y5;       \
	VBROADCASTSS (R10), Y15;         \
	VFMADD231PS  Y12, Y15, Y6;       \
	VFMADD231PS  Y13, Y15, Y7;       \
	VBROADCASTSS (R10)(R9*1), Y14;   \
	VFMADD231PS  Y12, Y14, Y8;       \
	VFMADD231PS  Y13, Y14, Y9;       \
	VBROADCASTSS (R10)(R9*2), Y15;   \
	VFMADD231PS  Y12, Y15, Y10;      \
	VFMADD231PS  Y13, Y15, Y11;      \
	ADDQ         R11, AX;            \
	ADDQ         R11, R10

// func kernel6x16a(k int, a *float32, rs, ds int, b, c *float32, ldc int, alpha, beta float32, mode int)
//
// kernel6x16a is kernel6x16 reading A in place: element (i, p) of the
// 6-row sliver is at a + i*rs + p*ds elements.
TEXT ·kernel6x16a(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rs+16(FP), R9
	SHLQ $2, R9
	MOVQ ds+24(FP), R11
	SHLQ $2, R11
	MOVQ b+32(FP), BX
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), SI
	SHLQ $2, SI
	LEAQ (AX)(R9*2), R10
	ADDQ R9, R10

	ZEROACC

	MOVQ CX, DI
	SHRQ $2, DI
	ANDQ $3, CX
	TESTQ DI, DI
	JZ   atail

aloop4:
	STEPA(0)
	STEPA(64)
	STEPA(128)
	STEPA(192)
	ADDQ $256, BX
	DECQ DI
	JNZ  aloop4

atail:
	TESTQ CX, CX
	JZ    astore

aloop1:
	STEPA(0)
	ADDQ $64, BX
	DECQ CX
	JNZ  aloop1

astore:
	VBROADCASTSS alpha+56(FP), Y12
	MOVQ         mode+64(FP), CX
	CMPQ         CX, $1
	JEQ          aset
	JGT          ascale
	STOREADD

aset:
	STORESET

ascale:
	VBROADCASTSS beta+60(FP), Y13
	STORESCALE

// func packPlainB(dst, src *float32, ldb, kc, slivers int)
//
// packPlainB packs the first slivers*16 columns of kc rows of a plain B,
// rows ldb floats apart from src, into slivers of 16 columns at dst, kc
// depths each: depth l of sliver t at dst + (t*kc + l)*16. It reads each
// row in order and prefetches the row eight rows on, whose cache lines
// the hardware's prefetcher, which stops at each 4 KB page, would
// otherwise leave to be fetched when read.
TEXT ·packPlainB(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), CX
	MOVQ slivers+32(FP), R9
	MOVQ CX, R10
	SHLQ $6, R10 // one sliver: kc depths of 64 bytes
	TESTQ CX, CX
	JZ    packed
	TESTQ R9, R9
	JZ    packed

packRow:
	LEAQ (SI)(R8*8), R11 // the row eight rows on
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R9, BX

packSliver:
	PREFETCHT0 (R11)
	VMOVUPS    (AX), Y0
	VMOVUPS    32(AX), Y1
	VMOVUPS    Y0, (DX)
	VMOVUPS    Y1, 32(DX)
	ADDQ       $64, AX
	ADDQ       $64, R11
	ADDQ       R10, DX
	DECQ       BX
	JNZ        packSliver

	ADDQ R8, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  packRow

packed:
	VZEROUPPER
	RET

// func packTransposedA(dst, src *float32, lda, kc, slivers int)
//
// packTransposedA packs slivers full slivers of six rows of a transposed
// A: for each of kc depths, the row of A at src + l*lda, whose first
// slivers*6 floats are the depth's values for the slivers' rows in
// order, is dealt out six floats to each sliver, to dst + (s*kc + l)*6.
// Each six floats move as a load and a store of four and of two. It
// prefetches the depth eight depths on: a depth's rows are read in order,
// and the next depth's lie a page or more on, where the hardware's
// prefetcher starts anew.
TEXT ·packTransposedA(SB), NOSPLIT, $0-40
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  lda+16(FP), R8
	SHLQ  $2, R8
	MOVQ  kc+24(FP), CX
	MOVQ  slivers+32(FP), R9
	IMUL3Q $24, CX, R10 // one sliver: kc depths of 24 bytes
	TESTQ CX, CX
	JZ    dealt
	TESTQ R9, R9
	JZ    dealt

dealDepth:
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R9, BX
	LEAQ (SI)(R8*8), R11 // the depth eight depths on

dealSliver:
	PREFETCHT0 (R11)
	VMOVUPS (AX), X0
	VMOVQ   16(AX), X1
	VMOVUPS X0, (DX)
	VMOVQ   X1, 16(DX)
	ADDQ    $24, AX
	ADDQ    $24, R11
	ADDQ    R10, DX
	DECQ    BX
	JNZ     dealSliver

	ADDQ R8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ  dealDepth

dealt:
	RET

// func transposeBlocks8(c *float32, ldc int, t *float32, ldt, blocks int)
//
// transposeBlocks8 writes the transposes of blocks 8x8 blocks of t into
// c: block q reads rows 8q to 8q+7 of t, ldt floats apart from t, eight
// floats each, and writes them as columns 8q to 8q+7 of c's eight rows,
// ldc floats apart: c[r*ldc + 8q + s] = t[(8q+s)*ldt + r]. Each block is
// eight loads, the three rounds of shuffles of an 8x8 transpose in AVX,
// and eight stores.
TEXT ·transposeBlocks8(SB), NOSPLIT, $0-40
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), SI
	SHLQ $2, SI
	MOVQ t+16(FP), BX
	MOVQ ldt+24(FP), R8
	SHLQ $2, R8
	MOVQ blocks+32(FP), CX
	LEAQ (R8)(R8*2), R9 // 3 rows of t
	LEAQ (SI)(SI*2), R11 // 3 rows of c
	TESTQ CX, CX
	JZ    transposed

transposeBlock:
	LEAQ    (BX)(R8*4), R10
	VMOVUPS (BX), Y0
	VMOVUPS (BX)(R8*1), Y1
	VMOVUPS (BX)(R8*2), Y2
	VMOVUPS (BX)(R9*1), Y3
	VMOVUPS (R10), Y4
	VMOVUPS (R10)(R8*1), Y5
	VMOVUPS (R10)(R8*2), Y6
	VMOVUPS (R10)(R9*1), Y7

	// Rows a..h: pairs of rows interleaved, a0 b0 a1 b1 | a4 b4 a5 b5 ...
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	// Quarters of columns: a0 b0 c0 d0 | a4 b4 c4 d4 ...
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	// Columns: a0 .. h0, from the low halves, and a4 .. h4 from the high.
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	LEAQ    (DI)(SI*4), R12
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(SI*1)
	VMOVUPS Y10, (DI)(SI*2)
	VMOVUPS Y11, (DI)(R11*1)
	VMOVUPS Y12, (R12)
	VMOVUPS Y13, (R12)(SI*1)
	VMOVUPS Y14, (R12)(SI*2)
	VMOVUPS Y15, (R12)(R11*1)

	LEAQ (BX)(R8*8), BX
	ADDQ $32, DI
	DECQ CX
	JNZ  transposeBlock

transposed:
	VZEROUPPER
	RET

// func dealRuns16(dst *float32, stride int, src *float32, pieces int)
//
// dealRuns16 copies pieces blocks of 16 floats, contiguous from src, to
// dst, dst+stride, dst+2*stride, ... (stride in floats): one depth of as
// many packed slivers of B.
TEXT ·dealRuns16(SB), NOSPLIT, $0-32
	MOVQ  dst+0(FP), DI
	MOVQ  stride+8(FP), DX
	SHLQ  $2, DX
	MOVQ  src+16(FP), SI
	MOVQ  pieces+24(FP), CX
	TESTQ CX, CX
	JZ    dealt

deal:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    DX, DI
	DECQ    CX
	JNZ     deal

dealt:
	VZEROUPPER
	RET

// func dealZeros16(dst *float32, stride int, pieces int)
//
// dealZeros16 sets pieces blocks of 16 floats at dst, dst+stride, ... to
// +0.
TEXT ·dealZeros16(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   stride+8(FP), DX
	SHLQ   $2, DX
	MOVQ   pieces+16(FP), CX
	VXORPS Y0, Y0, Y0
	TESTQ  CX, CX
	JZ     zeroed

zero:
	VMOVUPS Y0, (DI)
	VMOVUPS Y0, 32(DI)
	ADDQ    DX, DI
	DECQ    CX
	JNZ     zero

zeroed:
	VZEROUPPER
	RET

// func dealRows8(dst *float32, stride int, src *float32, lds, pieces int)
//
// dealRows8 copies pieces blocks of 16 columns of eight rows, lds floats
// apart from src, to dst, dst+stride, ... (stride in floats): block q of
// the rows becomes the 128 consecutive floats at dst+q*stride, row by
// row.
TEXT ·dealRows8(SB), NOSPLIT, $0-40
	MOVQ  dst+0(FP), DI
	MOVQ  stride+8(FP), DX
	SHLQ  $2, DX
	MOVQ  src+16(FP), SI
	MOVQ  lds+24(FP), R8
	SHLQ  $2, R8
	MOVQ  pieces+32(FP), CX
	TESTQ CX, CX
	JZ    rows8done
	LEAQ  (R8)(R8*2), R9
	ADDQ  SI, R9                 // row 3
	LEAQ  (R9)(R8*2), R10
	ADDQ  R8, R10                // row 6

rows8:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (SI)(R8*1), Y2
	VMOVUPS 32(SI)(R8*1), Y3
	VMOVUPS (SI)(R8*2), Y4
	VMOVUPS 32(SI)(R8*2), Y5
	VMOVUPS (R9), Y6
	VMOVUPS 32(R9), Y7
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS (R9)(R8*1), Y0
	VMOVUPS 32(R9)(R8*1), Y1
	VMOVUPS (R9)(R8*2), Y2
	VMOVUPS 32(R9)(R8*2), Y3
	VMOVUPS (R10), Y4
	VMOVUPS 32(R10), Y5
	VMOVUPS (R10)(R8*1), Y6
	VMOVUPS 32(R10)(R8*1), Y7
	VMOVUPS Y0, 256(DI)
	VMOVUPS Y1, 288(DI)
	VMOVUPS Y2, 320(DI)
	VMOVUPS Y3, 352(DI)
	VMOVUPS Y4, 384(DI)
	VMOVUPS Y5, 416(DI)
	VMOVUPS Y6, 448(DI)
	VMOVUPS Y7, 480(DI)
	ADDQ    $64, SI
	ADDQ    $64, R9
	ADDQ    $64, R10
	ADDQ    DX, DI
	DECQ    CX
	JNZ     rows8

rows8done:
	VZEROUPPER
	RET
