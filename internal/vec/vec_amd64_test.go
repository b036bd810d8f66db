//go:build amd64 && !purego

package vec

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// fmaProbeBits and plainProbeBits are the bits of math.Exp of each of
// fmaProbes by its FMA path and by its plain one (recorded on the Zen 3
// machine, the plain ones under GODEBUG=cpu.avx=off).
var (
	fmaProbeBits   = [8]uint64{0x3fd88dd3be7196a5, 0x4016c5c0548ebdc7, 0x3fca1b475408ced9, 0x3ffa2c9bda3a3e77, 0x69d187f7a9efc3bd, 0x3ff49081b8363623, 0x2316e908beb1e9e9, 0x4025706a73eb0f53}
	plainProbeBits = [8]uint64{0x3fd88dd3be7196a6, 0x4016c5c0548ebdc6, 0x3fca1b475408ced8, 0x3ffa2c9bda3a3e78, 0x69d187f7a9efc3be, 0x3ff49081b8363622, 0x2316e908beb1e9ea, 0x4025706a73eb0f54}
)

// TestExp64Probes checks the probes that guard exp4: math.Exp's two paths
// round each of them apart; exp4 gives the FMA path's bits; math.Exp gives
// one of the two, and the FMA path's wherever Exp64 runs exp4.
func TestExp64Probes(t *testing.T) {
	var out [8]float64
	asm := hasAVX2 && cpu.X86.HasAVX && cpu.X86.HasFMA
	if asm {
		exp4(len(fmaProbes), &out[0], &fmaProbes[0])
	}
	for i, x := range fmaProbes {
		if fmaProbeBits[i] == plainProbeBits[i] {
			t.Errorf("probe %v: the two paths' bits are the same, %#x", x, fmaProbeBits[i])
		}
		if asm && math.Float64bits(out[i]) != fmaProbeBits[i] {
			t.Errorf("exp4(%v) = %#x, math.Exp's FMA path %#x", x, math.Float64bits(out[i]), fmaProbeBits[i])
		}
		switch got := math.Float64bits(math.Exp(x)); {
		case got != fmaProbeBits[i] && got != plainProbeBits[i]:
			t.Errorf("math.Exp(%v) = %#x, neither path's bits (%#x, %#x)", x, got, fmaProbeBits[i], plainProbeBits[i])
		case hasFMA && got != fmaProbeBits[i]:
			t.Errorf("Exp64 runs exp4 where math.Exp(%v) takes its plain path", x)
		}
	}
}

// TestExp64WithoutAVX runs TestExp64IsMathExp and TestExp64Probes again
// in a child process under GODEBUG=cpu.avx=off, where math.Exp takes its
// plain path (but at GOAMD64=v3 and above, whose builds ignore the
// option): Exp64 must give its bits there too. It ran exp4, and missed
// math.Exp by an ulp on 9% of values in [-3, 3], when it checked AVX2 and
// FMA alone.
func TestExp64WithoutAVX(t *testing.T) {
	if os.Getenv("VEC_EXP64_CHILD") != "" {
		return // the child runs the other two
	}
	if !hasAVX2 || !hasFMA {
		t.Skip("no AVX2 and FMA: Exp64 is math.Exp's loop")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^(TestExp64IsMathExp|TestExp64Probes)$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), "GODEBUG=cpu.avx=off", "VEC_EXP64_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestExp64IsMathExp") || !strings.Contains(string(out), "--- PASS: TestExp64Probes") {
		t.Fatalf("under GODEBUG=cpu.avx=off: %v\n%s", err, out)
	}
}

// TestExp64UsesTheAssembly checks that Exp64 runs exp4 wherever math.Exp
// takes its FMA path (AVX, AVX2 and FMA, with no GODEBUG cpu option
// turning one off): a regression of exp4 on the start-up probes would
// otherwise switch it off quietly, and TestExp64IsMathExp would compare
// math.Exp with itself.
func TestExp64UsesTheAssembly(t *testing.T) {
	if strings.Contains(os.Getenv("GODEBUG"), "cpu.") {
		t.Skip("GODEBUG sets a cpu option")
	}
	if want := hasAVX2 && cpu.X86.HasAVX && cpu.X86.HasFMA; hasFMA != want {
		t.Errorf("hasFMA = %v on a CPU with AVX2, AVX and FMA %v: exp4 disagrees with math.Exp on fmaProbes", hasFMA, want)
	}
}

// TestExpsDoNotAllocate checks that Exp and Exp64 keep their slices off
// the heap: a call on stack arrays allocates nothing.
func TestExpsDoNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(10, func() {
		var a [16]float64
		var b [16]float32
		Exp64(a[:], a[:])
		Exp(b[:], b[:])
	})
	if allocs != 0 {
		t.Errorf("Exp and Exp64 on stack arrays: %v allocations a call, want 0", allocs)
	}
}
