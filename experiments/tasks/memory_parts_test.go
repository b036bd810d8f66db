package tasks

import (
	"math"
	"strings"
	"testing"

	"github.com/infomax/infomax/internal/english"
)

// TestMemoryTotalFixedLargest checks the sums and the largest part by
// hand: the parts without a setting are the fixed part, and the largest
// part is the largest that names a setting, even where an unnamed one is
// larger, and even where the only named part is of 0 bytes.
func TestMemoryTotalFixedLargest(t *testing.T) {
	m := Memory{
		{What: "the batch", Setting: "batch_size = 64", Bytes: 30},
		{What: "the runtime", Bytes: 7},
		{What: "the weights", Setting: "hidden = 256", Bytes: 100},
		{What: "the moments", Setting: "hidden = 256", Bytes: 60},
		{What: "the process itself", Bytes: 500},
	}
	if got := m.Total(); got != 697 {
		t.Errorf("Total = %v, want 697", got)
	}
	if got := m.Fixed(); got != 507 {
		t.Errorf("Fixed = %v, want 507 (500 + 7, the parts without a setting)", got)
	}
	if got := m.Largest(); got.What != "the weights" {
		t.Errorf("Largest = %+v, want the weights (100 bytes, the largest part with a setting)", got)
	}
	zero := Memory{{What: "the process itself", Bytes: 500}, {What: "an empty cache", Setting: "cache = 0", Bytes: 0}}
	if got := zero.Largest(); got.Setting != "cache = 0" {
		t.Errorf("Largest of a lone 0-byte named part = %+v, want it", got)
	}
}

// blameConfig is a Config for Blame: integer settings with toml tags, one
// with options after its name, one whose default is 0, one not integer.
type blameConfig struct {
	Batch   int     `toml:"batch_size,omitempty"`
	Hidden  int     `toml:"hidden"`
	Workers int     `toml:"workers"`
	Subset  int     `toml:"train_subset"`
	LR      float64 `toml:"lr"`
}

func (*blameConfig) Validate() error { return nil }

// TestBlame checks the setting Blame names, by the ratio to its default
// computed by hand: the key before a toml tag's options, only the keys it
// is asked about, and a default of 0 counted as 1.
func TestBlame(t *testing.T) {
	def := &blameConfig{Batch: 64, Hidden: 256, Workers: 4, Subset: 0}
	for _, c := range []struct {
		cfg  blameConfig
		keys []string
		want string
	}{
		// 6400/64 = 100 against 512/256 = 2.
		{blameConfig{Batch: 6400, Hidden: 512, Workers: 4}, []string{"batch_size", "hidden"}, "batch_size = 6400"},
		// workers is 1000 times its default but not among the keys.
		{blameConfig{Batch: 64, Hidden: 512, Workers: 4000}, []string{"batch_size", "hidden"}, "hidden = 512"},
		// train_subset's default 0 counts as 1: 5/1 = 5 against 2560/256 = 10.
		{blameConfig{Batch: 64, Hidden: 2560, Subset: 5}, []string{"hidden", "train_subset"}, "hidden = 2560"},
	} {
		cfg := c.cfg
		if got := Blame(&cfg, def, c.keys...); got != c.want {
			t.Errorf("Blame(%+v, %q) = %q, want %q", c.cfg, c.keys, got, c.want)
		}
	}
}

// TestCheckSizesAtTheBound checks MaxBytes, 2⁶² bytes: a total of exactly
// that is allowed, the next float above it is not, and neither is a NaN
// total (such as an infinite size times 0), which no comparison with the
// bound would refuse.
func TestCheckSizesAtTheBound(t *testing.T) {
	bound := math.Ldexp(1, 62)
	at := Memory{{What: "the batch", Setting: "batch_size = 64", Bytes: bound}}
	if err := at.CheckSizes(); err != nil {
		t.Errorf("a total of 2^62 bytes: %v", err)
	}
	above := Memory{{What: "the batch", Setting: "batch_size = 64", Bytes: math.Nextafter(bound, math.Inf(1))}}
	if err := above.CheckSizes(); err == nil {
		t.Error("a total above 2^62 bytes: no error")
	}
	two := Memory{{What: "the process itself", Bytes: bound}, {What: "the batch", Setting: "batch_size = 64", Bytes: bound}}
	want := "batch_size = 64: the run's sizes overflow: it would need " + english.Bytes(2*bound) + ", " + english.Bytes(bound) + " of it for the batch; make batch_size smaller"
	if err := two.CheckSizes(); err == nil || err.Error() != want {
		t.Errorf("two parts of 2^62 bytes: %v\nwant %s", err, want)
	}
	nan := Memory{{What: "the batch", Setting: "batch_size = 64", Bytes: math.NaN()}}
	if err := nan.CheckSizes(); err == nil || !strings.HasPrefix(err.Error(), "batch_size = 64: ") {
		t.Errorf("a NaN total: %v, want an error blaming batch_size", err)
	}
}
