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
		f64 := Float64s(n)
		checkShape(t, "Float64s", n, len(f64), cap(f64), 8, unsafe.Pointer(unsafe.SliceData(f64)))
		for i, x := range f64 {
			if x != 0 {
				t.Fatalf("Float64s(%d)[%d] = %v, want 0", n, i, x)
			}
		}
		f32 := Float32s(n)
		checkShape(t, "Float32s", n, len(f32), cap(f32), 4, unsafe.Pointer(unsafe.SliceData(f32)))
		for i, x := range f32 {
			if x != 0 {
				t.Fatalf("Float32s(%d)[%d] = %v, want 0", n, i, x)
			}
		}
	}
}

func checkShape(t *testing.T, name string, n, l, c, size int, p unsafe.Pointer) {
	t.Helper()
	if l != n || c != n {
		t.Fatalf("%s(%d): len %d, cap %d, want both %d", name, n, l, c, n)
	}
	if aligned := uintptr(p)%Size == 0; n*size >= MinBytes && !aligned {
		t.Errorf("%s(%d) starts at %#x, not on a %d-byte boundary", name, n, uintptr(p), Size)
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
