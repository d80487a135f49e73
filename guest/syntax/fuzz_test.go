package syntax

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// addSeeds adds the table-test sources and the testdata scripts to a fuzz
// corpus.
func addSeeds(f *testing.F) {
	for _, c := range operatorCases() {
		f.Add(c.src)
	}
	for _, pattern := range []string{"testdata/errors/*.rhai", "../testdata/*.rhai"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"let s = `a${ `b${c}` }d`; s",
		"switch x { 1 | 2 if y => { z }, 3..5 => w, _ => () }",
		"fn int.f(a,) { this += a; } let g = |x| || x + y;",
		"#!shebang\n/** doc */ private fn f() { try { throw } catch (e) { return e } }",
		"\"a\\\n  b\" + #\"r\"# + 'c' + '\\u00e9' + 0x_ff + 1.5e-3",
		"do { x?[1]?.y += 2 } until !(a in b) && c !in d ?? e",
		"import \"m\" as m; export const X = m::f!(1);",
	} {
		f.Add(s)
	}
}

// lineWidths returns the number of characters of each source line.
func lineWidths(src string) []int {
	lines := strings.Split(src, "\n")
	w := make([]int, len(lines))
	for i, l := range lines {
		w[i] = utf8.RuneCountInString(l)
	}
	return w
}

// inSource reports whether pos is a character of src or just past the end
// of one of its lines.
func inSource(widths []int, pos Pos) bool {
	return pos.Line >= 1 && int(pos.Line) <= len(widths) && pos.Col >= 1 && int(pos.Col) <= widths[pos.Line-1]+1
}

func FuzzLex(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		widths := lineWidths(src)
		l := newLexer(src)
		var prev Pos
		// Every token consumes at least one byte, so the lexer must reach
		// the end within len(src)+1 tokens.
		for i := 0; ; i++ {
			if i > len(src)+1 {
				t.Fatalf("lexer does not terminate")
			}
			tok := l.next()
			if !inSource(widths, tok.Pos) {
				t.Fatalf("token %v at %v outside the source", tok.Kind, tok.Pos)
			}
			if tok.Pos.Line < prev.Line || tok.Pos.Line == prev.Line && tok.Pos.Col < prev.Col {
				t.Fatalf("token %v at %v before the previous one at %v", tok.Kind, tok.Pos, prev)
			}
			prev = tok.Pos
			if tok.Kind == ERROR {
				if l.err == nil || l.err.Kind == "" || l.err.Msg == "" {
					t.Fatalf("ERROR token without an error: %+v", l.err)
				}
				if l.next().Kind != ERROR {
					t.Fatalf("lexer did not stop after an error")
				}
				return
			}
			if tok.Kind == EOF {
				return
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		widths := lineWidths(src)
		script, err := Parse("fuzz", src, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *syntax.Error", err)
			}
			if strings.Contains(e.Msg, "internal parser error") {
				t.Fatalf("parser panicked: %v", e.Msg)
			}
			if e.Kind == "" || e.Msg == "" {
				t.Fatalf("incomplete error %+v", e)
			}
			if !inSource(widths, e.Pos) {
				t.Fatalf("error at %v outside the source: %v", e.Pos, e)
			}
			_ = e.Error()
			return
		}
		Inspect(script, func(n Node) bool {
			if n != nil && !inSource(widths, n.Position()) {
				t.Fatalf("%T at %v outside the source", n, n.Position())
			}
			return true
		})
		_ = Sexpr(script)
	})
}
