package tasks

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/infomax/infomax/internal/english"
)

// MemoryEstimator is implemented by a Config that can estimate, from its
// settings alone and before anything is allocated, the most memory a run
// of it takes. The sweep engine refuses, when it validates a sweep file, a
// run whose estimate exceeds the memory limit (the machine's memory unless
// the file sets max_memory_gb), so that a setting such as
// batch_size = 100000000000 is an error naming the setting rather than an
// out-of-memory crash hours into a sweep.
type MemoryEstimator interface {
	// EstimateMemory returns the parts of the run's estimated peak memory.
	EstimateMemory() Memory
}

// Memory is a run's estimated peak memory, in parts.
type Memory []MemoryPart

// MemoryPart is one part of a run's memory, such as the critic's weights.
type MemoryPart struct {
	// What names the part for people, such as "the critic's activations".
	What string
	// Setting is the setting that makes the part large, as "key = value"
	// (see [Blame]); it starts the engine's error message, which
	// therefore points at that key in the sweep file. It is "" for a part
	// that no setting changes.
	Setting string
	// Bytes is the part's size. It is a float64 so that products of huge
	// settings stay huge: they never wrap around, as integers would.
	Bytes float64
}

// Total returns the sum of the parts' bytes.
func (m Memory) Total() float64 {
	var sum float64
	for _, p := range m {
		sum += p.Bytes
	}
	return sum
}

// Fixed returns the sum of the bytes of the parts that name no setting:
// what a run needs whatever its settings, such as the process's own
// memory.
func (m Memory) Fixed() float64 {
	var sum float64
	for _, p := range m {
		if p.Setting == "" {
			sum += p.Bytes
		}
	}
	return sum
}

// Largest returns the largest part that names a setting (a part without
// one, such as the process's own memory, cannot be changed in a sweep
// file).
func (m Memory) Largest() MemoryPart {
	var best MemoryPart
	for _, p := range m {
		if p.Setting != "" && (p.Bytes > best.Bytes || best.Setting == "") {
			best = p
		}
	}
	return best
}

// Blame returns, of the integer settings of cfg named keys (by their toml
// tags), the one furthest above its value in def (the task's defaults), by
// ratio, as "key = value": the one to blame when a part of the memory is
// too large. cfg and def are pointers to structs of the same type.
func Blame(cfg, def Config, keys ...string) string {
	v, d := reflect.ValueOf(cfg).Elem(), reflect.ValueOf(def).Elem()
	best, bestRatio := "", -1.0
	for i := range v.NumField() {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("toml"), ",")
		if !slices.Contains(keys, key) || !v.Field(i).CanInt() {
			continue
		}
		n := v.Field(i).Int()
		if ratio := float64(n) / float64(max(1, d.Field(i).Int())); ratio > bestRatio {
			best, bestRatio = key+" = "+strconv.FormatInt(n, 10), ratio
		}
	}
	return best
}

// MaxBytes is the most memory a run may be estimated to need, whatever the
// machine: 2⁶² bytes, so that every size and count of values of a run fits
// in an int with room to spare.
const MaxBytes = 1 << 62

// isSize reports whether a setting's written value is one that making
// smaller makes the run smaller: a positive number or a list (of sizes,
// such as conv_channels); not 0, which means "all" to train_subset.
func isSize(value string) bool {
	if strings.HasPrefix(value, "[") {
		return true
	}
	x, err := strconv.ParseFloat(value, 64)
	return err == nil && x > 0
}

// CheckSizes returns an error naming the setting to blame, and saying to
// make it smaller where it is a size, when the estimate is over MaxBytes: the run's sizes, or
// their products, would overflow. A task's Validate calls it, so that no
// memory limit is needed to refuse such a run.
func (m Memory) CheckSizes() error {
	if total := m.Total(); !(total <= MaxBytes) {
		part := m.Largest()
		fix := ""
		if key, value, ok := strings.Cut(part.Setting, " = "); ok && isSize(value) {
			fix = "; make " + key + " smaller"
		}
		return fmt.Errorf("%s: the run's sizes overflow: it would need %s, %s of it for %s%s", part.Setting, english.Bytes(total), english.Bytes(part.Bytes), part.What, fix)
	}
	return nil
}
