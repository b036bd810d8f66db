// Package sweeps holds the sweep files that ship with infomax, the
// experiments of the README and their tuning sweeps (Names lists them),
// embedded so that any build of the sweep command carries them: `sweep run
// batchsize` runs one by name from any folder, and `sweep init` copies them
// out to be read and edited.
//
// The files are data: this package only lists and returns them. Reading
// them as sweeps is the engine's work (experiments/engine/sweep).
package sweeps

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Ext is the extension of every sweep file; a shipped sweep's name is its
// file name without it.
const Ext = ".toml"

// files holds this folder's sweep files.
//
//go:embed *.toml
var files embed.FS

// FS returns the shipped sweep files, each at the root as NAME.toml.
func FS() fs.FS { return files }

// Names returns the names of the shipped sweeps, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".") // an embed.FS always reads its root
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), Ext))
	}
	slices.Sort(names)
	return names
}

// Source returns the text of the shipped sweep name (without Ext), and false
// when no shipped sweep has that name.
func Source(name string) ([]byte, bool) {
	if !slices.Contains(Names(), name) {
		return nil, false
	}
	b, err := files.ReadFile(name + Ext)
	return b, err == nil
}

// Resolve finds the shipped sweep that another's extends key names, as the
// sweep engine's Resolver: name is NAME.toml, as the shipped files write
// it so that it also reads once `sweep init` has copied them out, or NAME.
// The file it returns is NAME, as a shipped sweep is named on a command
// line.
func Resolve(from, name string) (string, []byte, error) {
	bare := strings.TrimSuffix(name, Ext)
	src, ok := Source(bare)
	if !ok {
		return "", nil, fmt.Errorf("no shipped sweep has that name (shipped: %s)", strings.Join(Names(), ", "))
	}
	return bare, src, nil
}
