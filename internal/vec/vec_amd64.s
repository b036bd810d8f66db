//go:build amd64 && !purego

#include "textflag.h"

// func sum8(n int, dst, x, y *float32)
TEXT ·sum8(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), DX
	SHRQ $3, CX
	JZ   done
	CMPQ CX, $4
	JB   one

four:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1
	VADDPS  64(DX), Y2, Y2
	VADDPS  96(DX), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	ADDQ    $128, DX
	SUBQ    $4, CX
	CMPQ    CX, $4
	JAE     four
	TESTQ   CX, CX
	JZ      done

one:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     one

done:
	VZEROUPPER
	RET

// LOADSUMS loads four ymm of shift, q1 and q2 for a group of 16 columns.
#define LOADSUMS \
	VMOVUPD (DX), Y12;   \
	VMOVUPD 32(DX), Y13; \
	VMOVUPD 64(DX), Y14; \
	VMOVUPD 96(DX), Y15; \
	VMOVUPD (DI), Y0;    \
	VMOVUPD 32(DI), Y1;  \
	VMOVUPD 64(DI), Y2;  \
	VMOVUPD 96(DI), Y3;  \
	VMOVUPD (BX), Y4;    \
	VMOVUPD 32(BX), Y5;  \
	VMOVUPD 64(BX), Y6;  \
	VMOVUPD 96(BX), Y7

// STORESUMS stores q1 and q2 and moves to the next group of 16 columns.
#define STORESUMS \
	VMOVUPD Y0, (DI);    \
	VMOVUPD Y1, 32(DI);  \
	VMOVUPD Y2, 64(DI);  \
	VMOVUPD Y3, 96(DI);  \
	VMOVUPD Y4, (BX);    \
	VMOVUPD Y5, 32(BX);  \
	VMOVUPD Y6, 64(BX);  \
	VMOVUPD Y7, 96(BX);  \
	ADDQ    $64, SI;     \
	ADDQ    $128, DX;    \
	ADDQ    $128, DI;    \
	ADDQ    $128, BX

// SQ4 does four columns of a row: d = float64(a) - shift; q1 += d; q2 += d*d.
#define SQ4(off, sh, s1, s2) \
	VCVTPS2PD off(AX), Y8; \
	VSUBPD    sh, Y8, Y8;  \
	VADDPD    Y8, s1, s1;  \
	VMULPD    Y8, Y8, Y9;  \
	VADDPD    Y9, s2, s2

// func columnSumsSq16(rows, groups, stride int, a *float32, shift, q1, q2 *float64)
TEXT ·columnSumsSq16(SB), NOSPLIT, $0-56
	MOVQ rows+0(FP), R8
	MOVQ groups+8(FP), R9
	MOVQ stride+16(FP), R10
	MOVQ a+24(FP), SI
	MOVQ shift+32(FP), DX
	MOVQ q1+40(FP), DI
	MOVQ q2+48(FP), BX

sqgroup:
	LOADSUMS
	MOVQ SI, AX
	MOVQ R8, CX

sqrow:
	SQ4(0, Y12, Y0, Y4)
	SQ4(16, Y13, Y1, Y5)
	SQ4(32, Y14, Y2, Y6)
	SQ4(48, Y15, Y3, Y7)
	ADDQ R10, AX
	DECQ CX
	JNZ  sqrow

	STORESUMS
	DECQ R9
	JNZ  sqgroup
	VZEROUPPER
	RET

// DOT4 does four columns of a row: q1 += float64(a); q2 += float64(a) * (float64(b) - shift).
#define DOT4(off, sh, s1, s2) \
	VCVTPS2PD off(AX), Y8;  \
	VCVTPS2PD off(R11), Y10; \
	VADDPD    Y8, s1, s1;   \
	VSUBPD    sh, Y10, Y10; \
	VMULPD    Y10, Y8, Y10; \
	VADDPD    Y10, s2, s2

// func columnSumsDot16(rows, groups, stride int, a, b *float32, shift, q1, q2 *float64)
TEXT ·columnSumsDot16(SB), NOSPLIT, $0-64
	MOVQ rows+0(FP), R8
	MOVQ groups+8(FP), R9
	MOVQ stride+16(FP), R10
	MOVQ a+24(FP), SI
	MOVQ b+32(FP), R12
	MOVQ shift+40(FP), DX
	MOVQ q1+48(FP), DI
	MOVQ q2+56(FP), BX

dotgroup:
	LOADSUMS
	MOVQ SI, AX
	MOVQ R12, R11
	MOVQ R8, CX

dotrow:
	DOT4(0, Y12, Y0, Y4)
	DOT4(16, Y13, Y1, Y5)
	DOT4(32, Y14, Y2, Y6)
	DOT4(48, Y15, Y3, Y7)
	ADDQ R10, AX
	ADDQ R10, R11
	DECQ CX
	JNZ  dotrow

	STORESUMS
	ADDQ $64, R12
	DECQ R9
	JNZ  dotgroup
	VZEROUPPER
	RET

// Constants of exp8, eight copies each: those of github.com/chewxy/math32's
// Exp for amd64 (exp_amd64.s), bit for bit.
#define VEC8(name, bits) \
	DATA name<>+0(SB)/4, $bits;  \
	DATA name<>+4(SB)/4, $bits;  \
	DATA name<>+8(SB)/4, $bits;  \
	DATA name<>+12(SB)/4, $bits; \
	DATA name<>+16(SB)/4, $bits; \
	DATA name<>+20(SB)/4, $bits; \
	DATA name<>+24(SB)/4, $bits; \
	DATA name<>+28(SB)/4, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

VEC8(expLog2e, 0x3fb8aa3b)
VEC8(expLn2u, 0x3f317200)
VEC8(expLn2l, 0x35bfbe8e)
VEC8(expSixteenth, 0x3d800000)
VEC8(expT4, 0x3c09116b)
VEC8(expT3, 0x3d2aaf4c)
VEC8(expT2, 0x3e2aaa5e)
VEC8(expT1, 0x3f000000)
VEC8(expOne, 0x3f800000)
VEC8(expTwo, 0x40000000)
VEC8(expAbsMask, 0x7fffffff)
VEC8(expMaxFinite, 0x7f7fffff)
VEC8(expBias, 0x0000007f)
VEC8(expIntOne, 0x00000001)
VEC8(expMaxBiased, 0x000000fe)
VEC8(expInf, 0x7f800000)

// func exp8(n int, dst, src *float32) int
//
// exp8 runs math32.Exp's instructions (MULSS, CVTSS2SL, ...) on eight
// lanes at once (VMULPS, VCVTPS2DQ, ...), operand for operand, so every
// lane gets math32.Exp's bits, and math32's 0 where 2^k underflows and
// +Inf where it overflows. It stops before the first block of eight with
// an input that is not finite and returns how many elements it wrote.
TEXT ·exp8(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	XORQ AX, AX
	VMOVDQU expIntOne<>(SB), Y15

block:
	CMPQ AX, CX
	JGE  done
	VMOVUPS (SI)(AX*4), Y0

	VPAND     expAbsMask<>(SB), Y0, Y1
	VPCMPGTD  expMaxFinite<>(SB), Y1, Y2 // |x| is Inf or NaN: math32's own path
	VPTEST    Y2, Y2
	JNZ       done
	VMULPS    expLog2e<>(SB), Y0, Y1     // x*log2(e)
	VCVTPS2DQ Y1, Y3                     // k
	VCVTDQ2PS Y3, Y1                     // float(k)
	VPADDD    expBias<>(SB), Y3, Y4      // e = k + 127
	VPCMPGTD  Y4, Y15, Y7                // e < 1: math32 returns 0
	VPCMPGTD  expMaxBiased<>(SB), Y4, Y8 // e > 254: math32 returns +Inf

	VMULPS expLn2u<>(SB), Y1, Y5
	VSUBPS Y5, Y0, Y0
	VMULPS expLn2l<>(SB), Y1, Y5
	VSUBPS Y5, Y0, Y0
	VMULPS expSixteenth<>(SB), Y0, Y0
	VADDPS expT4<>(SB), Y1, Y1 // math32 starts the series from float(k), as its register holds it
	VMULPS Y0, Y1, Y1
	VADDPS expT3<>(SB), Y1, Y1
	VMULPS Y0, Y1, Y1
	VADDPS expT2<>(SB), Y1, Y1
	VMULPS Y0, Y1, Y1
	VADDPS expT1<>(SB), Y1, Y1
	VMULPS Y0, Y1, Y1
	VADDPS expOne<>(SB), Y1, Y1
	VMULPS Y1, Y0, Y0
	VADDPS expTwo<>(SB), Y0, Y1
	VMULPS Y1, Y0, Y0
	VADDPS expTwo<>(SB), Y0, Y1
	VMULPS Y1, Y0, Y0
	VADDPS expTwo<>(SB), Y0, Y1
	VMULPS Y1, Y0, Y0
	VADDPS expTwo<>(SB), Y0, Y1
	VMULPS Y1, Y0, Y0
	VADDPS expOne<>(SB), Y0, Y0
	VPSLLD $23, Y4, Y4         // 2^k
	VMULPS Y4, Y0, Y0
	VPANDN Y0, Y7, Y0          // 0 where it underflows
	VPANDN Y0, Y8, Y0
	VPAND  expInf<>(SB), Y8, Y5
	VPOR   Y5, Y0, Y0          // +Inf where it overflows
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ   $8, AX
	JMP    block

done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

// func sumRows64(rows, groups, stride int, a, out *float32)
//
// sumRows64 sets out[c] to the sum of a[c], a[c+stride/4], ... down rows
// rows, for the first 64*groups columns, adding row after row from the
// first in float32 with the running sum as the first operand, as sum8
// does: a group's 64 sums are held in eight registers down the rows.
// stride is a row's length in bytes; rows must be at least 1.
TEXT ·sumRows64(SB), NOSPLIT, $0-40
	MOVQ rows+0(FP), CX
	MOVQ groups+8(FP), R9
	MOVQ stride+16(FP), R8
	MOVQ a+24(FP), SI
	MOVQ out+32(FP), DI
	TESTQ R9, R9
	JZ    sums64Done

sums64Group:
	MOVQ    SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS 128(AX), Y4
	VMOVUPS 160(AX), Y5
	VMOVUPS 192(AX), Y6
	VMOVUPS 224(AX), Y7
	MOVQ    CX, DX
	DECQ    DX
	JZ      sums64Store

sums64Row:
	ADDQ   R8, AX
	VADDPS (AX), Y0, Y0
	VADDPS 32(AX), Y1, Y1
	VADDPS 64(AX), Y2, Y2
	VADDPS 96(AX), Y3, Y3
	VADDPS 128(AX), Y4, Y4
	VADDPS 160(AX), Y5, Y5
	VADDPS 192(AX), Y6, Y6
	VADDPS 224(AX), Y7, Y7
	DECQ   DX
	JNZ    sums64Row

sums64Store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	DECQ    R9
	JNZ     sums64Group

sums64Done:
	VZEROUPPER
	RET

// func sumRows8(rows, groups, stride int, a, out *float32)
//
// sumRows8 is sumRows64 eight columns at a time.
TEXT ·sumRows8(SB), NOSPLIT, $0-40
	MOVQ rows+0(FP), CX
	MOVQ groups+8(FP), R9
	MOVQ stride+16(FP), R8
	MOVQ a+24(FP), SI
	MOVQ out+32(FP), DI
	TESTQ R9, R9
	JZ    sums8Done

sums8Group:
	MOVQ    SI, AX
	VMOVUPS (AX), Y0
	MOVQ    CX, DX
	DECQ    DX
	JZ      sums8Store

sums8Row:
	ADDQ   R8, AX
	VADDPS (AX), Y0, Y0
	DECQ   DX
	JNZ    sums8Row

sums8Store:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    R9
	JNZ     sums8Group

sums8Done:
	VZEROUPPER
	RET

// func standardize8(n int, dst, src, mean, scale *float32)
//
// standardize8 writes (src - mean) * scale into dst, eight at a time, each
// difference rounded before the product, the value first in each; n must
// be a multiple of 8.
TEXT ·standardize8(SB), NOSPLIT, $0-40
	MOVQ  n+0(FP), CX
	MOVQ  dst+8(FP), DI
	MOVQ  src+16(FP), SI
	MOVQ  mean+24(FP), BX
	MOVQ  scale+32(FP), DX
	SHRQ  $3, CX
	JZ    stdDone

stdLoop:
	VMOVUPS (SI), Y0
	VSUBPS  (BX), Y0, Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     stdLoop

stdDone:
	VZEROUPPER
	RET

// func affine8(n int, dst, x, p, q *float32)
//
// affine8 writes x*p + q into dst, eight at a time, the product rounded
// before the sum, the left operand first in each.
TEXT ·affine8(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ p+24(FP), BX
	MOVQ q+32(FP), DX
	SHRQ $3, CX
	JZ   affDone

affLoop:
	VMOVUPS (SI), Y0
	VMULPS  (BX), Y0, Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     affLoop

affDone:
	VZEROUPPER
	RET

// func affine2x8(n int, dst, d, x, p, q, r *float32)
//
// affine2x8 writes (p*d + q*x) + r into dst, eight at a time, each
// operation rounded, the left operand first in each.
TEXT ·affine2x8(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ d+16(FP), SI
	MOVQ x+24(FP), R8
	MOVQ p+32(FP), BX
	MOVQ q+40(FP), DX
	MOVQ r+48(FP), R9
	SHRQ $3, CX
	JZ   aff2Done

aff2Loop:
	VMOVUPS (BX), Y0
	VMULPS  (SI), Y0, Y0
	VMOVUPS (DX), Y1
	VMULPS  (R8), Y1, Y1
	VADDPS  Y1, Y0, Y0
	VADDPS  (R9), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, BX
	ADDQ    $32, DX
	ADDQ    $32, R9
	ADDQ    $32, DI
	DECQ    CX
	JNZ     aff2Loop

aff2Done:
	VZEROUPPER
	RET

// func scaleShift8(n int, dst, x, gamma, beta *float32, a, b float32)
//
// scaleShift8 writes ((x*a + b)*gamma) + beta into dst, eight at a time,
// each operation rounded, the left operand first in each.
TEXT ·scaleShift8(SB), NOSPLIT, $0-48
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         x+16(FP), SI
	MOVQ         gamma+24(FP), BX
	MOVQ         beta+32(FP), DX
	VBROADCASTSS a+40(FP), Y2
	VBROADCASTSS b+44(FP), Y3
	SHRQ         $3, CX
	JZ           ssDone

ssLoop:
	VMOVUPS (SI), Y0
	VMULPS  Y2, Y0, Y0
	VADDPS  Y3, Y0, Y0
	VMULPS  (BX), Y0, Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ssLoop

ssDone:
	VZEROUPPER
	RET

// func layerGrad8(n int, dst, d, x, gamma *float32, a, k, b float32)
//
// layerGrad8 writes ((a*d)*gamma + k*x) + b into dst, eight at a time,
// each operation rounded, the left operand first in each.
TEXT ·layerGrad8(SB), NOSPLIT, $0-52
	MOVQ         n+0(FP), CX
	MOVQ         dst+8(FP), DI
	MOVQ         d+16(FP), SI
	MOVQ         x+24(FP), R8
	MOVQ         gamma+32(FP), BX
	VBROADCASTSS a+40(FP), Y2
	VBROADCASTSS k+44(FP), Y3
	VBROADCASTSS b+48(FP), Y4
	SHRQ         $3, CX
	JZ           lgDone

lgLoop:
	VMULPS  (SI), Y2, Y0
	VMULPS  (BX), Y0, Y0
	VMULPS  (R8), Y3, Y1
	VADDPS  Y1, Y0, Y0
	VADDPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     lgLoop

lgDone:
	VZEROUPPER
	RET

// func addNormalized8(n int, acc *float64, d, x *float32, mean, inv float64)
//
// addNormalized8 adds (float64(d) * (float64(x) - mean)) * inv to acc,
// eight at a time in two groups of four, each operation rounded, the left
// operand first in each (acc first in the sum).
TEXT ·addNormalized8(SB), NOSPLIT, $0-48
	MOVQ         n+0(FP), CX
	MOVQ         acc+8(FP), DI
	MOVQ         d+16(FP), SI
	MOVQ         x+24(FP), R8
	VBROADCASTSD mean+32(FP), Y6
	VBROADCASTSD inv+40(FP), Y7
	SHRQ         $3, CX
	JZ           anDone

anLoop:
	VCVTPS2PD (R8), Y1
	VSUBPD    Y6, Y1, Y1
	VCVTPS2PD (SI), Y0
	VMULPD    Y1, Y0, Y0
	VMULPD    Y7, Y0, Y0
	VMOVUPD   (DI), Y2
	VADDPD    Y0, Y2, Y2
	VMOVUPD   Y2, (DI)
	VCVTPS2PD 16(R8), Y4
	VSUBPD    Y6, Y4, Y4
	VCVTPS2PD 16(SI), Y3
	VMULPD    Y4, Y3, Y3
	VMULPD    Y7, Y3, Y3
	VMOVUPD   32(DI), Y5
	VADDPD    Y3, Y5, Y5
	VMOVUPD   Y5, 32(DI)
	ADDQ      $32, SI
	ADDQ      $32, R8
	ADDQ      $64, DI
	DECQ      CX
	JNZ       anLoop

anDone:
	VZEROUPPER
	RET

// Constants of exp4, four copies each: those of Go's math.Exp for amd64
// (src/math/exp_amd64.s, after Shibata's SLEEF), bit for bit.
#define VEC4(name, bits) \
	DATA name<>+0(SB)/8, $bits;  \
	DATA name<>+8(SB)/8, $bits;  \
	DATA name<>+16(SB)/8, $bits; \
	DATA name<>+24(SB)/8, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

VEC4(exp64Log2e, 0x3ff71547652b82fe)     // 1.4426950408889634073599246810018920
VEC4(exp64Ln2u, 0x3fe62e42fefa3000)      // 0.69314718055966295651160180568695068359375
VEC4(exp64Ln2l, 0x3d53de6af278ece6)      // 0.28235290563031577122588448175013436025525412068e-12
VEC4(exp64Overflow, 0x40862e42fefa39ef)  // 7.09782712893384e+02
VEC4(exp64Sixteenth, 0x3fb0000000000000) // 0.0625
VEC4(exp64C64, 0x3efa01a01a01a01a)       // 2.4801587301587301587e-5
VEC4(exp64C56, 0x3f2a01a01a01a01a)       // 1.9841269841269841270e-4
VEC4(exp64C48, 0x3f56c16c16c16c17)       // 1.3888888888888888889e-3
VEC4(exp64C40, 0x3f81111111111111)       // 8.3333333333333333333e-3
VEC4(exp64C32, 0x3fa5555555555555)       // 4.1666666666666666667e-2
VEC4(exp64C24, 0x3fc5555555555555)       // 1.6666666666666666667e-1
VEC4(exp64Half, 0x3fe0000000000000)      // 0.5
VEC4(exp64One, 0x3ff0000000000000)       // 1.0
VEC4(exp64Two, 0x4000000000000000)       // 2.0
VEC4(exp64Bias, 0x00000000000003ff)      // 1023, a lane's 64-bit integer

// Four int32 lanes: the bounds of a biased exponent math.Exp scales by
// without its denormal or overflow paths, 1 to 0x7FE.
DATA exp64Bounds<>+0(SB)/4, $0x3ff
DATA exp64Bounds<>+4(SB)/4, $0x3ff
DATA exp64Bounds<>+8(SB)/4, $0x3ff
DATA exp64Bounds<>+12(SB)/4, $0x3ff
DATA exp64Bounds<>+16(SB)/4, $0x7ff
DATA exp64Bounds<>+20(SB)/4, $0x7ff
DATA exp64Bounds<>+24(SB)/4, $0x7ff
DATA exp64Bounds<>+28(SB)/4, $0x7ff
GLOBL exp64Bounds<>(SB), RODATA|NOPTR, $32

// func exp4(n int, dst, src *float64) int
//
// exp4 runs math.Exp's instructions on amd64 with FMA (its avxfma path:
// MULSD, CVTSD2SL, VFNMADD231SD, ...) on four lanes at once (VMULPD,
// VCVTPD2DQ, VFNMADD231PD, ...), operand for operand, so every lane gets
// math.Exp's bits. It stops before the first block of four with a lane
// that math.Exp sends down another path: not finite, above its overflow
// threshold, or with a biased exponent k+1023 outside 1 to 0x7FE (a
// denormal, zero or infinite result). It returns how many elements it
// wrote.
TEXT ·exp4(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	XORQ AX, AX
	VMOVDQU exp64Bounds<>(SB), X14 // the bias, 0x3ff
	VMOVDQU exp64Bounds<>+16(SB), X15

block4:
	CMPQ AX, CX
	JGE  done4
	VMOVUPD (SI)(AX*8), Y0

	VCMPPD    $0x1e, exp64Overflow<>(SB), Y0, Y6 // x > Overflow (GT_OQ): +Inf
	VCMPPD    $0x03, Y0, Y0, Y7                  // x is NaN (UNORD_Q)
	VORPD     Y7, Y6, Y6
	VMULPD    exp64Log2e<>(SB), Y0, Y1 // x*log2(e)
	VCVTPD2DQY Y1, X3                  // k, as CVTSD2SL rounds it
	VCVTDQ2PD X3, Y1                   // float(k)
	VPADDD    X14, X3, X4              // e = k + 0x3ff
	VPXOR     X5, X5, X5
	VPCMPGTD  X5, X4, X8               // e > 0
	VPCMPGTD  X4, X15, X9              // 0x7ff > e
	VPAND     X9, X8, X8               // lanes on the plain path
	VMOVMSKPS X8, R8
	CMPQ      R8, $15
	JNE       done4
	VMOVMSKPD Y6, R8
	TESTQ     R8, R8
	JNZ       done4

	VFNMADD231PD exp64Ln2u<>(SB), Y1, Y0 // x - float(k)*LN2U
	VFNMADD231PD exp64Ln2l<>(SB), Y1, Y0 // - float(k)*LN2L
	VMULPD       exp64Sixteenth<>(SB), Y0, Y0
	VMOVUPD      exp64C64<>(SB), Y1
	VFMADD213PD  exp64C56<>(SB), Y0, Y1
	VFMADD213PD  exp64C48<>(SB), Y0, Y1
	VFMADD213PD  exp64C40<>(SB), Y0, Y1
	VFMADD213PD  exp64C32<>(SB), Y0, Y1
	VFMADD213PD  exp64C24<>(SB), Y0, Y1
	VFMADD213PD  exp64Half<>(SB), Y0, Y1
	VFMADD213PD  exp64One<>(SB), Y0, Y1
	VMULPD       Y1, Y0, Y0
	VADDPD       exp64Two<>(SB), Y0, Y1
	VMULPD       Y1, Y0, Y0
	VADDPD       exp64Two<>(SB), Y0, Y1
	VMULPD       Y1, Y0, Y0
	VADDPD       exp64Two<>(SB), Y0, Y1
	VMULPD       Y1, Y0, Y0
	VADDPD       exp64Two<>(SB), Y0, Y1
	VFMADD213PD  exp64One<>(SB), Y1, Y0
	VPMOVSXDQ    X4, Y4                // e, as 64-bit lanes
	VPSLLQ       $52, Y4, Y4           // 2^k
	VMULPD       Y4, Y0, Y0
	VMOVUPD      Y0, (DI)(AX*8)
	ADDQ         $4, AX
	JMP          block4

done4:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
