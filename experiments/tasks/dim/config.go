package dim

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/infomax/infomax/internal/registry"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/train/optim"
	"github.com/infomax/infomax/experiments/train/probe"
)

// The models a run can evaluate.
const (
	// ModelDIM trains the encoder with the Deep InfoMax objective.
	ModelDIM = "dim"
	// ModelPixels is the raw-pixel baseline: the probes see the images.
	ModelPixels = "pixels"
	// ModelRandom is the untrained baseline: the same encoder with its
	// random initial weights, its batch norms calibrated on the training
	// images before the features are extracted (see
	// calibrateRandomEncoder), so that they normalize with the data's
	// statistics.
	ModelRandom = "random"
	// ModelRandomUncalibrated is the untrained encoder with its batch
	// norms on their initial running statistics (mean 0, variance 1: the
	// identity in evaluation mode), the random baseline as it was first
	// defined here.
	ModelRandomUncalibrated = "random-uncalibrated"
)

// The negative-sampling schemes of the local objective.
const (
	// NegativesAll is the paper's: every location of every other image.
	NegativesAll = "all"
	// NegativesRoll is the popular ports': the locations of one other
	// image, the batch shifted by one.
	NegativesRoll = "roll"
)

// Default objective weights: DIM(L), the paper's best model.
const (
	defaultAlpha = 0.0
	defaultBeta  = 1.0
	defaultGamma = 0.1
)

// Preset is a named objective from the paper: a model and the weights
// alpha (global MI), beta (local MI) and gamma (prior matching).
type Preset struct {
	Model              string
	Alpha, Beta, Gamma float64
}

// Presets are the values of the preset key: the paper's DIM(G), DIM(L) and
// DIM(L+G) (Hjelm et al. 2019, §4.2 and Table 3) and the baselines: pixels,
// the calibrated random encoder and the uncalibrated one.
// DIM(L+G)'s gamma is not given in the paper; 0.1 follows DIM(L).
var Presets = map[string]Preset{
	"dim-g":               {Model: ModelDIM, Alpha: 1, Beta: 0, Gamma: 1},
	"dim-l":               {Model: ModelDIM, Alpha: 0, Beta: 1, Gamma: 0.1},
	"dim-lg":              {Model: ModelDIM, Alpha: 0.5, Beta: 0.1, Gamma: 0.1},
	"pixels":              {Model: ModelPixels},
	"random":              {Model: ModelRandom},
	"random-uncalibrated": {Model: ModelRandomUncalibrated},
}

// presetNames returns the preset names, sorted.
func presetNames() []string { return slices.Sorted(maps.Keys(Presets)) }

// Config is the settings of a Deep InfoMax run, the keys of a sweep file's
// [base] table for task = "dim". [DefaultConfig] gives the paper's model and
// optimizer (Hjelm et al. 2019 and the official code) with a CPU-sized
// number of epochs; see sweeps/table1.toml for the paper-scale CIFAR-10
// settings.
type Config struct {
	// Dataset names the data set (mnist, cifar10, cifar100, stl10, ...);
	// DataPath is the folder holding its files ("" for mnist's embedded
	// copy). TrainSubset and TestSubset keep that many images of each
	// split (0 keeps all); Normalize standardizes each channel with the
	// training split's statistics.
	Dataset     string `toml:"dataset"`
	DataPath    string `toml:"data_path"`
	TrainSubset int    `toml:"train_subset"`
	TestSubset  int    `toml:"test_subset"`
	Normalize   bool   `toml:"normalize"`
	// ValidationSubset holds that many images of the training split out
	// of training, drawn disjoint from the training subset (MNIST has
	// 55,000 images that a 5,000-image training subset leaves unused).
	// EvalSplit names the split the probes are scored on: "test" (the
	// default: report once, at the end) or "validation" (the held-out
	// images, for choosing settings; the test split is then not used at
	// all). A sweep that tunes settings scores on "validation".
	ValidationSubset int    `toml:"validation_subset"`
	EvalSplit        string `toml:"eval_split"`

	// Preset, when set, names a row of the paper's Table 1 and sets Model,
	// Alpha, Beta and Gamma: "dim-g" (1/0/1), "dim-l" (0/1/0.1), "dim-lg"
	// (0.5/0.1/0.1), "pixels", "random" or "random-uncalibrated". Setting model, alpha, beta or
	// gamma as well is an error, even to the value the preset or the
	// default gives (see [Config.SetKeys]). "" uses those keys as they
	// are.
	Preset string `toml:"preset"`
	// Model is "dim" (train with the objective below), "pixels" (probes on
	// the raw images), "random" (probes on the untrained encoder, its
	// batch norms calibrated on the training images) or
	// "random-uncalibrated" (the same without the calibration).
	Model string `toml:"model"`
	// Estimator names the MI estimator of every MI term (see `sweep
	// list`); EstimatorParams are its settings.
	Estimator       string             `toml:"estimator"`
	EstimatorParams map[string]float64 `toml:"estimator_params"`
	// Alpha, Beta and Gamma weight the global MI, the local MI and the
	// prior-matching terms: loss = alpha*global + beta*local +
	// gamma*prior. A term whose weight is 0 is not built; at least one
	// must be positive (alpha = beta = 0 trains on the prior alone, an
	// ablation).
	Alpha float64 `toml:"alpha"`
	Beta  float64 `toml:"beta"`
	Gamma float64 `toml:"gamma"`
	// Negatives is "all" (the paper: every location of every other image
	// of the batch) or "roll" (only the next image's locations, as the
	// popular ports do).
	Negatives string `toml:"negatives"`
	// NumNegatives, when positive, keeps K = NumNegatives negatives per
	// positive of the local term, drawn anew at every step, uniformly
	// without replacement, from the negatives of the scheme above (with
	// "all", the (B-1)*M*M locations of the other images; 1 <= K <=
	// (B-1)*M*M); 0 keeps them all. NumGlobalNegatives does the same for
	// the global term (1 <= K <= B-1). An encode-and-dot critic still
	// scores every pair, so its cost does not depend on K; the concat
	// critics (global "concat", local "concat-and-convolve") score only
	// the pairs kept, N(K+1) instead of N², as they do the rolled
	// negatives of "roll". InfoNCE's estimate is
	// then capped by log(K+1), reported as ceiling_local and
	// ceiling_global.
	NumNegatives       int `toml:"num_negatives"`
	NumGlobalNegatives int `toml:"num_global_negatives"`
	// LocalCritic is "encode-and-dot" (the official code) or
	// "concat-and-convolve" (DIM-v0); GlobalCritic is "concat" (the
	// paper's MLP on [M, Y]) or "encode-and-dot".
	LocalCritic  string `toml:"local_critic"`
	GlobalCritic string `toml:"global_critic"`
	// MIUnits is the local critic's width: the embedding size of
	// encode-and-dot (2048, the official code's, the default), the hidden
	// width of concat-and-convolve (512, DIM-v0's, its default where the
	// sweep file does not set mi_units: see [Config.SetKeys]; a config
	// built in Go has no such record, so there an MIUnits of 2048 counts
	// as the default and becomes 512 for concat-and-convolve).
	// GlobalUnits is the global critic's (512).
	MIUnits     int `toml:"mi_units"`
	GlobalUnits int `toml:"global_units"`
	// YEmbedding says whether the encode-and-dot critics embed Y where its
	// size (code) equals their width (mi_units, global_units): "always",
	// the default, or "official", which leaves Y unembedded there, as the
	// official code's NopNet does. Validate writes "always" as "", which
	// the config's TOML, and so the run's id, leaves out: runs from before
	// the key existed keep their ids.
	YEmbedding string `toml:"y_embedding,omitempty"`
	// PriorHidden are the prior discriminator's two hidden widths
	// ([1000, 200] in the paper).
	PriorHidden []int `toml:"prior_hidden"`
	// PriorPenalty weighs the gradient penalty in the prior
	// discriminator's loss, as in the official code (weight 1.0; Mescheder
	// et al. 2018): PriorPenalty * ½(GP_real + GP_fake), GP the batch mean
	// of ‖∂D(z)/∂z‖² on the prior samples and on the codes. 0 trains the
	// discriminator without it, as this package did before.
	PriorPenalty float64 `toml:"prior_penalty"`

	// Conv1, Conv2 and Conv3 are the encoder's convolution widths (64,
	// 128, 256), FC its fully connected width (1024) and Code the size of
	// Y (64; also the prior's dimension). FirstBN puts batch norm after the
	// first convolution, as the official code does.
	Conv1   int  `toml:"conv1"`
	Conv2   int  `toml:"conv2"`
	Conv3   int  `toml:"conv3"`
	FC      int  `toml:"fc"`
	Code    int  `toml:"code"`
	FirstBN bool `toml:"first_bn"`
	// EncoderFile, when set, is the path of a kept encoder (the
	// encoder.safetensors of a run made with keep_models = true): the run
	// trains nothing, loads it and runs its probes and evaluations on it,
	// so that probe settings can be swept over one trained encoder. Its
	// tensors must fit the encoder the sizes above build. "" (the default)
	// trains one; the config's TOML, and so the run's id, leaves it out.
	EncoderFile string `toml:"encoder_file,omitempty"`

	// Epochs and BatchSize set the training length (the last partial
	// batch of each epoch is dropped); LR, Beta1 and Beta2 are Adam's
	// settings for the encoder with its MI critics and for the prior
	// discriminator (1e-4, 0.5, 0.999 in the official code).
	Epochs int `toml:"epochs"`
	// Steps, when positive, trains for that many updates whatever the
	// batch size, and epochs is not used (a sweep file that sets both is
	// an error): the way to compare batch sizes
	// (or numbers of negatives) at an equal number of updates. The epoch
	// count in the metrics then runs up to the last, possibly partial,
	// pass over the data.
	Steps     int     `toml:"steps"`
	BatchSize int     `toml:"batch_size"`
	LR        float64 `toml:"lr"`
	Beta1     float64 `toml:"beta1"`
	Beta2     float64 `toml:"beta2"`
	// AdamMoments is the precision of Adam's moments and of its update's
	// arithmetic: "float64", the default, or "float32", as PyTorch's Adam
	// keeps them for float32 weights (optim.Float32Moments). Validate
	// writes "float64" as "", which the config's TOML, and so the run's
	// id, leaves out: runs from before the key existed keep their ids.
	AdamMoments string `toml:"adam_moments,omitempty"`

	// The probes judging the frozen encoder (see package probe): epochs,
	// learning rate, batch size, the MLP probe's hidden width and dropout,
	// the epochs at which the learning rate drops tenfold, whether
	// features are z-scored first, and which features to probe ("conv",
	// "fc", "y"; the pixel baseline always probes the input).
	ProbeEpochs      int      `toml:"probe_epochs"`
	ProbeLR          float64  `toml:"probe_lr"`
	ProbeBatchSize   int      `toml:"probe_batch_size"`
	ProbeHidden      int      `toml:"probe_hidden"`
	ProbeDropout     float64  `toml:"probe_dropout"`
	ProbeDecayEpochs []int    `toml:"probe_decay_epochs"`
	ProbeStandardize bool     `toml:"probe_standardize"`
	ProbeFeatures    []string `toml:"probe_features"`

	// EvalSettings are the evaluations after the probes (the paper's
	// Table 3: svm, msssim, mi_xy, ndm) and their settings; see
	// evaluations.go.
	EvalSettings
	// VariantSettings are Table 4's DIM(occlude) and DIM(coord); see
	// model_variants.go.
	VariantSettings

	// explicit holds the keys the sweep file set (see [Config.SetKeys]);
	// nil when the config was not decoded from a sweep file.
	explicit map[string]bool
}

// SetKeys records the keys that the sweep file set for this run (see
// [tasks.KeysSetter]), so that Validate can refuse a preset together with a
// key it sets even when that key was set to its default value, and can
// tell a concat-and-convolve critic's mi_units left to its own default
// (512) from one set to encode-and-dot's (2048). A nested
// key ("estimator_params.tau") is recorded by its first part.
func (c *Config) SetKeys(keys []string) {
	c.explicit = make(map[string]bool, len(keys))
	for _, k := range keys {
		top, _, _ := strings.Cut(k, ".")
		c.explicit[top] = true
	}
}

// DefaultConfig returns DIM(L) with jsd on MNIST: the paper's encoder,
// critics, prior and optimizer, trained for 10 epochs, and the paper's
// probes (200 hidden units, dropout 0.1, batch 64) trained for 20 epochs at
// lr 1e-3 on z-scored features (the paper trains them as long as the
// encoder at 1e-4 on raw features; a short run needs the faster setting).
func DefaultConfig() *Config {
	return &Config{
		Dataset:          "mnist",
		Model:            ModelDIM,
		Estimator:        "jsd",
		EstimatorParams:  map[string]float64{},
		Alpha:            defaultAlpha,
		Beta:             defaultBeta,
		Gamma:            defaultGamma,
		Negatives:        NegativesAll,
		EvalSplit:        data.SplitTest,
		LocalCritic:      encodeAndDot,
		GlobalCritic:     "concat",
		MIUnits:          defaultMIUnits,
		GlobalUnits:      512,
		YEmbedding:       yEmbedAlways,
		PriorHidden:      []int{1000, 200},
		PriorPenalty:     1,
		Conv1:            64,
		Conv2:            128,
		Conv3:            256,
		FC:               1024,
		Code:             64,
		FirstBN:          true,
		Epochs:           10,
		BatchSize:        64,
		LR:               1e-4,
		Beta1:            0.5,
		Beta2:            0.999,
		AdamMoments:      string(optim.Float64Moments),
		ProbeEpochs:      20,
		ProbeLR:          1e-3,
		ProbeBatchSize:   64,
		ProbeHidden:      200,
		ProbeDropout:     0.1,
		ProbeDecayEpochs: []int{},
		ProbeStandardize: true,
		ProbeFeatures:    []string{"conv", "fc", "y"},
		EvalSettings:     defaultEvalSettings(),
		VariantSettings:  defaultVariantSettings(),
	}
}

// Objective returns the model and weights a run uses: the preset's when
// Preset is set, the config's own otherwise.
func (c *Config) Objective() Preset {
	if p, ok := Presets[c.Preset]; ok {
		return p
	}
	return Preset{Model: c.Model, Alpha: c.Alpha, Beta: c.Beta, Gamma: c.Gamma}
}

// CheckDisk reports a data_path that is not a folder on this machine, and
// an encoder_file that is missing or is not a kept encoder whose tensors
// fit the config's encoder (see tasks.DiskChecker).
func (c *Config) CheckDisk() error {
	if err := data.CheckFolder(c.DataPath); err != nil {
		return fmt.Errorf("data_path: %w", err)
	}
	return c.checkEncoderFile()
}

// KeyHint says where a key the config does not know belongs when some
// estimator takes it as a parameter: in estimator_params (see
// tasks.KeyHinter).
func (c *Config) KeyHint(key string) string { return estimators.ParamHint(key, "estimator_params") }

// Validate reports the first impossible setting, naming its key. It checks
// the settings in groups, in this order: the data, the preset, the
// objective, the networks, the training, the probes and the sizes.
func (c *Config) Validate() error {
	for _, validate := range []func() error{c.validateData, c.validatePreset, c.validateObjective,
		c.validateNetworks, c.validateTraining, c.validateProbes, c.validateEvals, c.validateVariants, c.validateEncoderFile, c.validateSizes} {
		if err := validate(); err != nil {
			return err
		}
	}
	return nil
}

// intCheck is a range check of an integer setting: key = v must be at
// least min. must says what it must be in the error, "at least <min>"
// when it is "".
type intCheck struct {
	key  string
	v    int
	min  int
	must string
}

// checkInts returns the error of the first check that fails, or nil.
func checkInts(checks []intCheck) error {
	for _, ch := range checks {
		if ch.v < ch.min {
			must := ch.must
			if must == "" {
				must = fmt.Sprintf("at least %d", ch.min)
			}
			return fmt.Errorf("%s = %d: must be %s", ch.key, ch.v, must)
		}
	}
	return nil
}

// validateData checks the data set, its subsets and eval_split (see
// data.Settings.Check), and cleans data_path.
func (c *Config) validateData() error {
	path, err := data.Settings{Dataset: c.Dataset, DataPath: c.DataPath, TrainSubset: c.TrainSubset, TestSubset: c.TestSubset,
		ValidationSubset: c.ValidationSubset, EvalSplit: c.EvalSplit}.Check()
	if err != nil {
		return err
	}
	c.DataPath = path
	return nil
}

// validatePreset checks that a preset is known and that the keys it sets
// (model, alpha, beta, gamma) are not set as well, since the preset would
// silently override them. For a config from a sweep file (see
// [Config.SetKeys]) a key counts as set when the file sets it, whatever
// its value: preset = "dim-g" with gamma = 0.1, the default, is an error.
// For a config built in Go, which has no such record, a key counts as set
// when its value differs from the default.
func (c *Config) validatePreset() error {
	if c.Preset == "" {
		return nil
	}
	if _, ok := Presets[c.Preset]; !ok {
		return fmt.Errorf("preset = %q: unknown (known: %s)%s", c.Preset, strings.Join(presetNames(), ", "), registry.DidYouMean(c.Preset, presetNames()))
	}
	set := c.keySet
	switch {
	case set("model", c.Model != ModelDIM):
		return fmt.Errorf("model = %q: preset = %q sets the model; remove one of the two keys", c.Model, c.Preset)
	case set("alpha", c.Alpha != defaultAlpha):
		return fmt.Errorf("alpha = %g: preset = %q sets alpha, beta and gamma; remove one of the two keys", c.Alpha, c.Preset)
	case set("beta", c.Beta != defaultBeta):
		return fmt.Errorf("beta = %g: preset = %q sets alpha, beta and gamma; remove one of the two keys", c.Beta, c.Preset)
	case set("gamma", c.Gamma != defaultGamma):
		return fmt.Errorf("gamma = %g: preset = %q sets alpha, beta and gamma; remove one of the two keys", c.Gamma, c.Preset)
	}
	return nil
}

// keySet reports whether key counts as set: for a config from a sweep
// file (see [Config.SetKeys]), whether the file sets it, whatever its
// value; for a config built in Go, which has no such record, whether its
// value differs from the default (differs).
func (c *Config) keySet(key string, differs bool) bool {
	if c.explicit != nil {
		return c.explicit[key]
	}
	return differs
}

// validateObjective checks the model, the weights of the objective's
// terms, the estimator and the local objective's negatives.
func (c *Config) validateObjective() error {
	switch c.Model {
	case ModelDIM, ModelPixels, ModelRandom, ModelRandomUncalibrated:
	default:
		return fmt.Errorf("model = %q: must be %q, %q, %q or %q", c.Model, ModelDIM, ModelPixels, ModelRandom, ModelRandomUncalibrated)
	}
	for _, w := range []struct {
		key string
		v   float64
	}{{"alpha", c.Alpha}, {"beta", c.Beta}, {"gamma", c.Gamma}} {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			return fmt.Errorf("%s = %g: must be a finite weight, at least 0", w.key, w.v)
		}
	}
	obj := c.Objective()
	if obj.Model == ModelDIM && obj.Alpha == 0 && obj.Beta == 0 && obj.Gamma == 0 {
		return fmt.Errorf("alpha = 0, beta = 0 and gamma = 0: the objective is empty; give alpha (global MI), beta (local MI) or gamma (prior) a positive weight")
	}
	if _, err := estimators.LookupCritic(c.Estimator); err != nil {
		return fmt.Errorf("estimator = %q: %w", c.Estimator, err)
	}
	if _, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err != nil {
		return estimators.ParamKey("estimator_params", err)
	}
	switch c.Negatives {
	case NegativesAll, NegativesRoll:
	default:
		return fmt.Errorf("negatives = %q: must be %q (every other image, as the paper) or %q (the next image only)", c.Negatives, NegativesAll, NegativesRoll)
	}
	if err := c.validateNegativeCounts(); err != nil {
		return err
	}
	return c.validateUnusedNegatives()
}

// validateUnusedNegatives refuses a negatives setting for an MI term that
// the objective does not build, where it would change nothing: negatives =
// "roll" or num_negatives without a local term (beta = 0, as DIM(G), or a
// baseline), num_global_negatives without a global term (alpha = 0, as
// DIM(L)).
func (c *Config) validateUnusedNegatives() error {
	obj := c.Objective()
	local, global := obj.Model == ModelDIM && obj.Beta > 0, obj.Model == ModelDIM && obj.Alpha > 0
	// fix offers the other term's key only where that term is built.
	fix := func(other string, built bool) string {
		switch {
		case obj.Model != ModelDIM:
			return "a baseline is not trained; remove the key"
		case !built:
			return "remove the key"
		}
		return "remove the key, or write " + other + " for the other term"
	}
	hasLocal := func(p Preset) bool { return p.Model == ModelDIM && p.Beta > 0 }
	hasGlobal := func(p Preset) bool { return p.Model == ModelDIM && p.Alpha > 0 }
	switch {
	case !local && c.Negatives != NegativesAll:
		return c.unusedError(hasLocal, "negatives = %q changes nothing here: %s has no local MI term; %s", c.Negatives, c.objectiveName(), fix("num_global_negatives", global))
	case !local && c.NumNegatives != 0:
		return c.unusedError(hasLocal, "num_negatives = %d changes nothing here: %s has no local MI term; %s", c.NumNegatives, c.objectiveName(), fix("num_global_negatives", global))
	case !global && c.NumGlobalNegatives != 0:
		return c.unusedError(hasGlobal, "num_global_negatives = %d changes nothing here: %s has no global MI term; %s", c.NumGlobalNegatives, c.objectiveName(), fix("num_negatives", local))
	}
	return nil
}

// UnusedError is a setting that changes nothing in the run its config
// describes, since the objective builds nothing that reads it: a
// negatives setting without its MI term, a variant of a baseline. Where
// the run's preset (or model) decides it, TakenWhere names that key and
// the values whose runs do read the setting, so that a sweep varying the
// preset says which where, or which [[overrides]] entry, sets it for
// those runs alone.
type UnusedError struct {
	Msg string
	// Key is "preset" or "model", or "" where neither decides it (alpha
	// and beta set apart); Values are its values that take the setting.
	Key    string
	Values []string
}

func (e *UnusedError) Error() string { return e.Msg }

// TakenWhere returns the key that decides whether the setting is read and
// the values that read it (see estimators.ParamError's).
func (e *UnusedError) TakenWhere() (key string, values []string) { return e.Key, e.Values }

// unusedError returns an *UnusedError with the formatted message, deciding
// by the run's preset, if it has one, the presets whose objective reads
// the setting (takes), else by model where the model is a baseline.
func (c *Config) unusedError(takes func(Preset) bool, format string, args ...any) error {
	e := &UnusedError{Msg: fmt.Sprintf(format, args...)}
	switch {
	case c.Preset != "":
		e.Key = "preset"
		for _, name := range presetNames() {
			if takes(Presets[name]) {
				e.Values = append(e.Values, name)
			}
		}
	case c.Model != ModelDIM:
		e.Key, e.Values = "model", []string{ModelDIM}
	}
	return e
}

// objectiveName names the run's objective in errors: its preset, or its
// model and weights.
func (c *Config) objectiveName() string {
	if c.Preset != "" {
		return fmt.Sprintf("preset = %q", c.Preset)
	}
	if c.Model != ModelDIM {
		return fmt.Sprintf("model = %q", c.Model)
	}
	return fmt.Sprintf("alpha = %g, beta = %g", c.Alpha, c.Beta)
}

// localLocations is M*M, the locations of the local feature map of the
// 32x32 images every data set is loaded as (see package data).
var localLocations = func() int { m := (architectures.EncoderSpec{Size: 32}).LocalSize(); return m * m }()

// validateNegativeCounts checks num_negatives and num_global_negatives
// against the negatives a batch holds.
func (c *Config) validateNegativeCounts() error {
	localMax, globalMax := (c.BatchSize-1)*localLocations, c.BatchSize-1
	if c.Negatives == NegativesRoll {
		localMax = localLocations
	}
	switch {
	case c.NumNegatives < 0 || c.NumNegatives > localMax:
		return fmt.Errorf("num_negatives = %d: must be 0 (all) or 1 to %d, the negatives a batch of %d holds with negatives = %q", c.NumNegatives, localMax, c.BatchSize, c.Negatives)
	case c.NumGlobalNegatives < 0 || c.NumGlobalNegatives > globalMax:
		return fmt.Errorf("num_global_negatives = %d: must be 0 (all) or 1 to %d, the other images of a batch of %d", c.NumGlobalNegatives, globalMax, c.BatchSize)
	}
	return nil
}

// The values of y_embedding.
const (
	yEmbedAlways   = "always"
	yEmbedOfficial = "official"
)

// validateYEmbedding checks y_embedding and writes "always" as "". It
// refuses "official" where it would change nothing: where no encode-and-dot
// critic the objective uses is as wide as code, Y is embedded either way.
func (c *Config) validateYEmbedding() error {
	switch c.YEmbedding {
	case yEmbedAlways, "":
		c.YEmbedding = ""
		return nil
	case yEmbedOfficial:
	default:
		return fmt.Errorf("y_embedding = %q: must be %q (embed Y even where code equals the critic's width) or %q (leave it unembedded there, as the official code's NopNet)", c.YEmbedding, yEmbedAlways, yEmbedOfficial)
	}
	obj := c.Objective()
	local := obj.Model == ModelDIM && obj.Beta > 0 && c.LocalCritic == encodeAndDot && !c.embedsY(c.MIUnits)
	global := obj.Model == ModelDIM && obj.Alpha > 0 && c.GlobalCritic == encodeAndDot && !c.embedsY(c.GlobalUnits)
	if !local && !global {
		return fmt.Errorf("y_embedding = %q changes nothing here: no encode-and-dot critic of this objective is as wide as code = %d (mi_units = %d, global_units = %d), so Y is embedded either way; remove the key", c.YEmbedding, c.Code, c.MIUnits, c.GlobalUnits)
	}
	return nil
}

// The local critics' default widths (mi_units): encode-and-dot's
// embeddings are the official code's 2048 wide, concat-and-convolve's
// hidden layers DIM-v0's 512 (its dim_h = [512, 512, 1]). A
// concat-and-convolve critic scores every pair of a location and a Y, so
// 2048 would also cost it 16 times the products of 512.
const (
	defaultMIUnits         = 2048
	concatAndConvolveUnits = 512
	concatAndConvolve      = "concat-and-convolve"
	encodeAndDot           = "encode-and-dot"
)

// validateNetworks checks the critics and the networks' widths, giving a
// concat-and-convolve critic its own default width where mi_units is not
// set.
func (c *Config) validateNetworks() error {
	if _, err := architectures.LookupLocalCritic(c.LocalCritic); err != nil {
		return fmt.Errorf("local_critic = %q: %w", c.LocalCritic, err)
	}
	if _, err := architectures.LookupGlobalCritic(c.GlobalCritic); err != nil {
		return fmt.Errorf("global_critic = %q: %w", c.GlobalCritic, err)
	}
	if c.LocalCritic == concatAndConvolve && !c.keySet("mi_units", c.MIUnits != defaultMIUnits) {
		c.MIUnits = concatAndConvolveUnits
	}
	if err := checkInts([]intCheck{
		{"mi_units", c.MIUnits, 1, ""}, {"global_units", c.GlobalUnits, 1, ""},
		{"conv1", c.Conv1, 1, ""}, {"conv2", c.Conv2, 1, ""}, {"conv3", c.Conv3, 1, ""},
		{"fc", c.FC, 1, ""}, {"code", c.Code, 1, ""},
	}); err != nil {
		return err
	}
	if err := c.validateYEmbedding(); err != nil {
		return err
	}
	if len(c.PriorHidden) != 2 || c.PriorHidden[0] < 1 || c.PriorHidden[1] < 1 {
		return fmt.Errorf("prior_hidden = %v: give two positive widths, such as [1000, 200]", c.PriorHidden)
	}
	if !(c.PriorPenalty >= 0) || math.IsInf(c.PriorPenalty, 0) {
		return fmt.Errorf("prior_penalty = %g: must be a finite weight, at least 0 (1 as the official code, 0 for none)", c.PriorPenalty)
	}
	return nil
}

// validateTraining checks the length of training, the batch size and
// Adam's settings.
func (c *Config) validateTraining() error {
	if err := checkInts([]intCheck{
		{"epochs", c.Epochs, 1, ""},
		{"steps", c.Steps, 0, "0 (train for epochs) or positive"},
		{"batch_size", c.BatchSize, 2, "at least 2 (each image needs another as a negative)"},
	}); err != nil {
		return err
	}
	if c.Steps > 0 && c.explicit["epochs"] {
		return fmt.Errorf("epochs = %d: steps = %d sets the training length instead; remove one of the two keys", c.Epochs, c.Steps)
	}
	moments, err := optim.CheckAdam(c.LR, c.Beta1, c.Beta2, c.AdamMoments)
	if err != nil {
		return err
	}
	c.AdamMoments = moments
	if c.TrainSubset > 0 && c.BatchSize > c.TrainSubset {
		return fmt.Errorf("batch_size = %d: larger than train_subset = %d, so no full batch exists", c.BatchSize, c.TrainSubset)
	}
	return nil
}

// probeKeys are the keys of the probe.Config fields that probeConfig sets
// from them.
var probeKeys = map[string]string{"Hidden": "probe_hidden", "Dropout": "probe_dropout", "Epochs": "probe_epochs",
	"BatchSize": "probe_batch_size", "LR": "probe_lr", "DecayEpochs": "probe_decay_epochs"}

// validateProbes checks the probes' settings and features.
func (c *Config) validateProbes() error {
	if err := c.probeConfig(0).Validate(); err != nil {
		if se := (*probe.SettingError)(nil); errors.As(err, &se) && probeKeys[se.Field] != "" {
			return fmt.Errorf("%s = %s: %s", probeKeys[se.Field], se.Value, se.Rule)
		}
		return fmt.Errorf("probe_*: %w (keys probe_hidden, probe_dropout, probe_epochs, probe_batch_size, probe_lr, probe_decay_epochs)", err)
	}
	if err := checkInts([]intCheck{
		{"probe_batch_size", c.ProbeBatchSize, 2, "at least 2 (the MLP probe's batch norm)"},
	}); err != nil {
		return err
	}
	if c.TrainSubset > 0 && c.ProbeBatchSize > c.TrainSubset {
		return fmt.Errorf("probe_batch_size = %d: larger than train_subset = %d, the images the probes train on; use at most %d", c.ProbeBatchSize, c.TrainSubset, c.TrainSubset)
	}
	if len(c.ProbeFeatures) == 0 {
		return fmt.Errorf(`probe_features is empty: give some of "conv", "fc", "y"`)
	}
	seen := map[string]bool{}
	for _, f := range c.ProbeFeatures {
		if f != "conv" && f != "fc" && f != "y" {
			return fmt.Errorf(`probe_features: %q is not "conv", "fc" or "y"`, f)
		}
		if seen[f] {
			return fmt.Errorf("probe_features: %q is listed twice", f)
		}
		seen[f] = true
	}
	return nil
}

// validateSizes checks that the run's counts fit: the steps of training
// and of the probes, and every size and product of sizes, by the memory
// estimate (tasks.Memory.CheckSizes).
func (c *Config) validateSizes() error {
	train, _, _ := c.images()
	for _, e := range []intCheck{{key: "epochs", v: c.Epochs}, {key: "probe_epochs", v: c.ProbeEpochs}} {
		if float64(e.v)*train > math.MaxInt/2 {
			return fmt.Errorf("%s = %d: times %.0f training images, more steps than a count can hold", e.key, e.v, train)
		}
	}
	return c.EstimateMemory().CheckSizes()
}

// probeConfig returns the probes' settings, seeded with seed.
func (c *Config) probeConfig(seed uint64) probe.Config {
	return probe.Config{
		Hidden:      c.ProbeHidden,
		Dropout:     c.ProbeDropout,
		Epochs:      c.ProbeEpochs,
		BatchSize:   c.ProbeBatchSize,
		LR:          c.ProbeLR,
		DecayEpochs: c.ProbeDecayEpochs,
		Seed:        seed,
		Standardize: c.ProbeStandardize,
	}
}

// encoderSpec returns the encoder's sizes for images of the given channels
// and size.
func (c *Config) encoderSpec(channels, size int) architectures.EncoderSpec {
	return architectures.EncoderSpec{InChannels: channels, Size: size,
		Conv1: c.Conv1, Conv2: c.Conv2, Conv3: c.Conv3, FC: c.FC, Out: c.Code, FirstBN: c.FirstBN}
}

// EffectiveSettings returns, for a run with a preset, the model and the
// weights the preset sets, which config.toml keeps at their defaults (see
// [tasks.Effective]); nil without a preset.
func (c *Config) EffectiveSettings() map[string]any {
	p, ok := Presets[c.Preset]
	if !ok {
		return nil
	}
	return map[string]any{"model": p.Model, "alpha": p.Alpha, "beta": p.Beta, "gamma": p.Gamma}
}
