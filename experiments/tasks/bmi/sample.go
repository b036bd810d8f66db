package bmi

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/infomax/infomax/estimators"
)

// Draw returns n independent draws of (x, y) from p, with p's transforms
// applied, from the random source src: the spiral turns x at speed/DimX
// and y at speed/DimY, as BMI's normalize_speed does (see
// DefaultSpiralSpeed). The same source state always gives the same sample.
func (p Problem) Draw(n int, speed float64, src rand.Source) estimators.Sample {
	rng := rand.New(src)
	chi2 := distuv.ChiSquared{K: p.Dof, Src: src}
	s := estimators.Sample{N: n, DimX: p.DimX, DimY: p.DimY,
		X: make([]float64, n*p.DimX), Y: make([]float64, n*p.DimY)}
	row := make([]float64, p.DimX+p.DimY)
	ts := make([]Transform, len(p.Transforms))
	for k, name := range p.Transforms {
		ts[k], _ = LookupTransform(name) // ParseProblem checked each name
	}
	for i := range n {
		switch p.Family {
		case Dense:
			denseRow(rng, p.Rho, row)
		case Sparse:
			sparseRow(rng, p, row)
		case Student:
			denseRow(rng, p.Rho, row)
			scale := math.Sqrt(p.Dof / chi2.Rand())
			for j := range row {
				row[j] *= scale
			}
		case Uniform:
			for j := range p.DimX {
				row[j] = rng.Float64()
				row[p.DimX+j] = row[j] + float64(p.Eps*(float64(2*rng.Float64())-1)) // rounded: no GOAMD64 level fuses it
			}
		}
		x, y := row[:p.DimX], row[p.DimX:]
		for _, t := range ts {
			t.Forward(x, SideX, speed/float64(p.DimX))
			t.Forward(y, SideY, speed/float64(p.DimY))
		}
		copy(s.XRow(i), x)
		copy(s.YRow(i), y)
	}
	return s
}

// denseRow fills row with a draw of unit-variance Gaussians of pairwise
// correlation rho: rowⱼ = √rho·w + √(1-rho)·eⱼ with one w shared by all.
func denseRow(rng *rand.Rand, rho float64, row []float64) {
	w := math.Sqrt(rho) * rng.NormFloat64()
	a := math.Sqrt(1 - rho)
	for j := range row {
		row[j] = w + float64(a*rng.NormFloat64()) // rounded: no GOAMD64 level fuses it
	}
}

// sparseRow fills row, x then y, with a draw of the sparse Gaussian: xᵢ
// and yᵢ correlated at p.Rho for i below p.Pairs, every other coordinate
// independent of the rest.
func sparseRow(rng *rand.Rand, p Problem, row []float64) {
	for j := range row {
		row[j] = rng.NormFloat64()
	}
	a := math.Sqrt(1 - p.Rho*p.Rho)
	for i := range p.Pairs {
		row[p.DimX+i] = float64(p.Rho*row[i]) + float64(a*row[p.DimX+i]) // rounded: no GOAMD64 level fuses them
	}
}
