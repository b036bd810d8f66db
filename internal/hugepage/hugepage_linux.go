//go:build linux

package hugepage

import "golang.org/x/sys/unix"

// advise asks the kernel to back b, which starts on a Size boundary, with
// huge pages. It ignores the answer: a kernel without transparent huge
// pages, or with them set to "never", refuses or ignores the advice, and
// the buffer works the same either way.
func advise(b []byte) {
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
}
