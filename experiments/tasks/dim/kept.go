package dim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"

	"github.com/infomax/infomax/architectures"
	"github.com/infomax/infomax/experiments/data"
	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/tasks"
	"github.com/infomax/infomax/internal/safetensors"
)

// KeptEncoder is the file in a run's folder that keeps its encoder, with
// keep_models = true: its parameters and batch-norm running statistics in
// the safetensors format, by the names and in the layouts of
// architectures.Encoder.Tensors, which PyTorch loads.
const KeptEncoder = "encoder.safetensors"

// KeptModel names the file a run of cfg keeps its encoder in (see
// [tasks.ModelKeeper]): KeptEncoder, but for the pixel baseline, which has
// no encoder, and a run that probes encoder_file, which trains none.
func (Task) KeptModel(cfg tasks.Config) string {
	if c, ok := cfg.(*Config); !ok || c.Objective().Model == ModelPixels || c.EncoderFile != "" {
		return ""
	}
	return KeptEncoder
}

// keepEncoder writes enc, the run's trained (or calibrated) encoder, to
// KeptEncoder in the run's folder, atomically, with metadata saying what
// it is and how to feed it: the run, the encoder's sizes, the images'
// size and channels and their normalization, taken from train.
func keepEncoder(c *Config, run *tasks.Run, enc *architectures.Encoder, train *data.Set) error {
	ts, err := enc.Tensors()
	if err != nil {
		return fmt.Errorf("dim: keeping the encoder: %w", err)
	}
	sp := enc.Spec
	meta := map[string]string{
		"format": "pt", "task": "dim", "run_id": run.ID, "model": c.Objective().Model,
		"dataset": c.Dataset, "image_channels": strconv.Itoa(sp.InChannels), "image_size": strconv.Itoa(sp.Size),
		"conv1": strconv.Itoa(sp.Conv1), "conv2": strconv.Itoa(sp.Conv2), "conv3": strconv.Itoa(sp.Conv3),
		"fc": strconv.Itoa(sp.FC), "code": strconv.Itoa(sp.Out), "first_bn": strconv.FormatBool(sp.FirstBN),
		"layers": "conv1 4x4/2 pad 1, [bn1 without conv1.bias], relu; conv2 4x4/2 pad 1, bn2, relu (the local map); " +
			"conv3 4x4/2 pad 1, bn3, relu (the conv features); flatten channel first; fc, bn4, relu (the fc features); out (the code Y); batch norm eps 1e-5",
		"input": "images NCHW, float32 pixels / 255 in [0, 1]", "dataset_summary": datasetSummary(c.Dataset), "seed": strconv.FormatInt(run.Seed, 10),
		"code_revision": results.CodeRevision(),
	}
	if train.Mean != nil {
		mean, _ := json.Marshal(train.Mean)
		std, _ := json.Marshal(train.Std)
		meta["input"] += ", then (x - normalize_mean[c]) / normalize_std[c] (the training images' statistics)"
		meta["normalize_mean"], meta["normalize_std"] = string(mean), string(std)
	}
	b, err := safetensors.Encode(&safetensors.File{Tensors: ts, Metadata: meta})
	if err == nil {
		err = results.WriteFileAtomic(filepath.Join(run.Dir, KeptEncoder), b)
	}
	if err != nil {
		return fmt.Errorf("dim: keeping the encoder: %w", err)
	}
	return nil
}

// datasetSummary is the registered summary of the data set name, which
// says how its images were made 32x32 (MNIST's padded, STL-10's averaged
// over 3x3 blocks), for a kept encoder's metadata; "" for an unknown one.
func datasetSummary(name string) string {
	info, err := data.Lookup(name)
	if err != nil {
		return ""
	}
	return info.Summary
}

// loadEncoder builds the encoder of the config for images of the given
// channels and size and sets its weights from encoder_file, checking
// that the file's tensors are the ones it needs (see encoderFileError).
func loadEncoder(c *Config, channels, size int) (*architectures.Encoder, error) {
	spec := c.encoderSpec(channels, size)
	f, err := safetensors.Read(c.EncoderFile)
	if err != nil {
		return nil, c.encoderFileError(err, nil)
	}
	if err := c.checkNormalize(f.Metadata); err != nil {
		return nil, err
	}
	enc, err := architectures.NewEncoder(G.NewGraph(), architectures.NewInit(0), spec)
	if err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	if err := enc.SetTensors(f.Tensors); err != nil {
		return nil, c.encoderFileError(err, f.Metadata)
	}
	return enc, nil
}

// keptExtractor loads encoder_file for the probes, in place of training:
// the feature extractor of the encoder it holds, for the training images'
// channels and size.
func keptExtractor(c *Config, run *tasks.Run, train, test *data.Set) (*architectures.FeatureExtractor, error) {
	logf(run, "dim run probing a kept encoder", "encoder_file", c.EncoderFile, "train", train.N, test.Split, test.N)
	enc, err := loadEncoder(c, train.C, train.H)
	if err != nil {
		return nil, err
	}
	fx, err := architectures.NewFeatureExtractor(enc, extractBatch)
	if err != nil {
		return nil, fmt.Errorf("dim: %w", err)
	}
	fx.Detach()
	return fx, nil
}

// validateEncoderFile refuses an encoder_file for the pixel baseline,
// which has no encoder, and beside the settings that only the training
// uses and a baseline refuses (coord_weight, occlude_prob and the
// negatives'), and cleans the path, as data_path's is, so that
// "./runs/x/encoder.safetensors" and "runs/x/encoder.safetensors" are
// one run id.
func (c *Config) validateEncoderFile() error {
	if c.EncoderFile == "" {
		return nil
	}
	c.EncoderFile = filepath.Clean(c.EncoderFile)
	if m := c.Objective().Model; m == ModelPixels {
		return fmt.Errorf("encoder_file = %q: the pixel baseline (model %q) has no encoder to load; remove one of the two", c.EncoderFile, m)
	}
	// The training's settings that a baseline, which is not trained
	// either, refuses (see validateVariants and validateUnusedNegatives).
	for _, k := range []struct {
		set     bool
		setting string
	}{
		{c.CoordWeight > 0, fmt.Sprintf("coord_weight = %g", c.CoordWeight)},
		{c.OccludeProb > 0, fmt.Sprintf("occlude_prob = %g", c.OccludeProb)},
		{c.Negatives != NegativesAll, fmt.Sprintf("negatives = %q", c.Negatives)},
		{c.NumNegatives != 0, fmt.Sprintf("num_negatives = %d", c.NumNegatives)},
		{c.NumGlobalNegatives != 0, fmt.Sprintf("num_global_negatives = %d", c.NumGlobalNegatives)},
	} {
		if k.set {
			return fmt.Errorf("%s changes nothing here: the encoder of encoder_file = %q is loaded, not trained; remove the key", k.setting, c.EncoderFile)
		}
	}
	return nil
}

// checkEncoderFile reports, for CheckDisk, an encoder_file that is not a
// readable safetensors file whose header holds the tensors the config's
// encoder needs for the data set's images.
func (c *Config) checkEncoderFile() error {
	if c.EncoderFile == "" {
		return nil
	}
	st, err := os.Stat(c.EncoderFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("encoder_file = %q: no such file%s; give the %s of a run made with keep_models = true", c.EncoderFile, data.RelativeNote(c.EncoderFile), KeptEncoder)
	case err != nil:
		return fmt.Errorf("encoder_file = %q: %w", c.EncoderFile, err)
	case st.IsDir():
		return fmt.Errorf("encoder_file = %q is a folder; give the %s in it", c.EncoderFile, KeptEncoder)
	case !st.Mode().IsRegular():
		return fmt.Errorf("encoder_file = %q is not a regular file (%s); give the %s of a run made with keep_models = true", c.EncoderFile, st.Mode().Type(), KeptEncoder)
	}
	f, err := safetensors.ReadHeader(c.EncoderFile)
	if err != nil {
		return c.encoderFileError(err, nil)
	}
	spec := c.encoderSpec(data.SizesOf(c.Dataset).Channels, data.ImageSide)
	if err := spec.CheckTensors(f.Tensors); err != nil {
		return c.encoderFileError(err, f.Metadata)
	}
	return c.checkNormalize(f.Metadata)
}

// checkNormalize reports a config whose normalize is not that of the run
// that kept encoder_file, as its metadata meta says (see keepEncoder:
// normalize_mean where it normalized), so that the encoder is not fed
// images of other statistics than it was trained on. A file without a
// dim run's metadata is not checked.
func (c *Config) checkNormalize(meta map[string]string) error {
	if _, normalized := meta["normalize_mean"]; meta["task"] == "dim" && normalized != c.Normalize {
		return fmt.Errorf("encoder_file = %q: the run that kept it had normalize = %v, this config normalize = %v; set normalize = %v as it did, or the encoder is fed other images than it was trained on",
			c.EncoderFile, normalized, c.Normalize, normalized)
	}
	return nil
}

// sizeKeys are the settings that size the encoder, as a kept encoder's
// metadata names them too.
var sizeKeys = []string{"conv1", "conv2", "conv3", "fc", "code", "first_bn"}

// encoderFileError returns err, a problem with encoder_file, as one line
// that starts with the key and the file and ends with the fix: for a
// tensor the config's encoder needs and the file lacks or holds in
// another shape, the sizes of the kept encoder, from its metadata meta
// when it has them.
func (c *Config) encoderFileError(err error, meta map[string]string) error {
	msg := strings.TrimPrefix(err.Error(), c.EncoderFile+": ")
	var te *architectures.TensorError
	if !errors.As(err, &te) {
		return fmt.Errorf("encoder_file = %q: %s; give the %s that a run kept with keep_models = true", c.EncoderFile, msg, KeptEncoder)
	}
	var kept []string
	for _, k := range sizeKeys {
		if v, ok := meta[k]; ok {
			kept = append(kept, k+" = "+v)
		}
	}
	fix := "set conv1, conv2, conv3, fc, code and first_bn as the run that kept it did (its config.toml)"
	if len(kept) == len(sizeKeys) {
		fix = "set " + strings.Join(kept, ", ") + " as the run that kept it did"
		if ch := meta["image_channels"]; ch != strconv.Itoa(data.SizesOf(c.Dataset).Channels) {
			fix += fmt.Sprintf(", and a data set of %s-channel images as it had (%s)", ch, meta["dataset"])
		}
	}
	return fmt.Errorf("encoder_file = %q: %s; %s", c.EncoderFile, strings.Replace(msg, "the encoder needs", "the config's encoder needs", 1), fix)
}
