//go:build amd64 && !purego

package vec

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestExp64WithoutAVX runs TestExp64IsMathExp again in a child process
// under GODEBUG=cpu.avx=off, where math.Exp takes its plain path, not its
// FMA one: Exp64 must then leave the assembly alone (it ran it, and
// missed math.Exp by an ulp on 9% of values in [-3, 3], when it checked
// AVX2 and FMA alone). The probes that guard it must also tell the two
// paths apart: the child checks that exp4 misses math.Exp on them.
func TestExp64WithoutAVX(t *testing.T) {
	if os.Getenv("VEC_EXP64_CHILD") != "" {
		if hasAVX2 && cpu.X86.HasFMA && exp4AgreesWithMath() {
			t.Errorf("exp4 gives math.Exp's bits on fmaProbes with math.Exp off its FMA path: the probes do not tell the paths apart")
		}
		return
	}
	if !hasAVX2 || !hasFMA {
		t.Skip("no AVX2 and FMA: Exp64 is math.Exp's loop")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^(TestExp64IsMathExp|TestExp64WithoutAVX)$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), "GODEBUG=cpu.avx=off", "VEC_EXP64_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestExp64IsMathExp") {
		t.Fatalf("under GODEBUG=cpu.avx=off: %v\n%s", err, out)
	}
}
