package errcode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docsTable reads docs/api.md's error table: rows "| `code` | status | meaning |"
// under "## Errors".
func docsTable(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n## Errors")
	if i < 0 {
		t.Fatal("docs/api.md has no ## Errors section")
	}
	sec := doc[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	row := regexp.MustCompile("^\\| `([a-z_0-9]+)` \\| ([0-9]{3}) \\| (.+) \\|$")
	out := map[string]int{}
	for _, line := range strings.Split(sec, "\n") {
		m := row.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("docs/api.md lists %s twice", m[1])
		}
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(out) == 0 {
		t.Fatal("no rows found in docs/api.md's error table")
	}
	return out
}

func TestDocsTableMatchesRegistry(t *testing.T) {
	docs := docsTable(t)
	for _, e := range Registry {
		st, ok := docs[e.Code]
		switch {
		case !ok:
			t.Errorf("code %s (%d) is in the registry but not in docs/api.md's error table", e.Code, e.Status)
		case st != e.Status:
			t.Errorf("code %s: docs/api.md says %d, the registry %d", e.Code, st, e.Status)
		}
	}
	for code, st := range docs {
		if _, ok := Lookup(code); !ok {
			t.Errorf("docs/api.md lists %s (%d), which is not in the registry", code, st)
		}
	}
}

// Every constant of this package is registered once, with a status and a
// meaning, and every registered code is a constant.
func TestConstantsRegistered(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errcode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			for _, v := range sp.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					consts[s] = true
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, e := range Registry {
		if seen[e.Code] {
			t.Errorf("%s registered twice", e.Code)
		}
		seen[e.Code] = true
		if !consts[e.Code] {
			t.Errorf("%s is registered but has no constant", e.Code)
		}
		if e.Status < 400 || e.Status > 599 || e.Meaning == "" {
			t.Errorf("%s: status %d, meaning %q", e.Code, e.Status, e.Meaning)
		}
	}
	for c := range consts {
		if !seen[c] {
			t.Errorf("constant %q is not in the registry", c)
		}
	}
	if Status("no_such_code") != 500 {
		t.Error("an unregistered code must answer 500")
	}
}
