package dim

import (
	"math"
	"strings"
	"testing"
)

// evalConfig is tinyConfig with every evaluation, sized to finish in
// seconds.
func evalConfig() *Config {
	c := tinyConfig()
	c.Evaluations = []string{EvalSVM, EvalMSSSIM, EvalMIXY, EvalNDM}
	c.ProbeFeatures = []string{"y"}
	c.EvalEpochs, c.EvalBatchSize, c.EvalHidden, c.DecoderChannels = 2, 16, 16, 4
	c.EvalValidation = 0.2
	return c
}

// TestEvaluationsReportTheirMetrics runs every evaluation on the random
// encoder and checks each metric is present and in its range, and that the
// pixel baseline reports the SVM only.
func TestEvaluationsReportTheirMetrics(t *testing.T) {
	c := evalConfig()
	c.Preset = "random"
	c.ProbeFeatures = []string{"conv"} // a tiny random encoder's Y is near chance
	sum, _ := runTiny(t, c, 2)
	t.Logf("random encoder: %v", sum)
	for k, ok := range map[string]func(v float64) bool{
		"svm_conv_acc": func(v float64) bool { return v > 0.3 && v <= 1 }, // chance is 0.1
		"msssim":       func(v float64) bool { return v > 0 && v < 1 },
		"decoder_mse":  func(v float64) bool { return v > 0 },
		"mi_xy":        func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) },
		"ndm":          func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) },
		"ndm_sigmoid":  func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) },
	} {
		if v, found := sum[k]; !found || !ok(v) {
			t.Errorf("%s = %v (present %v): missing or out of range", k, v, found)
		}
	}
	c = evalConfig()
	c.Preset = "pixels"
	sum, _ = runTiny(t, c, 2)
	if v, found := sum["svm_input_acc"]; !found || !(v > 0.5) {
		t.Errorf("pixels: svm_input_acc = %v (present %v); want well above chance", v, found)
	}
	for _, k := range []string{"msssim", "mi_xy", "ndm", "ndm_sigmoid"} {
		if _, found := sum[k]; found {
			t.Errorf("pixels: summary holds %s, which the baseline leaves out: %v", k, sum)
		}
	}
}

// TestEvaluationsLeaveTheProbesAlone checks that adding evaluations
// changes none of the probes' accuracies: they draw their seeds from
// their own stream.
func TestEvaluationsLeaveTheProbesAlone(t *testing.T) {
	c := evalConfig()
	c.Preset = "random"
	c.Evaluations = []string{EvalNDM}
	with, _ := runTiny(t, c, 4)
	c.Evaluations = []string{}
	without, _ := runTiny(t, c, 4)
	for _, k := range []string{"mlp_y_acc", "linear_y_acc"} {
		if with[k] != without[k] {
			t.Errorf("%s = %v with NDM, %v without", k, with[k], without[k])
		}
	}
}

// TestValidateNamesTheEvaluationKey checks each evaluation setting is
// refused with its key first: a value wrong in itself whether or not an
// evaluation uses it (a typo would fail the day it is turned on), what an
// evaluation needs (a penalty for the SVM) only when one does.
func TestValidateNamesTheEvaluationKey(t *testing.T) {
	cases := []struct {
		key string
		set func(c *Config)
	}{
		{"evaluations", func(c *Config) { c.Evaluations = []string{"svn"} }},
		{"evaluations", func(c *Config) { c.Evaluations = []string{"ndm", "ndm"} }},
		{"svm_penalties", func(c *Config) { c.SVMPenalties = []float64{-1} }},
		{"svm_penalties ", func(c *Config) { c.SVMPenalties = nil }}, // needed: a space marks it
		{"svm_validation ", func(c *Config) { c.SVMValidation = 1 }}, // needed
		{"eval_epochs", func(c *Config) { c.EvalEpochs = 0 }},
		{"eval_batch_size", func(c *Config) { c.EvalBatchSize = 1 }},
		{"eval_hidden", func(c *Config) { c.EvalHidden = 0 }},
		{"decoder_channels", func(c *Config) { c.DecoderChannels = 0 }},
		{"eval_lr", func(c *Config) { c.EvalLR = math.Inf(1) }},
		{"ndm_lr", func(c *Config) { c.NDMLR = 0 }},
		{"eval_validation", func(c *Config) { c.EvalValidation = 0 }},
		{"mi_xy_estimator", func(c *Config) { c.MIXYEstimator = "ksg" }},
		{"mi_xy_estimator", func(c *Config) { c.MIXYEstimatorParams = map[string]float64{"tau": 1} }},
		{"mi_xy_critic", func(c *Config) { c.MIXYCritic = "concatt" }},
		{"mi_xy_critic", func(c *Config) { c.MIXYCritic = "separable-conv" }},
		{"ndm_estimator", func(c *Config) { c.NDMEstimator = "nope" }},
	}
	for _, tc := range cases {
		c := evalConfig()
		tc.set(c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: no error", tc.key)
			continue
		}
		key, needed := strings.CutSuffix(tc.key, " ")
		if !strings.HasPrefix(err.Error(), key) {
			t.Errorf("%s: error %q does not start with the key", key, err)
		}
		if key == "evaluations" {
			continue
		}
		c.Evaluations = []string{}
		if err := c.Validate(); needed && err != nil {
			t.Errorf("%s without evaluations: %v; nothing needs the setting then", key, err)
		} else if !needed && (err == nil || !strings.HasPrefix(err.Error(), key)) {
			t.Errorf("%s without evaluations: %v; want the error still", key, err)
		}
	}
	if err := evalConfig().Validate(); err != nil {
		t.Errorf("evalConfig: %v", err)
	}
}
