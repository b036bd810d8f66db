package data

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

// useRecords makes the loaders expect, until the test ends, counts[name]
// records in each file named in counts, in place of the standard
// distributions' counts (standardRecords), so that tests can write small
// files of these formats.
func useRecords(t *testing.T, counts map[string]int) {
	t.Helper()
	saved := standardRecords
	standardRecords = maps.Clone(saved)
	maps.Copy(standardRecords, counts)
	t.Cleanup(func() { standardRecords = saved })
}

// TestStandardRecordsAreTheSummaries checks that the counts the loaders
// insist on add up to the splits' sizes that `sweep list` gives.
func TestStandardRecordsAreTheSummaries(t *testing.T) {
	for _, c := range []struct {
		name        string
		train, test []string
	}{
		{"cifar10", []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}, []string{"test_batch.bin"}},
		{"cifar100", []string{"train.bin"}, []string{"test.bin"}},
		{"cifar100-coarse", []string{"train.bin"}, []string{"test.bin"}},
		{"stl10", []string{"train_X.bin"}, []string{"test_X.bin"}},
	} {
		var train, test int
		for _, f := range c.train {
			train += standardRecords[f]
		}
		for _, f := range c.test {
			test += standardRecords[f]
		}
		info, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d train / %d test", train, test); !strings.Contains(info.Summary, want) {
			t.Errorf("%s: the standard files hold %s, its summary says %q", c.name, want, info.Summary)
		}
	}
	if standardRecords["train_y.bin"] != standardRecords["train_X.bin"] || standardRecords["test_y.bin"] != standardRecords["test_X.bin"] {
		t.Errorf("stl10: the standard label files' counts differ from the image files'")
	}
}

// TestSmallFilesAreNotTheStandardOnes writes each data set's files with
// whole records but far fewer than the standard files hold (20 a CIFAR
// file, 2 an STL-10 split), as a user's cut-down copy might: each is
// refused, naming the first file, its size and the standard size.
func TestSmallFilesAreNotTheStandardOnes(t *testing.T) {
	dir := t.TempDir()
	var cifar10, cifar100 []byte
	for i := range 20 {
		cifar10 = append(cifar10, cifarRecord(i, byte(i%10))...)
		cifar100 = append(cifar100, cifarRecord(i, byte(i%20), byte(i))...)
	}
	for b := 1; b <= 5; b++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b)), cifar10, false)
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), cifar10, false)
	writeFile(t, filepath.Join(dir, "train.bin"), cifar100, false)
	writeFile(t, filepath.Join(dir, "test.bin"), cifar100, false)
	for _, split := range []string{"train", "test"} {
		writeFile(t, filepath.Join(dir, split+"_X.bin"), append(stlImageBytes(0), stlImageBytes(1)...), false)
		writeFile(t, filepath.Join(dir, split+"_y.bin"), []byte{1, 2}, false)
	}
	for _, c := range []struct{ name, file, size, want string }{
		{"cifar10", "data_batch_1.bin", "has 61460 bytes", "10000 3073-byte records (1 label byte + 3072 pixel bytes), 30730000 bytes"},
		{"cifar100", "train.bin", "has 61480 bytes", "50000 3074-byte records (2 label bytes + 3072 pixel bytes), 153700000 bytes"},
		{"cifar100-coarse", "train.bin", "has 61480 bytes", "153700000 bytes"},
		{"stl10", "train_X.bin", "has 55296 bytes", "5000 images of 96x96x3 bytes, 138240000 bytes"},
	} {
		_, _, err := Load(c.name, Options{Path: dir})
		for _, w := range []string{filepath.Join(dir, c.file), c.size, c.want, "data_path"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v does not mention %q", c.name, err, w)
			}
		}
	}
}
