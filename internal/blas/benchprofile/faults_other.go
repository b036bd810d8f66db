//go:build !unix

package benchprofile

// minorFaults reports that this system's faults are not counted.
func minorFaults() (int64, bool) { return 0, false }
