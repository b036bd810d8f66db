package infomax

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/infomax/infomax"

// layers gives each package of the module its layer, as the package
// documentation lists them: a package may import only packages of a lower
// layer. Within layer 1, internal/graph installs internal/blas into
// gorgonia, so the other internal packages sit below it, at 0, and
// internal/parallel and internal/vec, which blas imports, below them at
// -1; internal/blas/benchprofile, which imports blas and which only
// tests import, sits at 1 with graph. A new
// package must be added here, in the layer doc.go names.
var layers = map[string]int{
	"cmd/sweep":                     7,
	"cmd/speedratio":                7,
	"experiments/engine/sweep":      6,
	"experiments/tasks/bmi":         6,
	"experiments/tasks/consistency": 6,
	"experiments/tasks/dim":         6,
	"experiments/tasks/gaussian":    6,
	"experiments/tasks/taskstest":   6,
	"experiments/engine/checkpoint": 5,
	"experiments/train/pair":        5,
	"experiments/tasks":             4,
	"reports":                       3,
	"experiments/train/probe":       3,
	"experiments/train/evals":       3,
	"experiments/data":              3,
	"experiments/engine/results":    2,
	"experiments/train/optim":       2,
	"architectures":                 2,
	"estimators":                    2,
	"internal/registry":             0,
	"internal/blas":                 0,
	"internal/graph":                1,
	"internal/blas/benchprofile":    1,
	"internal/seed":                 0,
	"internal/stats":                0,
	"internal/english":              0,
	"internal/safetensors":          0,
	"internal/hugepage":             0,
	"internal/fulldisk":             0,
	"internal/vec":                  -1,
	"internal/parallel":             -1,
	"sweeps":                        0,
	"":                              0, // this package: documentation and these tests
}

// TestImportsPointDown reads the import graph from `go list -deps` and
// fails on any import of a package in the same or a higher layer, and on a
// package that has no layer yet.
func TestImportsPointDown(t *testing.T) {
	imports := moduleImports(t)
	if !slices.Contains(imports["cmd/sweep"], "experiments/engine/sweep") {
		t.Fatalf("go list: cmd/sweep does not import experiments/engine/sweep in %v; is it run from the module?", imports)
	}
	for pkg, deps := range imports {
		from, ok := layers[pkg]
		if !ok {
			t.Errorf("package %q has no layer: add it to layers in architecture_test.go and to the list in doc.go", pkg)
			continue
		}
		for _, dep := range deps {
			to, ok := layers[dep]
			if ok && to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point to a lower layer", pkg, from, dep, to)
			}
		}
	}
}

// moduleImports returns, for every package of the module (its path relative
// to the module, "" for the root), the module packages it imports, tests
// excluded.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	rel := func(p string) (string, bool) {
		if p == module {
			return "", true
		}
		r, ok := strings.CutPrefix(p, module+"/")
		return r, ok
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		pkg, ok := rel(fields[0])
		if !ok {
			continue // a dependency from outside the module
		}
		imports[pkg] = []string{}
		for _, imp := range fields[1:] {
			if dep, ok := rel(imp); ok {
				imports[pkg] = append(imports[pkg], dep)
			}
		}
	}
	return imports
}

// maxFuncLines is the longest a function may be, from its func line to its
// closing brace, unless its doc comment says why it is longer with the
// words "is long because".
const maxFuncLines = 80

// TestFunctionsAreShort fails on a function outside tests that is longer
// than maxFuncLines and whose doc comment does not say why.
func TestFunctionsAreShort(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if msg := longFunc(fset, decl); msg != "" {
				t.Error(msg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// longFunc describes decl if it is a function over maxFuncLines whose doc
// comment does not say why, and returns "" otherwise.
func longFunc(fset *token.FileSet, decl ast.Decl) string {
	fd, ok := decl.(*ast.FuncDecl)
	if !ok || fd.Body == nil {
		return ""
	}
	start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
	n := end.Line - start.Line + 1
	if n <= maxFuncLines || strings.Contains(fd.Doc.Text(), "is long because") {
		return ""
	}
	return fmt.Sprintf("%s:%d: %s is %d lines, over %d: split it into named steps, or say in its doc comment why it is long (\"... is long because ...\")",
		start.Filename, start.Line, fd.Name.Name, n, maxFuncLines)
}
