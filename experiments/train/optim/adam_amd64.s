//go:build amd64 && !purego

#include "textflag.h"

// PREFETCH64 asks for the cache lines of the four float64 kernels'
// streams 1 KB (weights and gradients) and 2 KB (moments) ahead of the
// elements at hand: about 32 groups of eight, more than memory's latency
// at the kernels' pace. The hardware's stream prefetcher stops at every 4
// KB page; these do not. In the full DIM step at batch 16, whose 8 million
// weights Adam reads from memory, they made the step 4-6% faster (100
// steps, three interleaved runs of each; 512 B and 1 KB, and 2 KB and 4
// KB, gained less).
#define PREFETCH64 \
	PREFETCHT0 2048(R8); \
	PREFETCHT0 2048(R9); \
	PREFETCHT0 1024(SI); \
	PREFETCHT0 1024(DI)

// MOMENTS updates four elements' moments: Y0 = gj, Y1 = m, Y3 = v.
#define MOMENTS \
	PREFETCH64;            \
	VCVTPS2PD (SI), Y0;    \
	VMOVUPD   (R8), Y1;    \
	VMULPD    Y8, Y1, Y1;  \
	VMULPD    Y0, Y9, Y2;  \
	VADDPD    Y1, Y2, Y1;  \
	VMOVUPD   Y1, (R8);    \
	VMOVUPD   (R9), Y3;    \
	VMULPD    Y10, Y3, Y3; \
	VMULPD    Y0, Y11, Y4; \
	VMULPD    Y4, Y0, Y4;  \
	VADDPD    Y3, Y4, Y3;  \
	VMOVUPD   Y3, (R9)

// OUTSIDE sets OUT's lanes where the bits X of a non-negative float64
// are outside [2^-800, 2^900], and so are the lanes of NaNs, infinities,
// zeros and negative numbers: where DIVIDE may overflow, meet a subnormal
// or lose a zero's sign. It adds 2^63 - 2^-800's bits to X, which moves
// the range to the bottom of the int64s, and compares once.
#define OUTSIDE(X, OUT) \
	VPADDQ   ·adamShift(SB), X, OUT; \
	VPCMPGTQ ·adamTop(SB), OUT, OUT

// DIVIDE sets Q to A/B rounded to nearest, the bits of VDIVPD, for |A| in
// [2^-800, 2^900], B in [2^-53, 1] and R the reciprocal of B rounded to
// nearest. q0 = A*R is within two ulps of A/B; one Newton step, q1 = q0 +
// (A - q0*B)*R, brings it within one; and from there one more step rounds
// correctly, by Markstein's theorem (P. Markstein, IBM J. Res. Dev. 34(1),
// 1990): with R within half an ulp of 1/B and q1 within one ulp of A/B,
// the remainder A - q1*B is exact in a fused multiply-add and q1 +
// remainder*R rounds to A/B rounded. T is clobbered.
#define DIVIDE(A, B, R, Q, T) \
	VMULPD       R, A, Q; \
	VMOVAPD      A, T;    \
	VFNMADD231PD B, Q, T; \
	VFMADD231PD  R, T, Q; \
	VMOVAPD      A, T;    \
	VFNMADD231PD B, Q, T; \
	VFMADD231PD  R, T, Q

// UPDATE subtracts float32((Y1*lr) / (sqrt(Y7) + eps)) from four weights,
// Y1 being m/c1 (or m, when c1 is 1) and Y7 v/c2.
#define UPDATE \
	VMULPD     Y12, Y1, Y1; \
	VSQRTPD    Y7, Y3;      \
	VADDPD     Y15, Y3, Y3; \
	VDIVPD     Y3, Y1, Y1;  \
	VCVTPD2PSY Y1, X1;      \
	VMOVUPS    (DI), X2;    \
	VSUBPS     X1, X2, X2;  \
	VMOVUPS    X2, (DI)

// ADVANCE moves the pointers on by four elements and counts down CX.
#define ADVANCE \
	ADDQ $16, SI; \
	ADDQ $16, DI; \
	ADDQ $32, R8; \
	ADDQ $32, R9; \
	DECQ CX

// func adamKernel4(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c1, c2, eps, rc1, rc2 float64)
//
// Per element, in adamUpdate's order, each operation rounded on its own:
//
//	gj = float64(grad)
//	m  = b1*m + omb1*gj
//	v  = b2*v + (omb2*gj)*gj
//	w  = w - float32((lr*(m/c1)) / (sqrt(v/c2) + eps))
//
// Each operation also takes its operands in the order the Go compiler
// gives them to the scalar instruction (m*b1, gj*(omb2*gj), the second
// product plus the first), which decides whose payload a NaN result
// carries when both operands are NaNs. Where c1 is 1 the division m/c1,
// which would leave m as it is, is not done.
//
// The divisions by c1 and c2 are DIVIDE's multiplications by their
// reciprocals rc1 and rc2, with VDIVPD for the four elements where a
// moment is OUTSIDE. The divider is the loop's bottleneck: this leaves
// it the square root and the last division.
TEXT ·adamKernel4(SB), NOSPLIT, $0-120
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9

	VBROADCASTSD b1+40(FP), Y8
	VBROADCASTSD omb1+48(FP), Y9
	VBROADCASTSD b2+56(FP), Y10
	VBROADCASTSD omb2+64(FP), Y11
	VBROADCASTSD lr+72(FP), Y12
	VBROADCASTSD c1+80(FP), Y13
	VBROADCASTSD c2+88(FP), Y14
	VBROADCASTSD eps+96(FP), Y15
	VBROADCASTSD rc1+104(FP), Y5
	VBROADCASTSD rc2+112(FP), Y6

	SHRQ $2, CX
	JZ   done

	// Once c1 has rounded to 1 (beta1^t at most 2^-54: from step 356 at
	// beta1 = 0.9), m/c1 is m, bit for bit, and the division is left out.
	MOVQ     $0x3ff0000000000000, AX // 1.0
	VMOVQ    AX, X0
	VUCOMISD X0, X13
	JNE      loop
	JPS      loop

unbiased:
	MOMENTS
	OUTSIDE(Y3, Y0)
	VPTEST Y0, Y0
	JNZ    unbiasedDivide
	DIVIDE(Y3, Y14, Y6, Y7, Y4)
	UPDATE
	ADVANCE
	JNZ unbiased
	JMP done

unbiasedDivide:
	VDIVPD Y14, Y3, Y7
	UPDATE
	ADVANCE
	JNZ unbiased
	JMP done

loop:
	MOMENTS
	OUTSIDE(Y3, Y0)
	VANDPD ·adamAbs(SB), Y1, Y7
	OUTSIDE(Y7, Y7)
	VPOR   Y7, Y0, Y0
	VPTEST Y0, Y0
	JNZ    loopDivide
	DIVIDE(Y3, Y14, Y6, Y7, Y4)
	DIVIDE(Y1, Y13, Y5, Y2, Y4)
	VMOVAPD Y2, Y1
	UPDATE
	ADVANCE
	JNZ loop
	JMP done

loopDivide:
	VDIVPD Y13, Y1, Y1 // m/c1
	VDIVPD Y14, Y3, Y7 // v/c2
	UPDATE
	ADVANCE
	JNZ loop

done:
	VZEROUPPER
	RET

// The constants of OUTSIDE, and the mask of |m|, four lanes each.
DATA ·adamAbs+0(SB)/8, $0x7fffffffffffffff
DATA ·adamAbs+8(SB)/8, $0x7fffffffffffffff
DATA ·adamAbs+16(SB)/8, $0x7fffffffffffffff
DATA ·adamAbs+24(SB)/8, $0x7fffffffffffffff
GLOBL ·adamAbs(SB), RODATA|NOPTR, $32

// 2^63 - 0x0df0000000000000 (2^-800)
DATA ·adamShift+0(SB)/8, $0x7210000000000000
DATA ·adamShift+8(SB)/8, $0x7210000000000000
DATA ·adamShift+16(SB)/8, $0x7210000000000000
DATA ·adamShift+24(SB)/8, $0x7210000000000000
GLOBL ·adamShift(SB), RODATA|NOPTR, $32

// -2^63 + 0x7830000000000000 (2^900) - 0x0df0000000000000
DATA ·adamTop+0(SB)/8, $0xea40000000000000
DATA ·adamTop+8(SB)/8, $0xea40000000000000
DATA ·adamTop+16(SB)/8, $0xea40000000000000
DATA ·adamTop+24(SB)/8, $0xea40000000000000
GLOBL ·adamTop(SB), RODATA|NOPTR, $32

// func adamDivide4(n int, a *float64, b, rb float64) (fast int)
//
// adamDivide4 divides the n float64s at a by b in place, four at a time,
// as adamKernel4 divides |m| by c1: with DIVIDE, and rb the reciprocal of b
// rounded, where no lane is OUTSIDE, and with VDIVPD elsewhere. It
// returns how many groups of four took DIVIDE. It exists for the tests.
TEXT ·adamDivide4(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), CX
	MOVQ         a+8(FP), SI
	VBROADCASTSD b+16(FP), Y14
	VBROADCASTSD rb+24(FP), Y6
	XORQ         DX, DX
	SHRQ         $2, CX
	JZ           divided

divide:
	VMOVUPD (SI), Y3
	VANDPD  ·adamAbs(SB), Y3, Y1
	OUTSIDE(Y1, Y0)
	VPTEST  Y0, Y0
	JNZ     divideSlow
	DIVIDE(Y3, Y14, Y6, Y7, Y4)
	INCQ    DX
	JMP     store

divideSlow:
	VDIVPD Y14, Y3, Y7

store:
	VMOVUPD Y7, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     divide

divided:
	MOVQ DX, fast+32(FP)
	VZEROUPPER
	RET

// MOMENTSZ is MOMENTS for eight elements in 512-bit registers: Z0 = gj,
// Z1 = m, Z3 = v, by the same operations in the same operand order.
#define MOMENTSZ \
	PREFETCH64;            \
	VCVTPS2PD (SI), Z0;    \
	VMOVUPD   (R8), Z1;    \
	VMULPD    Z8, Z1, Z1;  \
	VMULPD    Z0, Z9, Z2;  \
	VADDPD    Z1, Z2, Z1;  \
	VMOVUPD   Z1, (R8);    \
	VMOVUPD   (R9), Z3;    \
	VMULPD    Z10, Z3, Z3; \
	VMULPD    Z0, Z11, Z4; \
	VMULPD    Z4, Z0, Z4;  \
	VADDPD    Z3, Z4, Z3;  \
	VMOVUPD   Z3, (R9)

// DENOMINATOR sets Z3 to sqrt(Z7) + eps and Z1 to Z1*lr, as UPDATE does.
#define DENOMINATOR \
	VMULPD  Z12, Z1, Z1; \
	VSQRTPD Z7, Z3;      \
	VADDPD  Z15, Z3, Z3

// ESTIMATE sets Z2 to an estimate of the quotient Z1 / Z3 without the
// divider: VRCP14PD's reciprocal of Z3 (relative error below 2^-14),
// two Newton steps (each squares the error: below 2^-50 or so after
// rounding), and the product with Z1, within about 2^-49 of the quotient
// and so within 2^4 ulps of its rounding, far inside CHECK's margin.
#define ESTIMATE \
	VRCP14PD     Z3, Z16;       \
	VMOVAPD      Z21, Z19;      \
	VFNMADD231PD Z16, Z3, Z19;  \
	VFMADD231PD  Z19, Z16, Z16; \
	VMOVAPD      Z21, Z19;      \
	VFNMADD231PD Z16, Z3, Z19;  \
	VFMADD231PD  Z19, Z16, Z16; \
	VMULPD       Z16, Z1, Z2

// CHECK rounds the estimate Z2 times 1 + 2^-40 and times 1 - 2^-40 to
// float32, into Y18 and Y19, and sets K4's bits for the lanes where the
// two differ or either is a NaN. The estimate is within 2^-48 or so of
// the rounded quotient, so the quotient lies between the two products;
// rounding to float32 is monotone, so where they round alike the
// quotient rounds as they do, to Y18, subnormals, zeros and infinities
// included. Elsewhere the quotient must be divided out: where a float32
// midpoint lies within 2^-40 of the estimate, 2^12 to 2^13 ulps (at most
// one lane in 33,000, one group of eight in 4,000), and where the
// estimate is a NaN, as it is for a zero or infinite denominator (eps 0
// with v 0, say) or a NaN m.
#define CHECK \
	VMULPD    Z30, Z2, Z18;     \
	VMULPD    Z31, Z2, Z19;     \
	VCVTPD2PS Z18, Y18;         \
	VCVTPD2PS Z19, Y19;         \
	VCMPPS    $4, Y19, Y18, K4

// STOREZ subtracts Y18, float32(quotient), from eight weights, as UPDATE
// does.
#define STOREZ \
	VMOVUPS (DI), Y3;     \
	VSUBPS  Y18, Y3, Y3;  \
	VMOVUPS Y3, (DI)

// func adamKernel8z(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c2, eps, rc2 float64) (exact int)
//
// adamKernel8z is adamKernel4 for c1 = 1, eight elements at a time in
// AVX-512, with adamKernel4's bits. Where no lane of v is OUTSIDE, v/c2
// is DIVIDE's, with VDIVPD elsewhere. The update's square root is
// VSQRTPD's; its division is ESTIMATE's where CHECK trusts all eight
// lanes, and VDIVPD's for the rare eight where it does not, which it
// counts in exact.
TEXT ·adamKernel8z(SB), NOSPLIT, $0-112
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9

	VBROADCASTSD b1+40(FP), Z8
	VBROADCASTSD omb1+48(FP), Z9
	VBROADCASTSD b2+56(FP), Z10
	VBROADCASTSD omb2+64(FP), Z11
	VBROADCASTSD lr+72(FP), Z12
	VBROADCASTSD c2+80(FP), Z14
	VBROADCASTSD eps+88(FP), Z15
	VBROADCASTSD rc2+96(FP), Z6
	MOVQ         $0x3ff0000000000000, AX // 1
	VPBROADCASTQ AX, Z21
	MOVQ         $0x3ff0000000001000, AX // 1 + 2^-40
	VPBROADCASTQ AX, Z30
	MOVQ         $0x3fefffffffffe000, AX // 1 - 2^-40
	VPBROADCASTQ AX, Z31
	VPBROADCASTQ ·adamShift(SB), Z28
	VPBROADCASTQ ·adamTop(SB), Z29

	XORQ DX, DX
	SHRQ $3, CX
	JZ   zdone

zloop:
	MOMENTSZ
	VPADDQ   Z28, Z3, Z5
	VPCMPGTQ Z29, Z5, K1
	KORTESTW K1, K1
	JNZ      zoutside
	DIVIDE(Z3, Z14, Z6, Z7, Z4)

zupdate:
	DENOMINATOR
	ESTIMATE
	CHECK
	KORTESTW K4, K4
	JNZ      zexact

zstore:
	STOREZ
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ  zloop

zdone:
	MOVQ DX, exact+104(FP)
	VZEROUPPER
	RET

zoutside:
	VDIVPD Z14, Z3, Z7
	JMP    zupdate

zexact:
	INCQ      DX
	VDIVPD    Z3, Z1, Z2
	VCVTPD2PS Z2, Y18
	JMP       zstore

// func adamKernel8d(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c2, eps, rc2 float64)
//
// adamKernel8d is adamKernel8z with the update's division done by VDIVPD
// for every group of eight, rather than estimated and checked: for CPUs
// whose divider divides eight float64s faster than ESTIMATE and CHECK
// estimate them (useDivider). It gives adamKernel4's bits, as
// adamKernel8z does: where no lane of v is OUTSIDE, v/c2 is DIVIDE's,
// with VDIVPD elsewhere, and the square root is VSQRTPD's.
TEXT ·adamKernel8d(SB), NOSPLIT, $0-104
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9

	VBROADCASTSD b1+40(FP), Z8
	VBROADCASTSD omb1+48(FP), Z9
	VBROADCASTSD b2+56(FP), Z10
	VBROADCASTSD omb2+64(FP), Z11
	VBROADCASTSD lr+72(FP), Z12
	VBROADCASTSD c2+80(FP), Z14
	VBROADCASTSD eps+88(FP), Z15
	VBROADCASTSD rc2+96(FP), Z6
	VPBROADCASTQ ·adamShift(SB), Z28
	VPBROADCASTQ ·adamTop(SB), Z29

	SHRQ $3, CX
	JZ   ddone

dloop:
	MOMENTSZ
	VPADDQ   Z28, Z3, Z5
	VPCMPGTQ Z29, Z5, K1
	KORTESTW K1, K1
	JNZ      doutside
	DIVIDE(Z3, Z14, Z6, Z7, Z4)

dupdate:
	DENOMINATOR
	VDIVPD    Z3, Z1, Z2
	VCVTPD2PS Z2, Y18
	STOREZ
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ  dloop

ddone:
	VZEROUPPER
	RET

doutside:
	VDIVPD Z14, Z3, Z7
	JMP    dupdate

// MOMENTS8S updates eight elements' float32 moments: Y0 = g, Y1 = m,
// Y3 = v, in adamUpdateMoments32's order, after asking for the streams'
// cache lines 1 KB ahead (as PREFETCH64).
#define MOMENTS8S \
	PREFETCHT0 1024(R8); \
	PREFETCHT0 1024(R9); \
	PREFETCHT0 1024(SI); \
	PREFETCHT0 1024(DI); \
	VMOVUPS (SI), Y0;    \
	VMOVUPS (R8), Y1;    \
	VMULPS  Y8, Y1, Y1;  \
	VMULPS  Y0, Y9, Y2;  \
	VADDPS  Y1, Y2, Y1;  \
	VMOVUPS Y1, (R8);    \
	VMOVUPS (R9), Y3;    \
	VMULPS  Y10, Y3, Y3; \
	VMULPS  Y0, Y11, Y4; \
	VMULPS  Y4, Y0, Y4;  \
	VADDPS  Y3, Y4, Y3;  \
	VMOVUPS Y3, (R9)

// UPDATE8S subtracts (lr*Y1) / (sqrt(Y3/c2) + eps) from eight weights,
// Y1 being m/c1 (or m, when c1 is 1), and moves the pointers on.
#define UPDATE8S \
	VMULPS  Y12, Y1, Y1; \
	VDIVPS  Y14, Y3, Y3; \
	VSQRTPS Y3, Y3;      \
	VADDPS  Y15, Y3, Y3; \
	VDIVPS  Y3, Y1, Y1;  \
	VMOVUPS (DI), Y2;    \
	VSUBPS  Y1, Y2, Y2;  \
	VMOVUPS Y2, (DI);    \
	ADDQ    $32, SI;     \
	ADDQ    $32, DI;     \
	ADDQ    $32, R8;     \
	ADDQ    $32, R9;     \
	DECQ    CX

// func adamKernel8s(n int, w, grad, m, v *float32, b1, omb1, b2, omb2, lr, c1, c2, eps float32)
//
// Per element, in float32, each operation rounded on its own:
//
//	m = b1*m + omb1*g
//	v = b2*v + (omb2*g)*g
//	w = w - (lr*(m/c1)) / (sqrt(v/c2) + eps)
TEXT ·adamKernel8s(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9

	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS omb1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS omb2+52(FP), Y11
	VBROADCASTSS lr+56(FP), Y12
	VBROADCASTSS c1+60(FP), Y13
	VBROADCASTSS c2+64(FP), Y14
	VBROADCASTSS eps+68(FP), Y15

	SHRQ $3, CX
	JZ   done8s

	// Where c1 is 1, m/c1 is m, bit for bit: the division is left out.
	MOVL     $0x3f800000, AX // 1.0
	VMOVD    AX, X0
	VUCOMISS X0, X13
	JNE      biased8s
	JPS      biased8s

unbiased8s:
	MOMENTS8S
	UPDATE8S
	JNZ unbiased8s
	JMP done8s

biased8s:
	MOMENTS8S
	VDIVPS Y13, Y1, Y1
	UPDATE8S
	JNZ biased8s

done8s:
	VZEROUPPER
	RET
