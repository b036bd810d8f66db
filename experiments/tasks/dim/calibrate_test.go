package dim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/infomax/infomax/experiments/data"
)

// conv1BatchStats returns, for the images [first, first+n) of set, the
// per-channel mean and unbiased variance of the encoder's first
// convolution's output over every location of every image, computed
// directly from the convolution's definition (4x4, stride 2, pad 1) and
// its weights, independently of the graph.
func conv1BatchStats(m *Model, set *data.Set, first, n int) (mean, variance []float64) {
	cv := m.Encoder.Conv1
	w := cv.W.Value().Data().([]float32)
	var bias []float32
	if cv.B != nil {
		bias = cv.B.Value().Data().([]float32)
	}
	out := cv.OutSize(set.H)
	var vals [][]float64 = make([][]float64, cv.Out)
	for img := first; img < first+n; img++ {
		x := set.Image(img)
		for oy := 0; oy < out; oy++ {
			for ox := 0; ox < out; ox++ {
				for o := 0; o < cv.Out; o++ {
					var s float64
					if bias != nil {
						s = float64(bias[o])
					}
					for i := 0; i < cv.Kernel; i++ {
						for j := 0; j < cv.Kernel; j++ {
							y, xx := oy*cv.Stride-cv.Pad+i, ox*cv.Stride-cv.Pad+j
							if y < 0 || y >= set.H || xx < 0 || xx >= set.W {
								continue
							}
							for c := 0; c < cv.In; c++ {
								s += float64(x[c*set.H*set.W+y*set.W+xx]) * float64(w[((i*cv.Kernel+j)*cv.In+c)*cv.Out+o])
							}
						}
					}
					vals[o] = append(vals[o], s)
				}
			}
		}
	}
	mean, variance = make([]float64, cv.Out), make([]float64, cv.Out)
	for o, v := range vals {
		for _, a := range v {
			mean[o] += a
		}
		mean[o] /= float64(len(v))
		for _, a := range v {
			variance[o] += (a - mean[o]) * (a - mean[o])
		}
		variance[o] /= float64(len(v) - 1)
	}
	return mean, variance
}

// TestCalibrateRandomEncoder calibrates the random baseline's batch norms
// on a small data set of 2.5 batches and checks the first one's running
// statistics against the average over the 2 full batches of the
// convolution output's batch statistics, computed directly; that every
// batch norm's statistics are finite and no longer the initial ones; and
// that the layers' modes and momenta are as before.
func TestCalibrateRandomEncoder(t *testing.T) {
	c := tinyConfig()
	c.Preset = "random"
	m, err := NewModel(c, 1, 32, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	n := 2*c.BatchSize + c.BatchSize/2
	set := &data.Set{Name: "noise", Split: "train", N: n, C: 1, H: 32, W: 32, Classes: 2,
		Images: make([]float32, n*32*32), Labels: make([]int, n)}
	for i := range set.Images {
		set.Images[i] = float32(rng.Float64())
	}
	if err := calibrateRandomEncoder(m, set); err != nil {
		t.Fatal(err)
	}
	m0, v0 := conv1BatchStats(m, set, 0, c.BatchSize)
	m1, v1 := conv1BatchStats(m, set, c.BatchSize, c.BatchSize)
	mean, variance := m.Encoder.BN1.RunningStats()
	for ch := range mean {
		wm, wv := (m0[ch]+m1[ch])/2, (v0[ch]+v1[ch])/2
		if math.Abs(mean[ch]-wm) > 1e-4*(1+math.Abs(wm)) || math.Abs(variance[ch]-wv) > 1e-4*(1+wv) {
			t.Errorf("channel %d: running mean %v and variance %v, want the batches' averages %v and %v", ch, mean[ch], variance[ch], wm, wv)
		}
	}
	for i, b := range m.Encoder.BatchNorms() {
		mean, variance := b.RunningStats()
		moved := false
		for ch := range mean {
			if math.IsNaN(mean[ch]) || math.IsInf(mean[ch], 0) || !(variance[ch] >= 0) || math.IsInf(variance[ch], 0) {
				t.Fatalf("batch norm %d, channel %d: running mean %v, variance %v", i, ch, mean[ch], variance[ch])
			}
			moved = moved || mean[ch] != 0 || variance[ch] != 1
		}
		if !moved {
			t.Errorf("batch norm %d still has its initial statistics", i)
		}
		if !b.Training() || b.Momentum() != 0.1 {
			t.Errorf("batch norm %d: training %v, momentum %v after calibration; want true and 0.1 as before", i, b.Training(), b.Momentum())
		}
	}
}
