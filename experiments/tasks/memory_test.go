package tasks

import (
	"strings"
	"testing"
)

// TestCheckSizesSaysWhatToMakeSmaller checks CheckSizes: a run whose
// estimate passes MaxBytes is an error naming the largest part's setting
// and saying to make that key smaller; a part without a setting gets no
// advice; a run within MaxBytes is no error.
func TestCheckSizesSaysWhatToMakeSmaller(t *testing.T) {
	m := Memory{
		{What: "the process itself", Bytes: 1e6},
		{What: "the critics' convolutions", Setting: "conv_channels = [100000000000, 64]", Bytes: 2 * MaxBytes},
	}
	err := m.CheckSizes()
	if err == nil || !strings.HasPrefix(err.Error(), "conv_channels = [100000000000, 64]: the run's sizes overflow") ||
		!strings.HasSuffix(err.Error(), "of it for the critics' convolutions; make conv_channels smaller") {
		t.Errorf("CheckSizes: %v; want conv_channels named, and to make it smaller", err)
	}
	for _, setting := range []string{"train_subset = 0", `dataset = "mnist"`, "batch_size = -3"} {
		m[1].Setting = setting
		if err := m.CheckSizes(); err == nil || strings.Contains(err.Error(), "make") {
			t.Errorf("CheckSizes blaming %s: %v; want no advice to make it smaller", setting, err)
		}
	}
	m[1].Setting = ""
	if err := m.CheckSizes(); err == nil || strings.Contains(err.Error(), "make") {
		t.Errorf("CheckSizes of a part without a setting: %v; want an error without advice", err)
	}
	if err := m[:1].CheckSizes(); err != nil {
		t.Errorf("CheckSizes within MaxBytes: %v", err)
	}
}
