package main

import (
	"testing"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
)

// TestStatusSummaryEstimatesTimeLeftAtTheRunsRunningNow checks the closing
// line's estimate: the mean time of the done runs times the runs left,
// divided by the runs running now, as under --parallel.
func TestStatusSummaryEstimatesTimeLeftAtTheRunsRunningNow(t *testing.T) {
	state := func(status results.Status, secs float64) sweep.State {
		return sweep.State{Status: status, Summary: &results.Summary{Status: status, Seconds: secs}}
	}
	done := []sweep.State{state(results.StatusDone, 20), state(results.StatusDone, 40)}
	for _, tc := range []struct {
		others []sweep.State
		want   string
	}{
		{[]sweep.State{{Status: results.StatusPending}, {Status: results.StatusPending}},
			"4 runs: 2 done, 2 pending; 1m0s spent, about 1m0s left at 30s a run"},
		{[]sweep.State{state(results.StatusFailed, 5), {Status: results.StatusPending}},
			"4 runs: 2 done, 1 failed, 1 pending; 1m5s spent, about 1m0s left at 30s a run"},
		// Two running at once: the two runs left take one run's time.
		{[]sweep.State{state(results.StatusRunning, 0), state(results.StatusRunning, 0)},
			"4 runs: 2 done, 2 running; 1m0s spent, about 30s left at 30s a run, 2 at a time"},
	} {
		if got := statusSummary(append(done, tc.others...)); got != tc.want {
			t.Errorf("statusSummary = %q\nwant %q", got, tc.want)
		}
	}
}
