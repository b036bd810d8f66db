// Package hugepage allocates large buffers that the kernel may back with
// transparent huge pages (2 MB) rather than 4 KB pages.
//
// A run's largest buffers, Adam's moments above all (16 bytes a weight,
// 133 MB for the DIM model's 8.31 million weights), are first touched in
// its first steps. With 4 KB pages each page of a moment takes two
// faults there, a read that maps the zero page and a write that replaces
// it, and each such write flushes the TLBs of every core the process
// runs on: about 65,000 faults a model, seconds of system time on a
// virtual machine. On a Linux system whose transparent huge pages are
// "madvise" (the default of many distributions) or "always", a buffer
// from this package takes about one fault for each 2 MB instead, where
// its memory comes fresh from the system, as it does at a run's set-up;
// a last part shorter than 2 MB stays on 4 KB pages. Memory that Go
// reuses it has already cleared, at 4 KB, before the advice: there the
// advice only lets the kernel's khugepaged merge the pages later.
// Elsewhere, or where the kernel declines, it is an ordinary zeroed slice
// and works the same.
//
// The advice outlives the buffer: once the garbage collector frees it,
// Go reuses the range for other objects, and the kernel's khugepaged may
// back a 2 MB range that Go has partly returned in full again. A
// process's resident memory can so stay nearer its peak than with 4 KB
// pages, by up to 2 MB for each such range.
package hugepage

import "unsafe"

// MinBytes is the size in bytes from which a buffer is aligned and
// advised: below it, the Size bytes the alignment adds to the allocation
// would be a large share of it.
const MinBytes = 4 << 20

// Size is the size of a transparent huge page on x86-64 and most arm64
// Linux systems.
const Size = 2 << 20

// Float64s returns a zeroed []float64 of length and capacity n. From
// MinBytes bytes on, it starts on a Size boundary and is advised for huge
// pages.
func Float64s(n int) []float64 { return alloc[float64](n) }

// Float32s is Float64s for float32s.
func Float32s(n int) []float32 { return alloc[float32](n) }

// alloc returns a zeroed []T of length and capacity n, aligned to Size and
// advised for huge pages when it is MinBytes bytes or more.
func alloc[T float32 | float64](n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if n*size < MinBytes {
		return make([]T, n)
	}
	s := make([]T, n+Size/size)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	skip := int(((start+Size-1)&^(Size-1))-start) / size
	s = s[skip : skip+n : skip+n]
	advise(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n*size))
	return s
}
