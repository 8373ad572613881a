package account_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// floatNames are the identifiers that bring binary floating point near money.
var floatNames = map[string]bool{
	"float32": true, "float64": true,
	"ParseFloat": true, "NewFromFloat": true, "NewFromFloat32": true,
	"NewFromFloatWithExponent": true, "InexactFloat64": true, "Float64": true,
}

// TestNoFloat fails when any Go file under account/ names a float type or a
// float conversion: money is decimal all the way down.
func TestNoFloat(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		if path == "nofloat_test.go" {
			return nil // this file names them to find them
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && floatNames[id.Name] {
				t.Errorf("%s: %s: floating point is not allowed in account/", fset.Position(id.Pos()), id.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Fatalf("scanned only %d files: the walk is broken", files)
	}
}
