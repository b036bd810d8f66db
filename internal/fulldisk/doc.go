// Package fulldisk lets a test stand for a full disk: under the kernel's
// file size limit (RLIMIT_FSIZE) every write past n bytes of a file fails,
// as on a full disk, with EFBIG (Go ignores the SIGXFSZ that comes with
// it). Only tests import it; it works on Unix systems.
package fulldisk
