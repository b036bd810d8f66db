package estimators

import (
	"encoding/binary"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mineMinAverage is the floor of the moving average, as in Song & Ermon's
// mine_lower_bound, so that a collapsing partition term cannot make the
// gradient's denominator vanish.
const mineMinAverage = 1e-4

// MINE is the Mutual Information Neural Estimator of Belghazi et al. 2018:
// the Donsker-Varadhan bound, whose gradient has its denominator replaced
// by an exponential moving average to reduce its bias.
//
// The estimate is DV's:
//
//	MI = mean_pos s - log P,   P = mean_neg e^s (the partition term)
//
// DV's gradient is mean_pos grad s - (grad P) / P, and because P is a
// sample mean inside a log, that gradient is biased. MINE divides by a
// moving average instead:
//
//	A_t = momentum * A_(t-1) + (1 - momentum) * P_t
//	gradient = mean_pos grad s - (grad P_t) / A_t, with A_t held constant
//
// which is Belghazi et al.'s Algorithm 1, with Song & Ermon's
// mine_lower_bound's momentum 0.9 and floor of A at 1e-4. Their code
// differs in details: its average starts from a buffer of 1.0, ours from
// the first batch's P (A_1 = P_1, below); it returns the batch's P_t, not
// A_t, as the buffer for the next step; and it floors the current step's
// denominator, where we floor the average after the update, so that the
// floor acts from the next step on. The graph has no stop-gradient, so the
// loss is written as the surrogate
//
//	loss = -( mean_pos s - log(momentum * A_(t-1) + (1 - momentum) * P_t) / (1 - momentum) )
//
// whose gradient with A_(t-1) held constant is exactly the one above: the
// derivative of log(m A + (1-m) P) / (1-m) with respect to P is 1 / A_t.
// The log is computed from log P with a softplus, so it stays finite when
// P underflows. A_(t-1) and the momentum enter the graph as scalar inputs
// that [MINE.Update] sets after every run, from the value of P_t the run
// computed. On the first step the momentum input is 0, so the loss is -DV
// and A_1 = P_1: the average starts from the first batch. The loss's value is a surrogate and
// only equals -MI on that first step; read the estimate from MI.
//
// Bias and variance: the same estimate as DV, with DV's variance that grows
// exponentially with the true MI; the moving average lowers the bias of
// the gradient, not the variance of the estimate.
//
// A MINE value holds training state: build one with [New] per run. Every
// graph built with it shares the moving average, and Update folds in the
// partition term of every such graph that ran since the last Update. The
// partition term is read with a gorgonia Read node, so run the whole graph
// (gorgonia.NewTapeMachine on it), not a sub-program.
type MINE struct {
	momentum float64
	average  float64 // A_t, valid once steps > 0
	steps    int
	sites    []*mineSite
}

// mineSite is one graph built by a MINE.
type mineSite struct {
	dtype     tensor.Dtype
	partition G.Value // P_t, written by the graph's Read node on each run
	// keep is the input 1 - momentum: 1 on the first step.
	keep *G.Node
	// offset is the input log(momentum * A_(t-1)) - log(1 - momentum):
	// maskedScore (for log 0) on the first step.
	offset *G.Node
}

func init() {
	Register(Info{
		Name:    "mine",
		Summary: "MINE: DV estimate, gradient with a moving average of the partition term (param momentum)",
		Params:  Params{"momentum": 0.9},
		New: func(p Params) (Estimator, error) {
			m := paramOr(p, "momentum", 0.9)
			if !(m >= 0 && m < 1) {
				return nil, &ParamError{Param: "momentum", Err: fmt.Errorf("estimator \"mine\": momentum = %g must be in [0, 1)", m)}
			}
			return &MINE{momentum: m}, nil
		},
	})
}

// Steps returns how many partition terms the moving average has absorbed.
func (e *MINE) Steps() int { return e.steps }

// Average returns the moving average of the partition term after the last
// Update, and false before the first.
func (e *MINE) Average() (float64, bool) { return e.average, e.steps > 0 }

// Build adds MINE's surrogate loss and DV estimate of scores to their graph.
func (e *MINE) Build(scores *G.Node, mask *Mask) (*Terms, error) {
	gm, err := newGraphMask("mine", scores, mask)
	if err != nil {
		return nil, err
	}
	g := scores.Graph()
	site := &mineSite{dtype: gm.dtype}
	n := len(e.sites)
	keep, offset := e.inputs()
	site.keep = G.NewScalar(g, gm.dtype, G.WithName(fmt.Sprintf("mine-keep-%d", n)), G.WithValue(site.cast(keep)))
	site.offset = G.NewScalar(g, gm.dtype, G.WithName(fmt.Sprintf("mine-offset-%d", n)), G.WithValue(site.cast(offset)))

	o := &op{}
	logPartition := gm.logMeanExpNegatives(o, scores)
	meanPos := gm.maskedMean(o, scores, gm.pos, gm.nPos)
	mi := o.sub(meanPos, logPartition)
	partition := o.exp(logPartition)
	// log(m A + (1-m) P) = log(1-m) + log P + softplus(offset - log P),
	// which stays finite when P underflows.
	logDenominator := o.add(o.add(o.log(site.keep), logPartition), o.softplus(o.sub(site.offset, logPartition)))
	loss := o.neg(o.sub(meanPos, o.div(logDenominator, site.keep)))
	if o.err != nil {
		return nil, o.err
	}
	G.Read(partition, &site.partition)
	e.sites = append(e.sites, site)
	return &Terms{Loss: loss, MI: mi}, nil
}

// inputs returns the values of the graph inputs keep = 1 - momentum and
// offset = log(momentum * A) - log(1 - momentum) for the next step. On the
// first step the momentum is taken as 0, so that the loss is -DV.
func (e *MINE) inputs() (keep, offset float64) {
	if e.steps == 0 || e.momentum == 0 {
		return 1, maskedScore
	}
	return 1 - e.momentum, math.Log(e.momentum*e.average) - math.Log(1-e.momentum)
}

func (s *mineSite) cast(v float64) any {
	if s.dtype == tensor.Float32 {
		return float32(v)
	}
	return v
}

// Update folds the partition term of every graph that ran since the last
// Update into the moving average, and sets the graphs' inputs for the next
// step. It is an error to call it when no graph has run.
func (e *MINE) Update() error {
	ran := false
	for i, site := range e.sites {
		if site.partition == nil {
			continue
		}
		p := scalarOf(site.partition)
		site.partition = nil
		if !(p > 0) || math.IsInf(p, 0) {
			return &DivergedError{Reason: fmt.Sprintf("mine: the partition term mean_neg exp(s) of graph %d is %g; the critic's scores have diverged", i, p)}
		}
		if e.steps == 0 {
			e.average = p
		} else {
			e.average = float64(e.momentum*e.average) + float64((1-e.momentum)*p) // rounded: no GOAMD64 level fuses them
		}
		e.average = math.Max(e.average, mineMinAverage)
		e.steps++
		ran = true
	}
	if !ran {
		return fmt.Errorf("mine: Update called before any graph built by this estimator ran")
	}
	return e.setInputs()
}

// setInputs sets every graph's inputs 1 - momentum and the moving average
// for the next step from the estimator's state.
func (e *MINE) setInputs() error {
	keep, offset := e.inputs()
	for _, site := range e.sites {
		if err := G.Let(site.keep, site.cast(keep)); err != nil {
			return fmt.Errorf("mine: setting 1 - momentum: %w", err)
		}
		if err := G.Let(site.offset, site.cast(offset)); err != nil {
			return fmt.Errorf("mine: setting the moving average: %w", err)
		}
	}
	return nil
}

// mineStateVersion is the first byte of MINE's encoded state; mineStateSize
// is the state's length: the version, then momentum, average (float64 bits)
// and steps (uint64), little-endian.
const (
	mineStateVersion = 1
	mineStateSize    = 1 + 8 + 8 + 8
)

// MarshalState encodes the moving average and the number of steps it has
// absorbed, with the momentum, for a checkpoint. It implements [Stateful].
func (e *MINE) MarshalState() ([]byte, error) {
	b := make([]byte, 0, mineStateSize)
	b = append(b, mineStateVersion)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.momentum))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.average))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.steps))
	return b, nil
}

// UnmarshalState restores a state encoded by [MINE.MarshalState] and sets
// the inputs of every graph built with e to match, so that the next step
// continues as it would have from the saved step. A partition term that ran
// but was not yet folded in by Update is discarded. The state must come from
// an estimator with the same momentum. It implements [Stateful].
func (e *MINE) UnmarshalState(state []byte) error {
	if len(state) != mineStateSize {
		return fmt.Errorf("mine: the saved state has %d bytes, want %d", len(state), mineStateSize)
	}
	if state[0] != mineStateVersion {
		return fmt.Errorf("mine: the saved state has format version %d, this program reads version %d", state[0], mineStateVersion)
	}
	momentum := math.Float64frombits(binary.LittleEndian.Uint64(state[1:9]))
	average := math.Float64frombits(binary.LittleEndian.Uint64(state[9:17]))
	steps := binary.LittleEndian.Uint64(state[17:25])
	if momentum != e.momentum {
		return fmt.Errorf("mine: the saved state has momentum %g, this estimator has momentum %g", momentum, e.momentum)
	}
	if steps > math.MaxInt32 {
		return fmt.Errorf("mine: the saved state has %d steps, which is not a plausible step count", steps)
	}
	if steps > 0 && (!(average >= mineMinAverage) || math.IsInf(average, 0)) {
		return fmt.Errorf("mine: the saved moving average %g is not a finite value of at least %g", average, mineMinAverage)
	}
	e.average, e.steps = average, int(steps)
	for _, site := range e.sites {
		site.partition = nil
	}
	return e.setInputs()
}

// scalarOf returns the float64 value of a scalar gorgonia value.
func scalarOf(v G.Value) float64 {
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// Reference computes MINE's first-step loss, -DV, and its DV estimate in
// float64; later steps' surrogate losses depend on the moving average and
// are not a function of the scores alone. It panics if scores and mask do
// not match.
func (e *MINE) Reference(scores []float64, mask *Mask) (loss, mi float64) {
	return boundReference("mine", scores, mask, referenceDV)
}
