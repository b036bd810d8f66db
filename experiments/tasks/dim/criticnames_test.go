package dim

import (
	"strings"
	"testing"
)

// TestUnknownCriticSuggestsTheClosest checks that a misspelt local or
// global critic is the registry's error, as every other plug-in name is:
// the key, the known names and the closest one.
func TestUnknownCriticSuggestsTheClosest(t *testing.T) {
	for _, tc := range []struct {
		set  func(c *Config)
		want []string
	}{
		{func(c *Config) { c.LocalCritic = "encode-and-dto" }, []string{`local_critic = "encode-and-dto": unknown local critic`, `did you mean "encode-and-dot"?`}},
		{func(c *Config) { c.GlobalCritic = "concta" }, []string{`global_critic = "concta": unknown global critic`, `did you mean "concat"?`}},
	} {
		c := DefaultConfig()
		tc.set(c)
		err := c.Validate()
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Validate: %v\nwant an error containing %q", err, w)
			}
		}
	}
}
