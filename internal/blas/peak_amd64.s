//go:build amd64 && !openblas && !purego

#include "textflag.h"

// func fmaLoop256(n int, x float32) float32
TEXT ·fmaLoop256(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	VBROADCASTSS x+8(FP), Y12
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VXORPS       Y8, Y8, Y8
	VXORPS       Y9, Y9, Y9
	VXORPS       Y10, Y10, Y10
	VXORPS       Y11, Y11, Y11
	TESTQ        CX, CX
	JLE          done256

loop256:
	VFMADD231PS Y12, Y12, Y0
	VFMADD231PS Y12, Y12, Y1
	VFMADD231PS Y12, Y12, Y2
	VFMADD231PS Y12, Y12, Y3
	VFMADD231PS Y12, Y12, Y4
	VFMADD231PS Y12, Y12, Y5
	VFMADD231PS Y12, Y12, Y6
	VFMADD231PS Y12, Y12, Y7
	VFMADD231PS Y12, Y12, Y8
	VFMADD231PS Y12, Y12, Y9
	VFMADD231PS Y12, Y12, Y10
	VFMADD231PS Y12, Y12, Y11
	DECQ        CX
	JNZ         loop256

done256:
	// Sum the accumulators, so that a test sees every one of them.
	VADDPS      Y1, Y0, Y0
	VADDPS      Y2, Y0, Y0
	VADDPS      Y3, Y0, Y0
	VADDPS      Y4, Y0, Y0
	VADDPS      Y5, Y0, Y0
	VADDPS      Y6, Y0, Y0
	VADDPS      Y7, Y0, Y0
	VADDPS      Y8, Y0, Y0
	VADDPS      Y9, Y0, Y0
	VADDPS      Y10, Y0, Y0
	VADDPS      Y11, Y0, Y0
	VMOVSS      X0, ret+16(FP)
	VZEROUPPER
	RET

// func fmaLoop512(n int, x float32) float32
TEXT ·fmaLoop512(SB), NOSPLIT, $0-20
	MOVQ         n+0(FP), CX
	VBROADCASTSS x+8(FP), Z12
	VPXORD       Z0, Z0, Z0
	VPXORD       Z1, Z1, Z1
	VPXORD       Z2, Z2, Z2
	VPXORD       Z3, Z3, Z3
	VPXORD       Z4, Z4, Z4
	VPXORD       Z5, Z5, Z5
	VPXORD       Z6, Z6, Z6
	VPXORD       Z7, Z7, Z7
	VPXORD       Z8, Z8, Z8
	VPXORD       Z9, Z9, Z9
	VPXORD       Z10, Z10, Z10
	VPXORD       Z11, Z11, Z11
	TESTQ        CX, CX
	JLE          done512

loop512:
	VFMADD231PS Z12, Z12, Z0
	VFMADD231PS Z12, Z12, Z1
	VFMADD231PS Z12, Z12, Z2
	VFMADD231PS Z12, Z12, Z3
	VFMADD231PS Z12, Z12, Z4
	VFMADD231PS Z12, Z12, Z5
	VFMADD231PS Z12, Z12, Z6
	VFMADD231PS Z12, Z12, Z7
	VFMADD231PS Z12, Z12, Z8
	VFMADD231PS Z12, Z12, Z9
	VFMADD231PS Z12, Z12, Z10
	VFMADD231PS Z12, Z12, Z11
	DECQ        CX
	JNZ         loop512

done512:
	// Sum the accumulators, so that a test sees every one of them.
	VADDPS      Z1, Z0, Z0
	VADDPS      Z2, Z0, Z0
	VADDPS      Z3, Z0, Z0
	VADDPS      Z4, Z0, Z0
	VADDPS      Z5, Z0, Z0
	VADDPS      Z6, Z0, Z0
	VADDPS      Z7, Z0, Z0
	VADDPS      Z8, Z0, Z0
	VADDPS      Z9, Z0, Z0
	VADDPS      Z10, Z0, Z0
	VADDPS      Z11, Z0, Z0
	VMOVSS      X0, ret+16(FP)
	VZEROUPPER
	RET
