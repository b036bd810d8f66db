//go:build !race

package estimators

// raceEnabled is false without the race detector (see race_test.go).
const raceEnabled = false
