//go:build amd64 && !purego

#include "textflag.h"

// Constants of softplus4, four float64 copies each: softplus.go's, bit for bit.
#define VEC4(name, bits) \
	DATA name<>+0(SB)/8, bits;  \
	DATA name<>+8(SB)/8, bits;  \
	DATA name<>+16(SB)/8, bits; \
	DATA name<>+24(SB)/8, bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

VEC4(spExpScale, $0x40571547652b82fe)
VEC4(spLn2Hi, $0x3f862e42fee00000)
VEC4(spLn2Lo, $0x3d8a39ef35793c76)
VEC4(spShifter, $0x4338000000000000)
VEC4(spHalf, $0x3fe0000000000000)
VEC4(spSixth, $0x3fc5555555555555)
VEC4(spC24, $0x3fa5555555555555)
VEC4(spC120, $0x3f81111111111111)
VEC4(spOne, $0x3ff0000000000000)
VEC4(spThird, $0x3fd5555555555555)
VEC4(spQuarter, $0x3fd0000000000000)
VEC4(spFifth, $0x3fc999999999999a)
VEC4(spSeventh, $0x3fc2492492492492)
VEC4(spLn2, $0x3fe62e42fefa39ef)
VEC4(spTwo, $0x4000000000000000)
VEC4(spM86, $0xc055800000000000)
VEC4(spM103, $0xc059c00000000000)
VEC4(sp14, $0x402c000000000000)
VEC4(spSign, $0x8000000000000000)
VEC4(spMant, $0x000fffffffffffff)
VEC4(spExpIdx, $0x000000000000003f)
VEC4(spLogIdx, $0x000000000000007f)
VEC4(spLow29, $0x000000001fffffff)
VEC4(spMid, $0x0000000010000000)
VEC4(spMargin, $0x0000000000001000)
VEC4(spMinusMargin, $0xfffffffffffff000)

// FASTEXP is fastExp of the lanes of Y1, times nothing yet: it leaves p in
// Y4 and the scale 2^(k/64) in Y7, so that eˣ = Y7 * Y4; Y2, Y3, Y5 and Y6
// are overwritten, R8 holds &exp2Table.
#define FASTEXP \
	VMULPD    spExpScale<>(SB), Y1, Y2; \
	VADDPD    spShifter<>(SB), Y2, Y2; \
	VSUBPD    spShifter<>(SB), Y2, Y3; \
	VMULPD    spLn2Hi<>(SB), Y3, Y4;   \
	VSUBPD    Y4, Y1, Y1;              \
	VMULPD    spLn2Lo<>(SB), Y3, Y4;   \
	VSUBPD    Y4, Y1, Y1;              \
	VMULPD    Y1, Y1, Y3;              \
	VADDPD    spOne<>(SB), Y1, Y4;     \
	VMULPD    spSixth<>(SB), Y1, Y5;   \
	VADDPD    spHalf<>(SB), Y5, Y5;    \
	VMULPD    spC120<>(SB), Y1, Y6;    \
	VADDPD    spC24<>(SB), Y6, Y6;     \
	VMULPD    Y6, Y3, Y6;              \
	VADDPD    Y6, Y5, Y5;              \
	VMULPD    Y5, Y3, Y5;              \
	VADDPD    Y5, Y4, Y4;              \
	VPAND     spExpIdx<>(SB), Y2, Y5;  \
	VPCMPEQQ  Y6, Y6, Y6;              \
	VXORPD    Y7, Y7, Y7;              \
	VGATHERQPD Y6, (R8)(Y5*8), Y7;     \
	VPSRLQ    $6, Y2, Y2;              \
	VPSLLQ    $52, Y2, Y2;             \
	VPADDQ    Y2, Y7, Y7

// NEARMID sets DX to the mask of the lanes of Y4 within roundingMargin
// ulps of a float32 rounding midpoint, lanes past the thresholds (Y13,
// Y14) aside; Y5, Y6 and Y7 are overwritten.
#define NEARMID \
	VPAND     spLow29<>(SB), Y4, Y5;       \
	VPSUBQ    spMid<>(SB), Y5, Y5;         \
	VMOVDQU   spMargin<>(SB), Y6;          \
	VPCMPGTQ  Y5, Y6, Y6;                  \
	VPCMPGTQ  spMinusMargin<>(SB), Y5, Y7; \
	VPAND     Y7, Y6, Y6;                  \
	VPOR      Y14, Y13, Y7;                \
	VPANDN    Y6, Y7, Y6;                  \
	VMOVMSKPD Y6, DX

// func softplus4(n int, dst, src *float32) int
//
// softplus4 is softplus32 four elements at a time: fastExp, fastLog1p
// and the rounding check of softplus.go in float64 lanes, every operation
// the Go code's, in its order (no fused multiply-add), so every lane's
// float64 value is the Go code's; x > 14 gives x and x < -103 gives 0, as
// gorgonia's thresholds. It stops before the first block of four holding
// a lane that needs gorgonia's arithmetic (x in [-103, -86), NaN, or a
// value near a float32 rounding midpoint) and returns how many elements
// it wrote. n must be a multiple of 4.
TEXT ·softplus4(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	XORQ AX, AX
	LEAQ ·exp2Table(SB), R8
	LEAQ ·logInv(SB), R9
	LEAQ ·logOf(SB), R10

block:
	CMPQ AX, CX
	JGE  done
	VCVTPS2PD (SI)(AX*4), Y0 // a

	// Lanes: Y13 = a > 14 (x), Y14 = a < -103 (0); a >= -86, or one of
	// those, or the block goes to Go.
	VCMPPD    $0x1e, sp14<>(SB), Y0, Y13  // GT_OQ
	VCMPPD    $0x11, spM103<>(SB), Y0, Y14 // LT_OQ
	VCMPPD    $0x1d, spM86<>(SB), Y0, Y1   // GE_OQ
	VORPD     Y14, Y1, Y1
	VMOVMSKPD Y1, DX
	CMPQ      DX, $15
	JNE       done

	// fastExp(-|a|)
	VORPD     spSign<>(SB), Y0, Y1      // -|a|
	FASTEXP
	VMULPD    Y4, Y7, Y1                // t

	// fastLog1p(t)
	VADDPD    spOne<>(SB), Y1, Y2       // u = 1 + t
	VSUBPD    spOne<>(SB), Y2, Y3
	VSUBPD    Y3, Y1, Y3                // c = t - (u - 1)
	VCMPPD    $0x1d, spTwo<>(SB), Y2, Y4
	VANDPD    spOne<>(SB), Y4, Y4       // e: 1 for u = 2, else 0
	VPAND     spMant<>(SB), Y2, Y5
	VPOR      spOne<>(SB), Y5, Y5       // m
	VPSRLQ    $45, Y2, Y6
	VPAND     spLogIdx<>(SB), Y6, Y6    // j
	VPCMPEQQ  Y7, Y7, Y7
	VXORPD    Y8, Y8, Y8
	VGATHERQPD Y7, (R9)(Y6*8), Y8       // logInv[j]
	VPCMPEQQ  Y7, Y7, Y7
	VXORPD    Y9, Y9, Y9
	VGATHERQPD Y7, (R10)(Y6*8), Y9      // logOf[j]
	VMULPD    Y8, Y5, Y5
	VSUBPD    spOne<>(SB), Y5, Y5       // z
	VMULPD    Y5, Y5, Y6                // z2
	VMULPD    Y6, Y6, Y7                // z4
	VMULPD    spHalf<>(SB), Y5, Y10
	VMOVUPD   spOne<>(SB), Y11
	VSUBPD    Y10, Y11, Y10             // A = 1 - z/2
	VMULPD    spQuarter<>(SB), Y5, Y11
	VMOVUPD   spThird<>(SB), Y12
	VSUBPD    Y11, Y12, Y11
	VMULPD    Y11, Y6, Y11              // B = z2*(1/3 - z/4)
	VADDPD    Y11, Y10, Y10             // A + B
	VMULPD    spSixth<>(SB), Y5, Y11
	VMOVUPD   spFifth<>(SB), Y12
	VSUBPD    Y11, Y12, Y11             // 1/5 - z/6
	VMULPD    spSeventh<>(SB), Y6, Y12
	VADDPD    Y12, Y11, Y11
	VMULPD    Y11, Y7, Y11              // C
	VADDPD    Y11, Y10, Y10
	VMULPD    Y10, Y5, Y10              // p
	VMULPD    Y8, Y3, Y3                // c*logInv[j]
	VMULPD    spHalf<>(SB), Y4, Y11
	VMOVUPD   spOne<>(SB), Y12
	VSUBPD    Y11, Y12, Y11             // 1 - e/2
	VMULPD    Y11, Y3, Y3
	VADDPD    Y3, Y10, Y10              // p + c*inv*(1 - e/2)
	VADDPD    Y10, Y9, Y10              // logOf[j] + ...
	VMULPD    spLn2<>(SB), Y4, Y4
	VADDPD    Y10, Y4, Y4               // log1p(t)

	// y = log1p(t) + 0.5*(a + |a|)
	VMOVUPD   spSign<>(SB), Y2
	VANDNPD   Y0, Y2, Y1                // |a|
	VADDPD    Y1, Y0, Y1
	VMULPD    spHalf<>(SB), Y1, Y1
	VADDPD    Y1, Y4, Y4                // y

	// Near a midpoint (lanes past the thresholds aside): to Go.
	NEARMID
	TESTQ     DX, DX
	JNZ       done

	VBLENDVPD Y13, Y0, Y4, Y4           // x where x > 14
	VANDNPD   Y4, Y14, Y4               // 0 where x < -103
	VCVTPD2PSY Y4, X4
	VMOVUPS   X4, (DI)(AX*4)
	ADDQ      $4, AX
	JMP       block

done:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

VEC4(spM88, $0xc056000000000000)
VEC4(sp15, $0x402e000000000000)

// func sigmoid4(n int, dst, src, d *float32) int
//
// sigmoid4 is sigmoid32(x)·d, softplus's gradient, four elements at a
// time: fastExp, 1/(1 + e) and the rounding check of softplus.go in
// float64 lanes, every operation the Go code's, in its order; x > 15 gives
// 1 and x < -88 gives 0, as gorgonia's thresholds; then the float32
// product with d. It stops before the first block of four holding a lane
// that needs gorgonia's arithmetic (x in [-88, -86), NaN, or a value near a
// float32 rounding midpoint) and returns how many elements it wrote. n
// must be a multiple of 4.
TEXT ·sigmoid4(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ d+24(FP), BX
	XORQ AX, AX
	LEAQ ·exp2Table(SB), R8

sblock:
	CMPQ AX, CX
	JGE  sdone
	VCVTPS2PD (SI)(AX*4), Y0 // a

	// Lanes: Y13 = a > 15 (1), Y14 = a < -88 (0); a >= -86, or one of
	// those, or the block goes to Go.
	VCMPPD    $0x1e, sp15<>(SB), Y0, Y13  // GT_OQ
	VCMPPD    $0x11, spM88<>(SB), Y0, Y14 // LT_OQ
	VCMPPD    $0x1d, spM86<>(SB), Y0, Y1  // GE_OQ
	VORPD     Y14, Y1, Y1
	VMOVMSKPD Y1, DX
	CMPQ      DX, $15
	JNE       sdone

	// fastExp(-a)
	VXORPD    spSign<>(SB), Y0, Y1      // -a
	FASTEXP
	VMULPD    Y4, Y7, Y1                // e^-a

	// y = 1 / (1 + e^-a)
	VADDPD    spOne<>(SB), Y1, Y1
	VMOVUPD   spOne<>(SB), Y4
	VDIVPD    Y1, Y4, Y4                // y

	// Near a midpoint (lanes past the thresholds aside): to Go.
	NEARMID
	TESTQ     DX, DX
	JNZ       sdone

	VBLENDVPD Y13, spOne<>(SB), Y4, Y4  // 1 where x > 15
	VANDNPD   Y4, Y14, Y4               // 0 where x < -88
	VCVTPD2PSY Y4, X4
	VMOVUPS   (BX)(AX*4), X5
	VMULPS    X5, X4, X4                // sigmoid times the gradient
	VMOVUPS   X4, (DI)(AX*4)
	ADDQ      $4, AX
	JMP       sblock

sdone:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET
