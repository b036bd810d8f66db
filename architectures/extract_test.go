package architectures

import (
	"runtime"
	"slices"
	"testing"
	"weak"

	G "gorgonia.org/gorgonia"
)

// TestDetachedExtractorFreesItsSource checks that after Detach the source
// encoder (and with it its graph) can be freed, that the extractor still
// extracts the same features with the weights it copied, and that Sync is
// then an error rather than a crash.
func TestDetachedExtractorFreesItsSource(t *testing.T) {
	sp := smallEncoder(true)
	enc, err := NewEncoder(G.NewGraph(), NewInit(5), sp)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := NewFeatureExtractor(enc, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	const n = 6
	imgs := randomImages(6, n, sp).Float32s()
	before, err := ext.Extract(imgs, n)
	if err != nil {
		t.Fatal(err)
	}
	ext.Detach()
	p := weak.Make(enc)
	enc = nil
	if !collected(p) {
		t.Error("the source encoder stayed alive after Detach")
	}
	after, err := ext.Extract(imgs, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before.Y, after.Y) || !slices.Equal(before.Conv, after.Conv) {
		t.Error("features changed after Detach")
	}
	if err := ext.Sync(); err == nil {
		t.Error("Sync after Detach gave no error")
	}
}

// collected reports whether the object behind p is freed by a full
// collection; the first collection runs finalizers, the second frees what
// they kept.
func collected[T any](p weak.Pointer[T]) bool {
	runtime.GC()
	runtime.GC()
	return p.Value() == nil
}
