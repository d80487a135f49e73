package syntax

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestErrorsGolden parses each testdata/errors/<Kind>_<case>.rhai, checks
// that it fails with a *Error of that Kind, and compares the error's kind
// and message, source line and caret with <Kind>_<case>.golden (rewritten
// by `go test -update`).
func TestErrorsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.rhai")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/errors/*.rhai files")
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".rhai"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(name, string(src), Options{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got error %v, want a *syntax.Error", err)
			}
			if wantKind, _, _ := strings.Cut(name, "_"); e.Kind != wantKind {
				t.Errorf("got kind %s, want %s (%v)", e.Kind, wantKind, err)
			}
			checkErrorPos(t, string(src), e)
			got := e.Kind + "\n" + e.Error() + "\n"
			golden := strings.TrimSuffix(file, ".rhai") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// checkErrorPos checks that an error points inside the source: at a
// character, or just past the end of a line.
func checkErrorPos(t *testing.T, src string, e *Error) {
	t.Helper()
	lines := strings.Split(src, "\n")
	if e.Pos.Line < 1 || int(e.Pos.Line) > len(lines) {
		t.Fatalf("error line %d outside 1..%d: %v", e.Pos.Line, len(lines), e)
	}
	n := len([]rune(lines[e.Pos.Line-1]))
	if e.Pos.Col < 1 || int(e.Pos.Col) > n+1 {
		t.Fatalf("error column %d outside 1..%d on line %d: %v", e.Pos.Col, n+1, e.Pos.Line, e)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Name: "s.rhai", Kind: errMissingToken, Msg: "Expecting ';'", Pos: Pos{2, 4}, Src: "\tab c"}
	want := "s.rhai:2:4: Expecting ';'\n\tab c\n\t  ^"
	if got := e.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = &Error{Name: "s.rhai", Kind: errUnexpectedEOF, Msg: "Script is incomplete", Pos: Pos{1, 3}, Src: "ab"}
	want = "s.rhai:1:3: Script is incomplete\nab\n  ^"
	if got := e.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseErrorIsSyntaxError(t *testing.T) {
	_, err := Parse("x.rhai", "let = 1;", Options{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *syntax.Error", err)
	}
	if e.Name != "x.rhai" || e.Kind != errVariableExpected || e.Pos != (Pos{1, 5}) || e.Src != "let = 1;" {
		t.Errorf("got %+v", *e)
	}
}
