//go:build race

package estimators

// raceEnabled is true under the race detector, whose sync.Pool drops
// items at random: tests of bytes allocated do not hold there.
const raceEnabled = true
