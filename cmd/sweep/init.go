package main

// The shipped sweeps (package sweeps) on the command line: every command
// that takes a sweep file takes a shipped sweep's name too, `sweep list`
// and the help name them, and `sweep init` copies them out.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/infomax/infomax/experiments/engine/results"
	"github.com/infomax/infomax/experiments/engine/sweep"
	"github.com/infomax/infomax/internal/registry"
	"github.com/infomax/infomax/sweeps"
)

// initDir is the folder `sweep init` copies the shipped sweeps into when
// it is given none: the README's commands, such as `sweep run
// sweeps/batchsize.toml`, then work as written.
const initDir = "sweeps"

// initCommand runs `sweep init [DIR] [--force]`: it copies every shipped
// sweep file into DIR, creating it, and leaves a file that DIR already
// holds with other contents as it is unless --force.
func initCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("init", "[DIR]", stderr)
	force := fs.Bool("force", false, "overwrite the files of DIR that differ from the shipped sweeps")
	pos, code := positional(fs, args, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "sweep init takes at most one folder, got %d arguments; %s\n", len(pos), helpHint(fs))
		return exitUsage
	}
	dir := initDir
	if len(pos) == 1 {
		dir = pos[0]
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "sweep init: %v; give a folder that can be created\n", err)
		return exitUsage
	}
	var kept []string
	for _, name := range sweeps.Names() {
		path := filepath.Join(dir, name+sweeps.Ext)
		done, err := copyShipped(name, path, *force)
		if err != nil {
			fmt.Fprintf(stderr, "sweep init: %v\n", err)
			return exitFailed
		}
		if done == "" {
			kept = append(kept, path)
			done = "kept"
		}
		fmt.Fprintln(stdout, done, path)
	}
	if len(kept) > 0 {
		fmt.Fprintf(stderr, "sweep init: not overwritten, as they differ from the shipped sweeps: %s; rerun with --force to overwrite them, or give another folder\n", strings.Join(kept, ", "))
		return exitUsage
	}
	fmt.Fprintf(stdout, "Run one with `sweep run %s`; the shipped sweeps also run by name from any folder, as `sweep run %s`.\n",
		sweep.ShellQuote(filepath.Join(dir, sweeps.Names()[0]+sweeps.Ext)), sweeps.Names()[0])
	return exitOK
}

// copyShipped writes the shipped sweep name to path and says what it did:
// "wrote" a new file, "overwrote" a different one (only when force),
// "unchanged" for a file that already is the shipped one, or "" when it
// kept a different file.
func copyShipped(name, path string, force bool) (done string, err error) {
	src, _ := sweeps.Source(name)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, src):
		return "unchanged", nil
	case err == nil && !force:
		return "", nil
	case err == nil:
		return "overwrote", results.WriteFileAtomic(path, src)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%v; remove it or give another folder", err)
	}
	// Atomically, so that a full disk leaves no part of a file, which the
	// next init would keep as the user's; never over a file that appeared
	// since it was read.
	return "wrote", results.CreateFileAtomic(path, src)
}

// loadSweep loads the sweep that a command line names: the file at arg
// when there is one, else the shipped sweep called arg (a bare name such
// as batchsize, without .toml). A shipped sweep keeps its name as its
// file, so the commands that the engine prints to resume it, report on it
// or run it on a cluster name it the same way. A note goes to stderr when
// a local copy of the sweep differs from the shipped one that runs.
// shipped says that arg was read as a shipped sweep's name.
func loadSweep(arg string, stderr io.Writer) (s *sweep.Sweep, shipped bool, err error) {
	return loadSweepWith(arg, stderr, sweep.ParseWith)
}

// loadSweepWith is loadSweep with the function that parses the sweep file:
// sweep.ParseWith or sweep.ParseStored.
func loadSweepWith(arg string, stderr io.Writer, parse func(string, []byte, sweep.Resolver) (*sweep.Sweep, error)) (s *sweep.Sweep, shipped bool, err error) {
	st, statErr := os.Stat(arg)
	src, known := sweeps.Source(arg)
	if statErr == nil && st.IsDir() && !(known && isSweepName(arg)) {
		return nil, false, folderError(arg)
	}
	if statErr == nil && !st.IsDir() || !isSweepName(arg) {
		src, err := os.ReadFile(arg)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, missingSweepError(arg, err)
		} else if err != nil {
			return nil, false, err
		}
		s, err = parse(arg, src, localResolver())
		return s, false, err
	}
	if !known {
		return nil, false, fmt.Errorf("%s: no sweep file of that name here, and no shipped sweep has it (shipped: %s); give a sweep file's path or a shipped sweep's name%s",
			arg, strings.Join(sweeps.Names(), ", "), registry.DidYouMean(arg, sweeps.Names()))
	}
	for _, copied := range []string{arg + sweeps.Ext, filepath.Join(initDir, arg+sweeps.Ext)} {
		if b, err := os.ReadFile(copied); err == nil && !bytes.Equal(b, src) {
			fmt.Fprintf(stderr, "note: %s differs from the shipped sweep %s, which is what runs; to use yours, give its path: %s\n", copied, arg, copied)
		}
	}
	s, err = parse(arg, src, sweeps.Resolve)
	return s, true, err
}

// localResolver returns the Resolver of a sweep file on disk: the file an
// extends key names is a path from the extending file's folder or, where
// no such file exists, a shipped sweep's file name (NAME.toml) or name, as
// on the command line. What a shipped sweep extends is shipped too,
// wherever the command runs.
func localResolver() sweep.Resolver {
	shipped := map[string]bool{}
	return func(from, name string) (string, []byte, error) {
		if shipped[from] {
			return sweeps.Resolve(from, name)
		}
		file, src, err := sweep.ResolveFile(from, name)
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(name, `/\`) {
			if _, known := sweeps.Source(strings.TrimSuffix(name, sweeps.Ext)); known {
				file, src, err = sweeps.Resolve(from, name)
				shipped[file] = err == nil
			}
		}
		return file, src, err
	}
}

// isSweepName reports whether arg can only be a shipped sweep's name: a
// bare word, with no folder and no extension.
func isSweepName(arg string) bool {
	return arg != "" && !strings.ContainsAny(arg, `/\.`)
}

// missingSweepError is the error for a sweep file that does not exist; when
// its base name is that of a shipped sweep, it says how to run that one.
func missingSweepError(arg string, err error) error {
	name := strings.TrimSuffix(filepath.Base(arg), sweeps.Ext)
	if _, ok := sweeps.Source(name); ok {
		return fmt.Errorf("%s: no such file; the shipped sweep %s runs from anywhere as `sweep run %s`, and `sweep init` copies the shipped sweep files into %s/", arg, name, name, initDir)
	}
	return fmt.Errorf("%s: no such file; give a sweep file's path, or a shipped sweep's name (%s)", arg, strings.Join(sweeps.Names(), ", "))
}

// folderError is the error for a command line that names a folder where a
// sweep file goes: for a sweep's results folder, the file it was run from
// and the --out to give; otherwise the folder's sweep files, if it has any.
func folderError(arg string) error {
	if rec, ok, err := sweep.ReadRecord(arg); err == nil && ok {
		return fmt.Errorf("%s is the results folder of sweep %s, not a sweep file: give the file it was run from (%s, as its %s records it) with --out %s",
			arg, rec.Name, rec.File, sweep.RecordFile, filepath.Join(arg, "..")) // ".." for "."
	}
	files, _ := filepath.Glob(filepath.Join(arg, "*"+sweeps.Ext))
	if len(files) == 0 {
		return fmt.Errorf("%s is a folder, with no %s file in it; give a sweep file's path, or a shipped sweep's name (%s)", arg, sweeps.Ext, strings.Join(sweeps.Names(), ", "))
	}
	const most = 5
	shown := files[:min(len(files), most)]
	more := ""
	if len(files) > most {
		more = fmt.Sprintf(" and %d more", len(files)-most)
	}
	return fmt.Errorf("%s is a folder; give one of its sweep files' paths: %s%s", arg, strings.Join(shown, ", "), more)
}

// shippedSummary is the line `sweep list` shows for the shipped sweep
// name: its task and description.
func shippedSummary(name string) string {
	var task, description string
	// The shipped files are valid (their tests keep them so); were one
	// not, its line would only be shorter. A file that extends another
	// takes what it does not say from it.
	for range sweep.MaxExtends {
		src, _ := sweeps.Source(name)
		var head struct {
			Task        string `toml:"task"`
			Description string `toml:"description"`
			Extends     string `toml:"extends"`
		}
		_, _ = toml.Decode(string(src), &head)
		task, description = cmp.Or(task, head.Task), cmp.Or(description, head.Description)
		if head.Extends == "" || task != "" && description != "" {
			break
		}
		name = strings.TrimSuffix(head.Extends, sweeps.Ext)
	}
	return task + ": " + description
}

// listShipped prints the shipped sweeps for `sweep list`.
func listShipped(stdout io.Writer) {
	title := fmt.Sprintf("Shipped sweeps (`sweep run NAME` runs one from any folder; `sweep init` copies them into %s/):", initDir)
	listSummaries(stdout, title, sweeps.Names(), shippedSummary)
}

// shippedUsage is the help's line on the shipped sweeps.
func shippedUsage() string {
	return fmt.Sprintf("\nShipped sweeps, which FILE may name instead of a file: %s.\n", strings.Join(sweeps.Names(), ", "))
}
