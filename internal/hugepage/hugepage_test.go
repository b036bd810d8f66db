package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestAllocShapes checks lengths, capacities, zeroes and alignment on both
// sides of MinBytes, for both element types.
func TestAllocShapes(t *testing.T) {
	for _, n := range []int{0, 1, 1000, MinBytes/8 - 1, MinBytes / 8, MinBytes/8 + 3, 5 << 20} {
		checkBuffer(t, "Float64s", n, Float64s(n))
		checkBuffer(t, "Float32s", n, Float32s(n))
	}
}

// checkBuffer checks that s, from name(n), has length and capacity n,
// holds zeroes, and starts on a Size boundary where it is MinBytes bytes
// or more.
func checkBuffer[T float32 | float64](t *testing.T, name string, n int, s []T) {
	t.Helper()
	if len(s) != n || cap(s) != n {
		t.Fatalf("%s(%d): len %d, cap %d, want both %d", name, n, len(s), cap(s), n)
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	if size := int(unsafe.Sizeof(T(0))); n*size >= MinBytes && p%Size != 0 {
		t.Errorf("%s(%d) starts at %#x, not on a %d-byte boundary", name, n, p, Size)
	}
	for i, x := range s {
		if x != 0 {
			t.Fatalf("%s(%d)[%d] = %v, want 0", name, n, i, x)
		}
	}
}

// TestAdvised checks, on Linux with transparent huge pages, that the
// kernel recorded the advice: the mapping holding a large buffer carries
// the "hg" flag in /proc/self/smaps.
func TestAdvised(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("transparent huge pages are Linux's")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages")
	}
	buf := Float64s(3 * Size / 8)
	flags, err := vmFlags(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the mapping of a %d-byte buffer has VmFlags %q, without hg (MADV_HUGEPAGE)", len(buf)*8, flags)
	}
	runtime.KeepAlive(buf)
}

// vmFlags returns the VmFlags line of the mapping in /proc/self/smaps
// that holds the address p.
func vmFlags(p uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in, found := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if _, err := fmt.Sscanf(line, "%x-%x ", &lo, &hi); err == nil {
			in = lo <= p && p < hi
			found = found || in
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if found {
		return "", fmt.Errorf("the mapping in /proc/self/smaps that holds %#x has no VmFlags line (a kernel before 3.8?)", p)
	}
	return "", fmt.Errorf("no mapping in /proc/self/smaps holds %#x", p)
}

// TestSizeIsTheKernels checks, on x86-64 where the kernel tells it, that
// Size is the size of the kernel's transparent huge pages: a larger Size
// would waste memory on alignment, a smaller one would start buffers off
// the huge page boundaries. (On arm64 the size depends on the kernel's
// base page size, so a mismatch there is not checked.)
func TestSizeIsTheKernels(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("only x86-64's huge page size is fixed")
	}
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	if err != nil {
		t.Skip("this kernel does not tell its huge page size")
	}
	var kernel int
	if _, err := fmt.Sscan(string(b), &kernel); err != nil {
		t.Fatalf("hpage_pmd_size holds %q: %v", b, err)
	}
	if kernel != Size {
		t.Fatalf("the kernel's huge pages are %d bytes, Size is %d", kernel, Size)
	}
}

// TestAdvisedToTheEnd checks that the advice covers the whole buffer, not
// a first part of it: the mapping holding its last byte carries the "hg"
// flag too (madvise on part of a mapping splits it, leaving the rest
// unadvised).
func TestAdvisedToTheEnd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("transparent huge pages are Linux's")
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages")
	}
	f64, f32 := Float64s(3*Size/8), Float32s(3*Size/4)
	for _, c := range []struct {
		name string
		p    uintptr
		n    int
	}{
		{"Float64s", uintptr(unsafe.Pointer(&f64[len(f64)-1])), len(f64) * 8},
		{"Float32s", uintptr(unsafe.Pointer(&f32[len(f32)-1])), len(f32) * 4},
	} {
		flags, err := vmFlags(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(" "+flags+" ", " hg ") {
			t.Errorf("%s: the mapping of the last byte of a %d-byte buffer has VmFlags %q, without hg (MADV_HUGEPAGE)", c.name, c.n, flags)
		}
	}
	runtime.KeepAlive(f64)
	runtime.KeepAlive(f32)
}
