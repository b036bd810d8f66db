//go:build amd64 && !purego

#include "textflag.h"

// MOMENTS updates four elements' moments: Y0 = gj, Y1 = m, Y3 = v.
#define MOMENTS \
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

// UPDATE subtracts float32((Y1*lr) / (sqrt(v/c2) + eps)) from four
// weights, Y1 being m/c1 (or m, when c1 is 1) and Y3 v.
#define UPDATE \
	VMULPD     Y12, Y1, Y1; \
	VDIVPD     Y14, Y3, Y3; \
	VSQRTPD    Y3, Y3;      \
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

// func adamKernel4(n int, w, grad *float32, m, v *float64, b1, omb1, b2, omb2, lr, c1, c2, eps float64)
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
TEXT ·adamKernel4(SB), NOSPLIT, $0-104
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

	SHRQ $2, CX
	JZ   done

	// Once c1 has rounded to 1 (beta1^t at most 2^-54: from step 356 at
	// beta1 = 0.9), m/c1 is m, bit for bit, and the division, a quarter
	// of the loop's work on the divider, is left out.
	MOVQ     $0x3ff0000000000000, AX // 1.0
	VMOVQ    AX, X0
	VUCOMISD X0, X13
	JNE      loop
	JPS      loop

unbiased:
	MOMENTS
	UPDATE
	ADVANCE
	JNZ  unbiased
	JMP  done

loop:
	MOMENTS
	VDIVPD Y13, Y1, Y1 // m/c1
	UPDATE
	ADVANCE
	JNZ  loop

done:
	VZEROUPPER
	RET
