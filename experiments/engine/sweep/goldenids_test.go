package sweep

import (
	"slices"
	"strings"
	"testing"
)

// goldenGridFile exercises what a run id is made of: a long prefix that
// is cut, floats with many digits, a negative number, a list value, a
// string with "..", a conditional parameter, an override, a value that
// is not swept, and a seed other than 0.
const goldenGridFile = `name = "golden"
task = "fake"
seeds = [0, 7]

[base]
steps = 6
estimator_params = { tau = 1.0, zeta = -0.25 }

[parameters.estimator]
values = ["jsd", "dv"]

[parameters."optim.lr"]
values = [0.000123456789, 12345.678]

[parameters.hidden]
values = [[8, 4], [16]]

[parameters."estimator_params.a_rather_long_setting_name_that_makes_the_id_prefix_long"]
values = [-1.5, 2.0]
where = { estimator = "jsd" }

[parameters.diverge_if]
values = ["a..b", "c"]

[parameters.cubic]
value = true

[[overrides]]
where = { estimator = "dv", "optim.lr" = 12345.678 }
width = 2
`

// goldenIDs are the run ids of goldenGridFile, then of randomFile, as the
// code wrote them when this test was added: made by running it with an
// empty list and copying the ids its failure printed. The jsd runs' ids
// are cut at maxIDPrefix, so that four of them share a readable part and
// only the hash tells them apart. A run's id finds its stored results, so no change may alter
// them unless it must, and says so in its commit: a new id runs a done run
// again and leaves its results behind.
var goldenIDs = []string{
	// goldenGridFile
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s0_079ea440",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s7_ce455ebe",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s0_d80474ff",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s7_38721e70",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s0_8f3ca3ab",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s7_a9df490c",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s0_5595e513",
	"estimator-jsd_lr-0.0001235_hidden-8x4_a-rather-long-setting-name-that-makes-the_s7_aeda2fff",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s0_cfce0cd1",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s7_282254fe",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s0_2676a84b",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s7_1852669c",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s0_2ca23f0f",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s7_35e0dde8",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s0_7f5ac1d6",
	"estimator-jsd_lr-0.0001235_hidden-16_a-rather-long-setting-name-that-makes-the-i_s7_68fde04c",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s0_8d1fd74e",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s7_5ce7dd92",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s0_9ae66c46",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s7_0f5054b9",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s0_52d6fb13",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s7_eba1cfbd",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s0_ba78c206",
	"estimator-jsd_lr-1.235e04_hidden-8x4_a-rather-long-setting-name-that-makes-the-i_s7_0837079b",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s0_6761bef6",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s7_d746cb19",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s0_552f5015",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s7_09917e2b",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s0_bebdddac",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s7_b48f4a36",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s0_5cbc1861",
	"estimator-jsd_lr-1.235e04_hidden-16_a-rather-long-setting-name-that-makes-the-id_s7_36cf0da6",
	"estimator-dv_lr-0.0001235_hidden-8x4_diverge-if-a.b_s0_ed031179",
	"estimator-dv_lr-0.0001235_hidden-8x4_diverge-if-a.b_s7_6f08ef5d",
	"estimator-dv_lr-0.0001235_hidden-8x4_diverge-if-c_s0_ab3a2c50",
	"estimator-dv_lr-0.0001235_hidden-8x4_diverge-if-c_s7_9c8d0684",
	"estimator-dv_lr-0.0001235_hidden-16_diverge-if-a.b_s0_9cd255d7",
	"estimator-dv_lr-0.0001235_hidden-16_diverge-if-a.b_s7_1f6e9877",
	"estimator-dv_lr-0.0001235_hidden-16_diverge-if-c_s0_19729a0e",
	"estimator-dv_lr-0.0001235_hidden-16_diverge-if-c_s7_114de4b6",
	"estimator-dv_lr-1.235e04_hidden-8x4_diverge-if-a.b_s0_a074dc97",
	"estimator-dv_lr-1.235e04_hidden-8x4_diverge-if-a.b_s7_6ac6a99c",
	"estimator-dv_lr-1.235e04_hidden-8x4_diverge-if-c_s0_95f289be",
	"estimator-dv_lr-1.235e04_hidden-8x4_diverge-if-c_s7_0540c869",
	"estimator-dv_lr-1.235e04_hidden-16_diverge-if-a.b_s0_75dc6fbd",
	"estimator-dv_lr-1.235e04_hidden-16_diverge-if-a.b_s7_42f4cafe",
	"estimator-dv_lr-1.235e04_hidden-16_diverge-if-c_s0_b43c331c",
	"estimator-dv_lr-1.235e04_hidden-16_diverge-if-c_s7_531f5fdb",
	// randomFile
	"lr-0.0001286_width-97_momentum-0.8377_estimator-infonce_s0_ffd7a3a3",
	"lr-0.0001286_width-97_momentum-0.8377_estimator-infonce_s1_7d36a556",
	"lr-0.004053_width-78_momentum-0.5471_estimator-dv_s0_72d09843",
	"lr-0.004053_width-78_momentum-0.5471_estimator-dv_s1_0ca0f3d1",
	"lr-0.000269_width-39_momentum-0.9747_estimator-infonce_s0_2f151108",
	"lr-0.000269_width-39_momentum-0.9747_estimator-infonce_s1_6bf493f9",
	"lr-0.0007547_width-75_momentum-0.9605_estimator-infonce_s0_fd3db8b6",
	"lr-0.0007547_width-75_momentum-0.9605_estimator-infonce_s1_d68aeaa9",
	"lr-0.001646_width-81_momentum-0.8531_estimator-dv_s0_7298df31",
	"lr-0.001646_width-81_momentum-0.8531_estimator-dv_s1_753087d3",
	"lr-0.0002126_width-41_momentum-0.6248_estimator-infonce_s0_d598f6d6",
	"lr-0.0002126_width-41_momentum-0.6248_estimator-infonce_s1_086466d5",
	"lr-0.002871_width-40_momentum-0.8276_estimator-infonce_s0_bab3320f",
	"lr-0.002871_width-40_momentum-0.8276_estimator-infonce_s1_e8806e2b",
}

// TestRunIDsMatchTheGoldenList checks every run id of two sweeps, a grid
// and a random one, against goldenIDs: the readable prefix, its cut at
// maxIDPrefix, the numbers' forms and the hash of the config's TOML.
func TestRunIDsMatchTheGoldenList(t *testing.T) {
	var got []string
	for _, src := range []string{goldenGridFile, randomFile} {
		for _, r := range parseFile(t, src).Runs {
			got = append(got, r.ID)
		}
	}
	if !slices.Equal(got, goldenIDs) {
		t.Fatalf("run ids changed; got\n\t%q\nwant\n\t%q", strings.Join(got, "\n\t"), strings.Join(goldenIDs, "\n\t"))
	}
}

// TestRunIDPrefixesAreCutAtMaxIDPrefix checks the cut of a run id's
// readable part for parts just under, at and over maxIDPrefix: a part of
// up to maxIDPrefix characters is kept whole, a longer one is cut to at
// most maxIDPrefix.
func TestRunIDPrefixesAreCutAtMaxIDPrefix(t *testing.T) {
	for n := maxIDPrefix - 4; n <= maxIDPrefix+6; n++ {
		name := strings.Repeat("k", n-len("-1"))
		s := parseFile(t, "name = \"cut\"\ntask = \"fake\"\n[parameters.\"estimator_params."+name+"\"]\nvalues = [1, 2]\n")
		part := strings.TrimSuffix(idStem(s.Runs[0].ID), "_s0")
		switch {
		case n <= maxIDPrefix && part != name+"-1":
			t.Errorf("a readable part of %d characters became %q", n, part)
		case n > maxIDPrefix && (len(part) > maxIDPrefix || !strings.HasPrefix(name, part)):
			t.Errorf("a readable part of %d characters became %q (%d)", n, part, len(part))
		}
	}
}
