package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// Every error the server builds names its code through the registry's
// constants (internal/errcode), never a string literal, so each code it
// answers with has one HTTP status and one documented meaning.
func TestErrorCodesComeFromTheRegistry(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok || (id.Name != "apiErr" && id.Name != "fieldErr" && id.Name != "badSpec") {
				return true
			}
			if _, lit := call.Args[0].(*ast.BasicLit); lit {
				t.Errorf("%s: %s with a literal code; add it to internal/errcode and use the constant", fset.Position(call.Pos()), id.Name)
			}
			return true
		})
	}
}
