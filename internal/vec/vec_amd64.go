//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the CPU and OS support the AVX2 instructions
// that add8 uses.
var hasAVX2 = cpu.X86.HasAVX2

// add8 adds the n float32s at src into those at dst, eight at a time; n
// must be a multiple of 8.
//
//go:noescape
func add8(n int, dst, src *float32)
