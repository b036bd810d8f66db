package dim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/train/evals"
	"github.com/infomax/infomax/experiments/train/probe"
	"github.com/infomax/infomax/internal/english"
	"github.com/infomax/infomax/internal/registry"
	runseed "github.com/infomax/infomax/internal/seed"
)

// The evaluations of a frozen encoder beyond the probes (the paper's
// Table 3), the values of the evaluations key.
const (
	// EvalSVM is the linear SVM on each probed feature: svm_<f>_acc.
	EvalSVM = "svm"
	// EvalMSSSIM is the L2 decoder from Y: msssim and decoder_mse.
	EvalMSSSIM = "msssim"
	// EvalMIXY is a critic's estimate of I(X; Y) in nats: mi_xy.
	EvalMIXY = "mi_xy"
	// EvalNDM is the neural dependency measure of Y, without and with a
	// sigmoid: ndm and ndm_sigmoid.
	EvalNDM = "ndm"
)

// evalNames are the evaluations, in the order a run performs them.
var evalNames = []string{EvalSVM, EvalMSSSIM, EvalMIXY, EvalNDM}

// evalStream is the stream of the probes' seed that the evaluations draw
// from, so that adding them changes no probe.
const evalStream = 5

// EvalSettings are the keys of the evaluations, embedded in [Config]; the SVM
// is trained as the probes are (probe_epochs, probe_lr, probe_batch_size,
// probe_decay_epochs, probe_standardize) and the others with the eval_
// settings.
type EvalSettings struct {
	// Evaluations names the evaluations a run performs after its probes,
	// on the frozen encoder: any of "svm", "msssim", "mi_xy", "ndm". The
	// pixel baseline performs only "svm" (on the input): its code is the
	// image, which a decoder need not learn, whose MI with itself is
	// infinite, and whose thousand pixels are not a code to compare NDM
	// with; it leaves the other metrics out.
	Evaluations []string `toml:"evaluations"`
	// SVMPenalties are the SVM's L2 penalties, one chosen per feature on
	// the validation rows; SVMValidation (and EvalValidation for the
	// others) is the fraction of the training rows held out as those.
	SVMPenalties  []float64 `toml:"svm_penalties"`
	SVMValidation float64   `toml:"svm_validation"`
	// EvalEpochs and EvalBatchSize train the decoder, the I(X; Y) critic
	// (EvalHidden units a layer) and the NDM discriminator (EvalHidden,
	// then EvalHidden/5 units), each reporting the epoch that is best on
	// the validation rows; EvalLR is the decoder's and the critic's
	// learning rate, NDMLR the discriminator's. DecoderChannels is the decoder's
	// width: the channels of its first map (half of them in the second),
	// kept apart from EvalHidden because its convolutions cost far more
	// per unit.
	EvalEpochs      int     `toml:"eval_epochs"`
	EvalLR          float64 `toml:"eval_lr"`
	EvalBatchSize   int     `toml:"eval_batch_size"`
	EvalHidden      int     `toml:"eval_hidden"`
	EvalValidation  float64 `toml:"eval_validation"`
	DecoderChannels int     `toml:"decoder_channels"`
	// MIXYEstimator, MIXYEstimatorParams and MIXYCritic choose the I(X;
	// Y) estimate: any critic-based estimator and pair critic ("dv" and
	// "concat", MINE's bound and critic, by default); NDMEstimator is
	// NDM's ("dv", the paper's KL).
	MIXYEstimator       string             `toml:"mi_xy_estimator"`
	MIXYEstimatorParams map[string]float64 `toml:"mi_xy_estimator_params"`
	MIXYCritic          string             `toml:"mi_xy_critic"`
	NDMEstimator        string             `toml:"ndm_estimator"`
	// NDMLR is the NDM discriminator's learning rate, kept apart from
	// EvalLR: the official ndm_eval trains it at 1e-4, and at 1e-3 its DV
	// bound on a trained code grows to hundreds of nats within 10 epochs
	// (sweeps/tune-table3.toml), the discriminator's flexibility rather
	// than the code's dependence.
	NDMLR float64 `toml:"ndm_lr"`
}

// defaultEvalSettings returns no evaluations, with the settings that
// sweeps/table3.toml uses. At the CPU scale (4500 training images after
// the held-out tenth, the paper's encoder widths) their 10 epochs took
// about 16 s of CPU for the decoder, 3 s for the I(X; Y) critic and under
// 2 s for NDM's two discriminators, and the SVM, at 30 probe epochs, 13 s
// for its 2 penalties on 3 features (measured on a contended 2-core
// machine; see sweeps/table3.toml).
func defaultEvalSettings() EvalSettings {
	return EvalSettings{
		Evaluations:         []string{},
		SVMPenalties:        []float64{0, 1e-3},
		SVMValidation:       0.1,
		EvalEpochs:          10,
		EvalLR:              1e-3,
		EvalBatchSize:       64,
		EvalHidden:          64,
		EvalValidation:      0.1,
		DecoderChannels:     16,
		MIXYEstimator:       "dv",
		MIXYEstimatorParams: map[string]float64{},
		MIXYCritic:          "concat",
		NDMEstimator:        "dv",
		NDMLR:               1e-4,
	}
}

// wants reports whether the run performs evaluation name.
func (e *EvalSettings) wants(name string) bool { return slices.Contains(e.Evaluations, name) }

// minEvalBatch is the smallest eval_batch_size: a batch's other rows are
// the critics' negatives.
const minEvalBatch = 2

// validateEvals checks the evaluations and their settings, naming the key
// at fault.
func (c *Config) validateEvals() error {
	e := &c.EvalSettings
	seen := map[string]bool{}
	for _, name := range e.Evaluations {
		if !slices.Contains(evalNames, name) {
			return fmt.Errorf("evaluations: %q is not one of %s%s", name, strings.Join(evalNames, ", "), registry.DidYouMean(name, evalNames))
		}
		if seen[name] {
			return fmt.Errorf("evaluations: %q is listed twice", name)
		}
		seen[name] = true
	}
	// The settings are checked whether or not their evaluation runs: a
	// typo in one that is off today would fail the day it is turned on.
	for _, p := range e.SVMPenalties {
		if !(p >= 0) || math.IsInf(p, 0) {
			return fmt.Errorf("svm_penalties = %v: each must be a finite penalty, at least 0", e.SVMPenalties)
		}
	}
	switch {
	case e.wants(EvalSVM) && len(e.SVMPenalties) == 0:
		return fmt.Errorf("svm_penalties is empty: give at least one L2 penalty, such as [0]")
	case e.wants(EvalSVM) && !(e.SVMValidation > 0 && e.SVMValidation < 1):
		return fmt.Errorf("svm_validation = %g: must be a fraction in (0, 1), such as 0.1", e.SVMValidation)
	}
	if err := checkInts([]intCheck{
		{"eval_epochs", e.EvalEpochs, 1, ""},
		{"eval_batch_size", e.EvalBatchSize, minEvalBatch, "at least 2 (a batch's other rows are the critics' negatives)"},
		{"eval_hidden", e.EvalHidden, 1, ""},
		{"decoder_channels", e.DecoderChannels, 1, ""},
	}); err != nil {
		return err
	}
	switch {
	case !(e.EvalLR > 0) || math.IsInf(e.EvalLR, 0):
		return fmt.Errorf("eval_lr = %g: must be a positive, finite learning rate", e.EvalLR)
	case !(e.NDMLR > 0) || math.IsInf(e.NDMLR, 0):
		return fmt.Errorf("ndm_lr = %g: must be a positive, finite learning rate", e.NDMLR)
	case !(e.EvalValidation > 0 && e.EvalValidation < 1):
		return fmt.Errorf("eval_validation = %g: must be a fraction in (0, 1), such as 0.1", e.EvalValidation)
	}
	if err := c.validateEvalRows(); err != nil {
		return err
	}
	return c.validateEvalEstimators()
}

// validateEvalRows checks, before any training, that the evaluations that
// hold out eval_validation of the training rows (msssim, mi_xy, ndm) have
// a full batch of eval_batch_size in each of their training, validation
// and scored parts, as evals' newSplit requires after the encoder has
// trained (the pixel baseline, which performs only svm, has no need). The
// error's fix is a smaller batch only where the part holds one that
// eval_batch_size may be, at least minEvalBatch rows.
func (c *Config) validateEvalRows() error {
	e := &c.EvalSettings
	if c.Objective().Model == ModelPixels || !e.wants(EvalMSSSIM) && !e.wants(EvalMIXY) && !e.wants(EvalNDM) {
		return nil // the pixel baseline performs only svm
	}
	train, scored, _ := c.images()
	if c.TrainSubset == 0 {
		train -= float64(c.ValidationSubset)
	}
	moreScored := "more scored images (test_subset)"
	if c.EvalSplit == data.SplitValidation {
		scored, moreScored = float64(c.ValidationSubset), "more scored images (validation_subset)"
	}
	val := float64(evals.HeldOut(int(train), e.EvalValidation))
	for _, part := range []struct {
		name string
		n    float64
		more string // what gives the part more rows
	}{
		{"training", train - val, "a smaller eval_validation or more training images"},
		{"validation", val, "a larger eval_validation or more training images"},
		{"scored", scored, moreScored},
	} {
		if part.n >= float64(e.EvalBatchSize) {
			continue
		}
		fix := "use " + part.more
		if part.n >= minEvalBatch {
			fix = fmt.Sprintf("use at most %.0f, or %s", part.n, part.more)
		}
		return fmt.Errorf("eval_batch_size = %d: the evaluations' %s part has %.0f rows (eval_validation = %g of %.0f training images, %.0f scored), fewer than one batch; %s",
			e.EvalBatchSize, part.name, part.n, e.EvalValidation, train, scored, fix)
	}
	return nil
}

// validateEvalEstimators checks the estimators and the critic of mi_xy and
// ndm, whether or not they are performed.
func (c *Config) validateEvalEstimators() error {
	e := &c.EvalSettings
	if _, err := estimators.New(e.MIXYEstimator, estimators.Params(e.MIXYEstimatorParams)); err != nil {
		return fmt.Errorf("mi_xy_estimator = %q: %w", e.MIXYEstimator, err)
	}
	info, err := architectures.LookupPairCritic(e.MIXYCritic)
	if err != nil {
		return fmt.Errorf("mi_xy_critic = %q: %w", e.MIXYCritic, err)
	}
	if info.Images {
		return fmt.Errorf("mi_xy_critic = %q: reads images on both sides, and mi_xy's y is the code, a vector; use %s",
			e.MIXYCritic, english.QuotedOr(architectures.VectorCriticNames()))
	}
	if _, err := estimators.New(e.NDMEstimator, nil); err != nil {
		return fmt.Errorf("ndm_estimator = %q: %w", e.NDMEstimator, err)
	}
	return nil
}

// svmConfig returns the SVM's settings: the probes', seeded with seed.
func (c *Config) svmConfig(seed uint64) probe.SVMConfig {
	return probe.SVMConfig{Config: c.probeConfig(seed), Penalties: c.SVMPenalties, Validation: c.SVMValidation}
}

// evalConfig returns the decoder's, the critic's and the discriminator's
// training settings, seeded with seed.
func (c *Config) evalConfig(seed uint64) evals.Config {
	e := &c.EvalSettings
	return evals.Config{Epochs: e.EvalEpochs, BatchSize: e.EvalBatchSize, LR: e.EvalLR, Hidden: e.EvalHidden,
		Validation: e.EvalValidation, Seed: seed}
}

// evaluate performs the configured evaluations on the frozen encoder's
// features of both splits, adding their metrics to summary (see
// [EvalSettings]). Their seeds derive from probeSeed.
func evaluate(ctx context.Context, c *Config, trainF, testF *architectures.Features, train, test *data.Set, probeSeed uint64, summary results.Values) error {
	e := &c.EvalSettings
	seed := runseed.Derive(probeSeed, evalStream)
	if e.wants(EvalSVM) {
		for k, name := range c.ProbeFeatures {
			if err := runSVM(ctx, c, name, pick(trainF, name, train.Labels), pick(testF, name, test.Labels), train.Classes, seed+uint64(k), summary); err != nil {
				return err
			}
		}
	}
	trY, teY := evals.Matrix{X: trainF.Y, N: trainF.N, D: trainF.YDim}, evals.Matrix{X: testF.Y, N: testF.N, D: testF.YDim}
	trX, teX := images(train), images(test)
	cfg := c.evalConfig(seed)
	if e.wants(EvalMSSSIM) {
		dec := cfg
		dec.Hidden = e.DecoderChannels
		r, err := evals.Decode(ctx, trY, trX, teY, teX, evals.Geometry{Channels: train.C, Size: train.H}, dec)
		if err != nil {
			return fmt.Errorf("dim: msssim: %w", withSettings(err, fmt.Sprintf("eval_lr = %g", e.EvalLR)))
		}
		summary["msssim"], summary["decoder_mse"] = r.MSSSIM, r.MSE
	}
	if e.wants(EvalMIXY) {
		est, err := evals.EstimateMI(ctx, trX, trY, teX, teY, evals.MIConfig{Config: cfg, Estimator: e.MIXYEstimator,
			EstimatorParams: e.MIXYEstimatorParams, Critic: e.MIXYCritic, Layers: 1, Embed: e.EvalHidden})
		if err != nil {
			return fmt.Errorf("dim: mi_xy: %w", withSettings(err, fmt.Sprintf("eval_lr = %g", e.EvalLR)))
		}
		summary["mi_xy"] = est.Test
	}
	if e.wants(EvalNDM) {
		return runNDM(ctx, c, trY, teY, cfg, summary)
	}
	return nil
}

// runNDM adds ndm and ndm_sigmoid, NDM of Y without and with a sigmoid,
// each discriminator trained as cfg says but at the learning rate ndm_lr.
func runNDM(ctx context.Context, c *Config, trY, teY evals.Matrix, cfg evals.Config, summary results.Values) error {
	cfg.LR = c.NDMLR
	ndm := evals.NDMConfig{Config: cfg, Estimator: c.NDMEstimator}
	plain, err := evals.NDM(ctx, trY, teY, ndm)
	if err != nil {
		return fmt.Errorf("dim: ndm: %w", withSettings(err, fmt.Sprintf("ndm_lr = %g", c.NDMLR)))
	}
	squashed, err := evals.NDM(ctx, trY.Sigmoid(), teY.Sigmoid(), ndm)
	if err != nil {
		return fmt.Errorf("dim: ndm with a sigmoid: %w", withSettings(err, fmt.Sprintf("ndm_lr = %g", c.NDMLR)))
	}
	summary["ndm"], summary["ndm_sigmoid"] = plain.Test, squashed.Test
	return nil
}

// evaluatePixels performs the pixel baseline's evaluations: the SVM on the
// input (svm_input_acc); see [EvalSettings] for why the others are left
// out. Its seed derives from probeSeed.
func evaluatePixels(ctx context.Context, c *Config, train, test *data.Set, probeSeed uint64, summary results.Values) error {
	if !c.wants(EvalSVM) {
		return nil
	}
	tr := &probe.Features{X: train.Images, N: train.N, D: train.Dim(), Labels: train.Labels}
	te := &probe.Features{X: test.Images, N: test.N, D: test.Dim(), Labels: test.Labels}
	return runSVM(ctx, c, "input", tr, te, train.Classes, runseed.Derive(probeSeed, evalStream), summary)
}

// runSVM trains the SVM on one kind of features, adding svm_<name>_acc.
func runSVM(ctx context.Context, c *Config, name string, train, test *probe.Features, classes int, seed uint64, summary results.Values) error {
	res, err := probe.TrainSVM(ctx, train, test, classes, c.svmConfig(seed))
	if err != nil {
		return fmt.Errorf("dim: SVM on %s features: %w", name, withSettings(err, c.probeSettings()))
	}
	summary["svm_"+name+"_acc"] = res.TestAccuracy
	return nil
}

// images returns a split's images as a matrix, one image a row.
func images(s *data.Set) evals.Matrix { return evals.Matrix{X: s.Images, N: s.N, D: s.Dim()} }
