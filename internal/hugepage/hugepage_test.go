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
