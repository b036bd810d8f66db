//go:build amd64 && !purego

package graph

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the CPU and OS support the AVX2 instructions
// softplus4 uses.
var hasAVX2 = cpu.X86.HasAVX2

// softplus4 writes softplus32 of the first n float32s at src to dst, four
// at a time in AVX2, up to the first block of four with an element that
// needs gorgonia's arithmetic, and returns how many it wrote. n must be a
// multiple of 4.
//
//go:noescape
func softplus4(n int, dst, src *float32) int

// sigmoid4 writes sigmoid32 of the first n float32s at src times those at d
// to dst, four at a time in AVX2, up to the first block of four with an
// element that needs gorgonia's arithmetic, and returns how many it wrote.
// n must be a multiple of 4.
//
//go:noescape
func sigmoid4(n int, dst, src, d *float32) int

// rectify8 writes rectify32's result for the first n elements (a
// multiple of 8) of x, and of d when d is not nil, to out, eight at a time
// in AVX2.
//
//go:noescape
func rectify8(n int, x, d, out *float32)

// pairRectify8 writes pairRectifyInto's float32 result for the first n
// elements (a multiple of 8) of b and a, and of d when d is not nil, to
// out, eight at a time in AVX2.
//
//go:noescape
func pairRectify8(n int, b, a, d, out *float32)

// reluGrad8 writes reluGrad32's result for the first n elements (a
// multiple of 8) to out, eight at a time in AVX2.
//
//go:noescape
func reluGrad8(n int, x, d, out *float32)

// relu8 writes relu32's result for the first n elements (a multiple of
// 8) of x to out, eight at a time in AVX2.
//
//go:noescape
func relu8(n int, x, out *float32)
