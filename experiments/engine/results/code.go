package results

import (
	"runtime/debug"
	"sync"
)

// CodeRevision returns the git revision the binary was built from, with
// "+modified" when the work tree had changes, and the Go version, as Go's
// build information records them ("3f2a9c1d2e4b+modified go1.26.8"); the
// Go version alone where the build recorded no revision (go build
// -buildvcs=false, or a tree outside git). Summary.Code and a kept model's
// metadata hold it.
var CodeRevision = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return info.GoVersion
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		rev += "+modified"
	}
	return rev + " " + info.GoVersion
})
