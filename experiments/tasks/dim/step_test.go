package dim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestStepIsTheStepsApart checks that Step, which runs the encoder's Adam
// update beside the discriminator step, gives bit for bit what
// EncoderStep, SamplePrior and DiscriminatorStep give one after another:
// the step's values, the discriminator's loss and every weight of both
// optimizers, over several steps, on two cores and on the CPU preset's
// widths (parameters of many of Adam.Start's chunks); and, without a
// prior term, EncoderStep's, with a NaN discriminator loss.
func TestStepIsTheStepsApart(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, gamma := range []float64{0.1, 0} {
		c := tinyConfig()
		cpuPreset(c)
		c.BatchSize, c.Gamma = 8, gamma
		t.Run(fmt.Sprintf("gamma %g", gamma), func(t *testing.T) { checkStepIsTheStepsApart(t, c) })
	}
}

// checkStepIsTheStepsApart runs four steps of two models of config c,
// one by Step and one by the calls apart, and compares them.
func checkStepIsTheStepsApart(t *testing.T, c *Config) {
	dataRNG, apartRNG, stepRNG := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
	apart, together := newNoisyModel(t, c, 1, 9, dataRNG), newNoisyModel(t, c, 1, 9, dataRNG)
	copy(together.Input, apart.Input)
	for s := range 4 {
		if err := apart.SampleNegatives(1, s); err != nil {
			t.Fatal(err)
		}
		if err := together.SampleNegatives(1, s); err != nil {
			t.Fatal(err)
		}
		want, err := apart.EncoderStep()
		if err != nil {
			t.Fatal(err)
		}
		apart.SamplePrior(apartRNG)
		wantD, err := apart.DiscriminatorStep()
		if err != nil {
			t.Fatal(err)
		}
		got, gotD, err := together.Step(stepRNG)
		if err != nil {
			t.Fatal(err)
		}
		// %v prints the shortest decimal that reads back as the same
		// float, and NaN (an absent term's value) as NaN.
		if fmt.Sprintf("%v %v", got, gotD) != fmt.Sprintf("%v %v", want, wantD) {
			t.Fatalf("step %d: Step gave %+v and discriminator loss %v, the steps apart %+v and %v", s, got, gotD, want, wantD)
		}
		if !equalSnapshots(snapshot(together.Adam.Params()), snapshot(apart.Adam.Params())) {
			t.Fatalf("step %d: the encoder's and critics' weights differ", s)
		}
		if c.Gamma == 0 {
			if !math.IsNaN(gotD) {
				t.Fatalf("step %d: discriminator loss %v without a prior term, want NaN", s, gotD)
			}
			continue
		}
		if !equalSnapshots(snapshot(together.PriorAdam.Params()), snapshot(apart.PriorAdam.Params())) {
			t.Fatalf("step %d: the discriminator's weights differ", s)
		}
	}
}
