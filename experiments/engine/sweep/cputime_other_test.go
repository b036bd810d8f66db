//go:build !unix

package sweep

import "time"

// cpuTime is the CPU time this process has spent; without getrusage, 0.
func cpuTime() time.Duration { return 0 }
