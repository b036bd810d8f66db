package seed

import "testing"

// TestDeriveMatchesSplitMix64 checks Derive against the first outputs of
// the reference SplitMix64 generator (Steele, Lea and Flood 2014) seeded
// with 0, whose n-th output is the finalizer of n·φ: Derive(0, n).
func TestDeriveMatchesSplitMix64(t *testing.T) {
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for i, w := range want {
		if got := Derive(0, uint64(i+1)); got != w {
			t.Errorf("Derive(0, %d) = %#x; want %#x", i+1, got, w)
		}
	}
}

func TestDeriveSeparatesStreamsAndSeeds(t *testing.T) {
	seen := map[uint64]bool{}
	for s := uint64(0); s < 50; s++ {
		for stream := uint64(0); stream < 8; stream++ {
			v := Derive(s, stream)
			if seen[v] {
				t.Fatalf("Derive(%d, %d) = %#x repeats an earlier value", s, stream, v)
			}
			seen[v] = true
		}
	}
}
