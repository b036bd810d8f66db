//go:build amd64 && !purego

#include "textflag.h"

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
// carries when both operands are NaNs.
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

loop:
	VCVTPS2PD (SI), Y0     // gj
	VMOVUPD   (R8), Y1
	VMULPD    Y8, Y1, Y1   // m*b1
	VMULPD    Y0, Y9, Y2   // omb1*gj
	VADDPD    Y1, Y2, Y1   // m = omb1*gj + m*b1
	VMOVUPD   Y1, (R8)
	VMOVUPD   (R9), Y3
	VMULPD    Y10, Y3, Y3  // v*b2
	VMULPD    Y0, Y11, Y4  // omb2*gj
	VMULPD    Y4, Y0, Y4   // gj*(omb2*gj)
	VADDPD    Y3, Y4, Y3   // v = omb2*gj*gj + v*b2
	VMOVUPD   Y3, (R9)

	VDIVPD     Y13, Y1, Y1 // m/c1
	VMULPD     Y12, Y1, Y1 // (m/c1)*lr
	VDIVPD     Y14, Y3, Y3 // v/c2
	VSQRTPD    Y3, Y3      // sqrt(v/c2)
	VADDPD     Y15, Y3, Y3 // sqrt(v/c2) + eps
	VDIVPD     Y3, Y1, Y1  // delta
	VCVTPD2PSY Y1, X1      // float32(delta)
	VMOVUPS    (DI), X2
	VSUBPS     X1, X2, X2  // w - float32(delta)
	VMOVUPS    X2, (DI)

	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
