//go:build !amd64 || purego

package graph

// hasAVX2 is false: the assembly is written for amd64, and the purego
// build tag leaves every loop to Go.
const hasAVX2 = false

// softplus4 is never called without the assembly.
func softplus4(n int, dst, src *float32) int { panic("graph: no assembly on this architecture") }

// sigmoid4 is never called without the assembly.
func sigmoid4(n int, dst, src, d *float32) int { panic("graph: no assembly on this architecture") }

// rectify8 is never called without the assembly.
func rectify8(n int, x, d, out *float32) { panic("graph: no assembly on this architecture") }

// pairRectify8 is never called without the assembly.
func pairRectify8(n int, b, a, d, out *float32) { panic("graph: no assembly on this architecture") }

// reluGrad8 is never called without the assembly.
func reluGrad8(n int, x, d, out *float32) { panic("graph: no assembly on this architecture") }

// relu8 is never called without the assembly.
func relu8(n int, x, out *float32) { panic("graph: no assembly on this architecture") }
