package gaussian

import (
	"fmt"
	"testing"

	"github.com/infomax/infomax/internal/blas"
	"github.com/infomax/infomax/internal/blas/benchprofile"
)

// BenchmarkStep measures one training step (sampling, forward, backward and
// Adam) at the paper's sizes, d = 20 and batch 64, with jsd, for each critic
// and several hidden widths. One op is one step; matmul-GFLOP/op is the
// arithmetic of its matrix products, as package blas counts it.
func BenchmarkStep(b *testing.B) {
	for _, tc := range []struct {
		critic string
		hidden int
	}{{"separable", 256}, {"concat", 256}, {"concat", 128}, {"concat", 64}} {
		b.Run(fmt.Sprintf("%s/hidden=%d", tc.critic, tc.hidden), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Critic, cfg.Hidden = tc.critic, tc.hidden
			if err := cfg.Validate(); err != nil {
				b.Skip(err)
			}
			m, err := NewModel(cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			s := NewSampler(cfg.Dim, false, 1)
			rho := RhoForMI(2, cfg.Dim)
			step := func() {
				s.Sample(m.X, m.Y, rho)
				if _, _, err := m.Step(); err != nil {
					b.Fatal(err)
				}
			}
			// Warm-up: the first steps allocate the machine's registers.
			for range 3 {
				step()
			}
			b.ReportAllocs()
			flops := blas.MatmulFlops()
			stopProfile := benchprofile.Start(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			b.StopTimer()
			stopProfile()
			flops = blas.MatmulFlops() - flops
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(flops)/float64(b.N)/1e9, "matmul-GFLOP/op")
			b.Logf("BLAS: %s", blas.Name())
		})
	}
}
