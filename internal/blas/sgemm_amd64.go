//go:build !openblas && !purego

package blas

import "golang.org/x/sys/cpu"

// hasKernel reports whether the CPU and OS support the AVX2 and FMA
// instructions that kernel6x16 uses.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useWide reports whether Sgemm computes pairs of full tiles whose A is
// packed with the AVX-512 kernel kernel12x16z: where the CPU and OS
// support AVX-512F. (useBlocks adds 12x32 blocks, and inPlacePairs pairs
// whose A is read in place.) The results are the same bits either way;
// tests switch it off to run the AVX2 kernels alone.
//
// On a 2-core Zen 4 (cpu family 25), whose 512-bit FMAs run as two
// 256-bit halves, the DIM step measured 5% faster with it at batch 64
// and 7% at batch 16, and the encoder alone 1% slower (medians of 6
// interleaved rounds, within the machines' noise); products with B read
// in place gained most (fc layer, 64x4096x1024: +22%), because each
// depth's sixteen values of B now serve twelve rows. Where 512-bit FMAs
// are native (Zen 5: an FMA loop ran twice as fast with them) the kernel
// has twice AVX2's peak.
var useWide = hasKernel && cpu.X86.HasAVX512F

// useBlocks reports whether Sgemm also computes 12x32 blocks of C (four
// tiles) with the AVX-512 kernel kernel12x32z, stores large products'
// C around the caches (streams) and leaves packing a large far-strided B
// under few rows to packLargeB (farB; without the blocks such a B is
// always packed): wherever useWide is set. The results are the same bits
// either way.
//
// On a 2-core Intel Xeon with AVX-512 FP16 (cpu family 6), whose FMA loop
// ran at 205 GFLOP/s a thread with 512-bit vectors and 109 with 256-bit
// ones, the 12x32 kernel ran at 172-178 GFLOP/s in L1 against 107-112
// for kernel6x16 and 148-156 for kernel12x16z. On the 2-core Zen 4, where
// 512-bit FMAs have 256-bit ones' peak, the blocks pay as well: each
// depth's 32 values of B serve twelve rows, so the kernel loads less
// than half as often per multiply-add as kernel6x16 (14 loads for 24
// 512-bit FMAs, against 8 for 12 256-bit ones). There (2026-12-03, 6
// interleaved rounds of each step, medians) the DIM step ran 1.24x as
// fast at batch 64 (418 against 338 images/s), 1.14x at batch 16, the
// encoder 1.10x and the concat Gaussian step 1.24x; products of DIM's
// shapes in BenchmarkSgemm gained up to 1.4x (the critic's 512x4096 by
// 4096x512 with A transposed, 145 -> 185 GFLOP/s; the fc weight gradient
// 137 -> 184).
var useBlocks = useWide

// inPlacePairs reports whether two full slivers of A read in place (not
// packed) run together, through kernel12x16z or as 12x32 blocks: where
// 512-bit FMAs are native (native512FMA). Elsewhere each such sliver
// runs alone, six rows at a time (kernel6x32z in a 12x32 block's
// columns, kernel6x16a in a single column's). On Zen 4 twelve rows'
// streams, lda apart, overflow the L1 cache's ways: with pairs of 12x16
// tiles, conv products ran up to 20% slower, and with these pairs as well
// as the 12x32 blocks the DIM step at batch 64 ran at 398 against 418
// images/s and the encoder at 1078 against 1122 (medians of the same 6
// rounds). The results are the same bits either way.
var inPlacePairs = native512

// packLargeB reports whether a large, far-strided plain B under few rows
// of A is packed where the 12x32 blocks run (useBlocks; without them it
// always is, farB): on Intel cores whose 512-bit FMAs are native,
// the machine farB's rule was measured on. On AMD's cores, Zen 4 and Zen
// 5 alike, the 12x32 blocks read such a B in place faster, prefetching
// its rows 32 depths ahead. On Zen 4 (2026-12-03,
// BenchmarkSgemmFromMemory, medians of 5 interleaved runs) the fc layer's
// 16x4096 times 4096x1024 took 1.59 against 2.20 ms, the global critic's
// 16x4096 times 4096x512 0.94 against 1.49 ms, and in BenchmarkSgemm (B
// in cache) 64x4096 times 4096x1024 3.44 against 3.98 ms and the concat
// Gaussian critic's weight gradient (256x4096 transposed times 4096x256)
// 2.95 against 3.75 ms; timed inside the DIM step at batch 16, the two
// batch-16 products took 1.51-1.70 and 0.74-0.90 ms against 1.76-2.13 and
// 1.00-1.15 (two runs each). On a 2-core Zen 5 (cpu family 26,
// 2026-12-05, the same benchmarks, medians of 5 interleaved runs of two
// builds) the four took 1.04 against 1.94 ms, 0.53 against 0.93, 2.17
// against 2.74 and 1.81 against 2.09; in place was faster in every run
// of the first three. The results are the same bits either way.
var packLargeB = native512 && cpuVendor() == vendorIntel

// native512AMD reports whether native512 holds on an AMD core, for
// NativeAVX512AMD.
var native512AMD = native512 && cpuVendor() == vendorAMD

// native512 reports whether the CPU has AVX-512F and its 512-bit FMAs
// are native (native512FMA), for NativeAVX512.
var native512 = useWide && native512FMA()

// native512FMA reports whether this CPU's 512-bit FMAs are native rather
// than run as two 256-bit halves, from CPUID's vendor and family: Intel's
// AVX-512 cores, and AMD's from Zen 5 (family 26) on; Zen 4 (family 25)
// splits them. It decides inPlacePairs, packLargeB (with the vendor) and
// NativeAVX512.
// (Some Intel parts, client cores and a few server ones, have one 512-bit
// FMA unit; there the AVX-512 kernels run at AVX2's peak at best, and
// such parts are untested. The bits are the same either way.)
func native512FMA() bool {
	switch cpuVendor() {
	case vendorIntel:
		return true
	case vendorAMD:
		return cpuFamily() >= 26
	}
	return false
}

// The CPU vendors that cpuVendor tells apart.
const (
	vendorOther = iota
	vendorIntel
	vendorAMD
)

// cpuVendor is the CPU's vendor from CPUID leaf 0: vendorIntel for
// "GenuineIntel", vendorAMD for "AuthenticAMD", vendorOther otherwise.
func cpuVendor() int {
	_, b, c, d := cpuid(0, 0)
	switch {
	case b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e: // "GenuineIntel"
		return vendorIntel
	case b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163: // "AuthenticAMD"
		return vendorAMD
	}
	return vendorOther
}

// cpuFamily is the CPU's family as /proc/cpuinfo gives it: CPUID leaf 1's
// base family, plus its extended family where the base is 15.
func cpuFamily() int {
	a, _, _, _ := cpuid(1, 0)
	family := int(a>>8) & 0xf
	if family == 0xf {
		family += int(a>>20) & 0xff
	}
	return family
}

// cpuid runs the CPUID instruction for leaf eaxArg, subleaf ecxArg.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// kernel6x16 computes the 6×16 tile acc = sum_p a[p*6+i] * b[p*16+j] of
// the product of a packed 6×k sliver of A and a packed k×16 sliver of B,
// each sum over p in order with fused multiply-adds, and stores it into
// the tile of C at c, whose rows are ldc elements apart, as mode says:
//
//	modeAdd:   c[i*ldc+j] = c[i*ldc+j] + alpha*acc[i][j]
//	modeSet:   c[i*ldc+j] = alpha*acc[i][j] (C is not read)
//	modeScale: c[i*ldc+j] = beta*c[i*ldc+j] + alpha*acc[i][j]
//
// Every product and sum there rounds to float32 separately. k must be at
// least 1.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, alpha, beta float32, mode int)

// kernel6x16s is kernel6x16 reading B in place rather than packed: depth
// p's sixteen values of B are at b + p*ldb. Its sums and stores are
// kernel6x16's, bit for bit.
//
//go:noescape
func kernel6x16s(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int)

// kernel6x16a is kernel6x16 reading A in place rather than packed: element
// (i, p) of the six-row sliver is at a + i*rs + p*ds. Its sums and stores
// are kernel6x16's, bit for bit.
//
//go:noescape
func kernel6x16a(k int, a *float32, rs, ds int, b, c *float32, ldc int, alpha, beta float32, mode int)

// kernel12x16z is two kernel6x16 tiles, one above the other, in AVX-512:
// the 12×16 tile of C at c from two 6-row slivers of A, element (i, p)
// of the first at a0 + i*rs + p*ds and of the second at a1 + i*rs +
// p*ds, and B's sixteen values of depth p at b + p*ldb (16 for a packed
// sliver). Each row of the tile is one 512-bit register; its sums, in
// the same order with the same fused multiply-adds, and its stores are
// kernel6x16's, bit for bit, NaN payloads included (A's broadcast value
// is the multiply's first operand, as there).
//
//go:noescape
func kernel12x16z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, mode int)

// kernel12x32z is four kernel6x16 tiles, a 12x32 block of C, in AVX-512:
// the two 6-row slivers of A as kernel12x16z reads them, against 32
// columns of B whose first sixteen values of depth p are at b + p*ldb and
// the next sixteen at b + b2 + p*ldb. Each row of the block is two
// 512-bit registers; its sums and stores are kernel6x16's, bit for bit,
// NaN payloads included.
//
// Two prefetches, which change no value, serve products whose operands
// are not in the caches, as the prior discriminator's are in a training
// step (BenchmarkSgemmCold). With k at most 64 (shallowDepth), unless C is
// streamed, the block's rows of C are prefetched before they are
// computed: a weight gradient from a batch of 16, such as 200×1000 from
// depth 16, otherwise waits for every row of C it stores. A B read in
// place (ldb not 16) is prefetched 32 depths ahead, since its depths are
// rows of B too far apart for the hardware's prefetchers. On the 2-core
// Intel Xeon, with the caches swept before each product (three
// interleaved runs), 200×16 times 16×1000 took 125-137 µs against
// 257-272, 64×16 times 16×1000 69-76 against 121-131, 16×1000 times
// 1000×200 109-128 against 141-166, and 16×64 times 64×1000 80-84
// against 97-105;
// the DIM step at batch 16 ran 2-3% faster in two runs of 3 interleaved
// rounds (medians 423.3 against 412.8 and 425.6 against 415.9 images/s),
// the other steps within 1%.
//
// Where B is read in place, k is at least 2 and next is not b, B is also
// prefetched into L2 a block ahead: for each depth p, the 32 values at
// next + p*ldb, where columnPair passes the pair of slivers that follows
// b's (see rowTiles.nextPair). Prefetched 32 depths ahead alone, the pairs
// of a few-row product of a B from memory wait for most of their rows:
// each depth is a row of B, 4 KB or more apart, that the prefetch reaches
// about 100 ns before the kernel does. On the 2-core Zen 5 (2026-12-06,
// medians of 6 interleaved runs of two builds at 150 products each), the
// fc layer's 16×4096 times 4096×1024 from memory took 894 against 1033 µs,
// the global critic's 16×4096 times 4096×512 479 against 555, and the
// prior discriminator's 16×1000 times 1000×200 and 16×64 times 64×1000,
// caches swept, 152 against 180 and 65 against 73; 64×4096 times 4096×1024
// ran the same (2409 against 2455), as did the products whose B is packed
// or in cache, within the runs' spread of ±10%. Timed inside the DIM step
// at batch 16, the fc layer's product took 0.86-0.90 ms against 0.97-1.02
// (three runs each); the step's gain, about 0.5%, is below what its rounds
// tell apart.
//
//go:noescape
func kernel12x32z(k int, a0, a1 *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int, next *float32)

// kernel6x32z is two kernel6x16 tiles side by side in AVX-512: the 6x32
// block of C at c from one 6-row sliver of A, element (i, p) at a + i*rs
// + p*ds, against B's 32 columns as kernel12x32z reads them. It takes the
// sliver of a block's rows that is left when the others pair up, such as
// the last four of 64. Each row of the block is two 512-bit registers;
// its sums and stores are kernel6x16's, bit for bit, NaN payloads
// included.
//
// Like kernel12x32z, it prefetches its rows of C first where k is at
// most 64 and C is not streamed.
//
//go:noescape
func kernel6x32z(k int, a *float32, rs, ds int, b *float32, ldb, b2 int, c *float32, ldc int, alpha, beta float32, mode int)

// sfence orders the non-temporal stores this thread made before it
// before every store after it (SFENCE), so that another goroutine that
// learns, through a later store, that C is done sees C.
//
//go:noescape
func sfence()

// packPlainB packs the first slivers*16 columns of kc rows of a plain B,
// rows ldb apart from src, into slivers of 16 columns at dst, depth l of
// sliver t at dst[(t*kc+l)*16:], prefetching the rows ahead.
//
//go:noescape
func packPlainB(dst, src *float32, ldb, kc, slivers int)

// packTransposedA packs slivers full slivers of a transposed A, kc
// depths rows lda apart from src, six rows a sliver: depth l of sliver s
// at dst[(s*kc+l)*6:].
//
//go:noescape
func packTransposedA(dst, src *float32, lda, kc, slivers int)

// transposeBlocks8 writes the transposes of blocks 8x8 blocks of the
// matrix t, whose rows are ldt floats apart, side by side into eight
// rows of c, ldc floats apart: c[r*ldc+8q+s] = t[(8q+s)*ldt+r] for r and s
// in [0, 8) and q in [0, blocks). It uses AVX.
//
//go:noescape
func transposeBlocks8(c *float32, ldc int, t *float32, ldt, blocks int)

// dealRuns16 copies pieces blocks of 16 floats, contiguous from src, to
// dst, dst+stride, dst+2*stride, ... (stride in floats): one depth of as
// many packed slivers of B (packGathered).
//
//go:noescape
func dealRuns16(dst *float32, stride int, src *float32, pieces int)

// dealZeros16 sets pieces blocks of 16 floats at dst, dst+stride, ... to
// +0.
//
//go:noescape
func dealZeros16(dst *float32, stride int, pieces int)

// row64 computes 64 columns of a one-row product: acc[j] = sum over p of
// a[p*lda] * b[p*ldb+j], each sum over p in order with fused
// multiply-adds, A's value the multiply's first operand, and stores it
// into c[j] as kernel6x16 stores its tile by mode (not modeStream). Its
// sums and stores are kernel6x16's, bit for bit. k must be at least 1.
//
//go:noescape
func row64(k int, a *float32, lda int, b *float32, ldb int, c *float32, alpha, beta float32, mode int)

// row16 is row64 for 16 columns.
//
//go:noescape
func row16(k int, a *float32, lda int, b *float32, ldb int, c *float32, alpha, beta float32, mode int)

// outer16 computes the first 16*n16 columns of m rows of a product of
// depth 1: acc = a[i*lda] * b[j], a fused multiply-add into zero with A's
// value the multiply's first operand, stored into c[i*ldc+j] as row64
// stores it by mode (not modeStream), so each element gets row64's and
// kernel6x16's bits. m and n16 must be at least 1.
//
//go:noescape
func outer16(m int, a *float32, lda int, b *float32, n16 int, c *float32, ldc int, alpha, beta float32, mode int)

// dealRows8 copies pieces blocks of 16 columns of eight rows, lds floats
// apart from src, to dst, dst+stride, dst+2*stride, ... (stride in
// floats): block q of the eight rows becomes the 128 consecutive floats
// at dst+q*stride, row by row, eight depths of a packed sliver of B
// (packGathered). It uses AVX.
//
//go:noescape
func dealRows8(dst *float32, stride int, src *float32, lds, pieces int)
