package dim

import (
	"errors"
	"strings"
	"testing"
)

// TestNegativesOfABaselineAreUnused checks that a baseline model, which
// trains no MI term whatever its weights, refuses the negatives settings
// as changing nothing, and names the model that would read them.
func TestNegativesOfABaselineAreUnused(t *testing.T) {
	for _, model := range []string{ModelPixels, ModelRandom} {
		for key, set := range map[string]func(c *Config){
			"negatives":            func(c *Config) { c.Negatives = NegativesRoll },
			"num_negatives":        func(c *Config) { c.NumNegatives = 4 },
			"num_global_negatives": func(c *Config) { c.Alpha, c.NumGlobalNegatives = 1, 4 },
		} {
			c := DefaultConfig()
			c.Model = model
			set(c)
			err := c.Validate()
			var ue *UnusedError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), key) || !strings.Contains(err.Error(), "a baseline is not trained") || ue.Key != "model" {
				t.Errorf("model %s with %s set: %v; want an unused-setting error naming the model", model, key, err)
			}
		}
	}
}
