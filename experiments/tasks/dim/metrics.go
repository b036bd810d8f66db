package dim

import (
	"slices"

	"github.com/infomax/infomax/estimators"
	"github.com/infomax/infomax/experiments/tasks"
)

// Metrics names the metrics a run of cfg writes, as [Task.Run] writes
// them: for a model it trains (not one loaded from encoder_file) its last epoch's loss and the read-outs of its
// MI terms, the negatives and InfoNCE ceiling of each term's mask, and each
// epoch's means in the log; for every model the probes' accuracies on each
// probed feature (the pixel baseline's on "input") and the metrics of the
// configured evaluations.
func (Task) Metrics(cfg tasks.Config) tasks.Metrics {
	c, ok := cfg.(*Config)
	if !ok {
		return tasks.Metrics{}
	}
	var m tasks.Metrics
	obj := c.Objective()
	if obj.Model == ModelDIM && c.EncoderFile == "" {
		m = trainedMetrics(c, obj)
	}
	features := c.ProbeFeatures
	if obj.Model == ModelPixels {
		features = []string{"input"}
	} else {
		m.Summary = append(m.Summary, evaluationMetrics(c)...)
	}
	for _, f := range features {
		m.Summary = append(m.Summary, "mlp_"+f+"_acc", "linear_"+f+"_acc")
		if c.wants(EvalSVM) {
			m.Summary = append(m.Summary, "svm_"+f+"_acc")
		}
	}
	slices.Sort(m.Summary)
	slices.Sort(m.Logged)
	m.Summary, m.Logged = slices.Compact(m.Summary), slices.Compact(m.Logged)
	return m
}

// trainedMetrics names what training writes: the summary's loss, mi_<term>
// and <div>_<term> (see [epochMeans.values]), negatives_<term> and
// ceiling_<term> ([Model.NegativeCounts]) for each trained term, and the
// log's, which adds the prior's losses and the epoch's figures.
func trainedMetrics(c *Config, obj Preset) tasks.Metrics {
	div := ""
	if e, err := estimators.New(c.Estimator, estimators.Params(c.EstimatorParams)); err == nil {
		if d, ok := e.(estimators.Divergence); ok {
			div = d.DivergenceName()
		}
	}
	m := tasks.Metrics{Summary: []string{"loss"}, Logged: []string{"epoch", "images_per_second", "loss", "train_seconds"}}
	for _, term := range []struct {
		name    string
		trained bool
	}{{"local", obj.Beta > 0}, {"global", obj.Alpha > 0}} {
		if !term.trained {
			continue
		}
		read := []string{"mi_" + term.name}
		if div != "" {
			read = append(read, div+"_"+term.name)
		}
		m.Summary = append(m.Summary, read...)
		m.Summary = append(m.Summary, "negatives_"+term.name, "ceiling_"+term.name)
		m.Logged = append(m.Logged, read...)
	}
	if obj.Gamma > 0 {
		m.Logged = append(m.Logged, "prior_d_loss", "prior_g_loss")
	}
	return m
}

// evaluationMetrics names the metrics of the configured evaluations other
// than the SVM's (see [evaluate]).
func evaluationMetrics(c *Config) []string {
	var names []string
	if c.wants(EvalMSSSIM) {
		names = append(names, "msssim", "decoder_mse")
	}
	if c.wants(EvalMIXY) {
		names = append(names, "mi_xy")
	}
	if c.wants(EvalNDM) {
		names = append(names, "ndm", "ndm_sigmoid")
	}
	return names
}
