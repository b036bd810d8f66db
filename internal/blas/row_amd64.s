//go:build amd64 && !openblas && !purego

#include "textflag.h"

// func row64(k int, a *float32, lda int, b *float32, ldb int, c *float32, alpha, beta float32, mode int)
TEXT ·row64(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ c+40(FP), DX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop64:
	VBROADCASTSS (AX), Y8
	VFMADD231PS  (BX), Y8, Y0
	VFMADD231PS  32(BX), Y8, Y1
	VFMADD231PS  64(BX), Y8, Y2
	VFMADD231PS  96(BX), Y8, Y3
	VFMADD231PS  128(BX), Y8, Y4
	VFMADD231PS  160(BX), Y8, Y5
	VFMADD231PS  192(BX), Y8, Y6
	VFMADD231PS  224(BX), Y8, Y7
	ADDQ         R8, AX
	ADDQ         R9, BX
	DECQ         CX
	JNZ          loop64

	VBROADCASTSS alpha+48(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VMULPS       Y12, Y4, Y4
	VMULPS       Y12, Y5, Y5
	VMULPS       Y12, Y6, Y6
	VMULPS       Y12, Y7, Y7
	MOVQ         mode+56(FP), CX
	CMPQ         CX, $1
	JEQ          set64
	JGT          scale64
	VADDPS       (DX), Y0, Y0
	VADDPS       32(DX), Y1, Y1
	VADDPS       64(DX), Y2, Y2
	VADDPS       96(DX), Y3, Y3
	VADDPS       128(DX), Y4, Y4
	VADDPS       160(DX), Y5, Y5
	VADDPS       192(DX), Y6, Y6
	VADDPS       224(DX), Y7, Y7
	JMP          set64

scale64:
	VBROADCASTSS beta+52(FP), Y13
	VMULPS       (DX), Y13, Y14
	VADDPS       Y14, Y0, Y0
	VMULPS       32(DX), Y13, Y14
	VADDPS       Y14, Y1, Y1
	VMULPS       64(DX), Y13, Y14
	VADDPS       Y14, Y2, Y2
	VMULPS       96(DX), Y13, Y14
	VADDPS       Y14, Y3, Y3
	VMULPS       128(DX), Y13, Y14
	VADDPS       Y14, Y4, Y4
	VMULPS       160(DX), Y13, Y14
	VADDPS       Y14, Y5, Y5
	VMULPS       192(DX), Y13, Y14
	VADDPS       Y14, Y6, Y6
	VMULPS       224(DX), Y13, Y14
	VADDPS       Y14, Y7, Y7

set64:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	VZEROUPPER
	RET

// func row16(k int, a *float32, lda int, b *float32, ldb int, c *float32, alpha, beta float32, mode int)
TEXT ·row16(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ c+40(FP), DX

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

loop16:
	VBROADCASTSS (AX), Y8
	VFMADD231PS  (BX), Y8, Y0
	VFMADD231PS  32(BX), Y8, Y1
	ADDQ         R8, AX
	ADDQ         R9, BX
	DECQ         CX
	JNZ          loop16

	VBROADCASTSS alpha+48(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	MOVQ         mode+56(FP), CX
	CMPQ         CX, $1
	JEQ          set16
	JGT          scale16
	VADDPS       (DX), Y0, Y0
	VADDPS       32(DX), Y1, Y1
	JMP          set16

scale16:
	VBROADCASTSS beta+52(FP), Y13
	VMULPS       (DX), Y13, Y14
	VADDPS       Y14, Y0, Y0
	VMULPS       32(DX), Y13, Y14
	VADDPS       Y14, Y1, Y1

set16:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// func outer16(m int, a *float32, lda int, b *float32, n16 int, c *float32, ldc int, alpha, beta float32, mode int)
TEXT ·outer16(SB), NOSPLIT, $0-72
	MOVQ         m+0(FP), CX
	MOVQ         a+8(FP), AX
	MOVQ         lda+16(FP), R8
	SHLQ         $2, R8
	MOVQ         b+24(FP), BX
	MOVQ         n16+32(FP), R10
	MOVQ         c+40(FP), DX
	MOVQ         ldc+48(FP), R9
	SHLQ         $2, R9
	VBROADCASTSS alpha+56(FP), Y12
	VBROADCASTSS beta+60(FP), Y13
	MOVQ         mode+64(FP), R11

outerRow:
	VBROADCASTSS (AX), Y8
	MOVQ         BX, SI
	MOVQ         DX, DI
	MOVQ         R10, R12

outerGroup:
	VXORPS      Y0, Y0, Y0
	VXORPS      Y1, Y1, Y1
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y8, Y1
	VMULPS      Y12, Y0, Y0
	VMULPS      Y12, Y1, Y1
	CMPQ        R11, $1
	JEQ         outerSet
	JGT         outerScale
	VADDPS      (DI), Y0, Y0
	VADDPS      32(DI), Y1, Y1
	JMP         outerSet

outerScale:
	VMULPS (DI), Y13, Y14
	VADDPS Y14, Y0, Y0
	VMULPS 32(DI), Y13, Y14
	VADDPS Y14, Y1, Y1

outerSet:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    R12
	JNZ     outerGroup

	ADDQ R8, AX
	ADDQ R9, DX
	DECQ CX
	JNZ  outerRow
	VZEROUPPER
	RET
