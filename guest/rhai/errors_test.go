package rhai_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picloud/picloud/guest/rhai"
)

var update = flag.Bool("update", false, "rewrite the golden files of ../testdata/errors")

// TestErrorMessages runs every ../testdata/errors/*.rhai script, which must
// fail, and compares the error's text (kind, then message with position and
// call stack) with the .golden file next to it.
func TestErrorMessages(t *testing.T) {
	files, err := filepath.Glob("../testdata/errors/*.rhai")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error scripts: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".rhai")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := rhai.Compile(name+".rhai", string(src), rhai.Options{})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			_, err = p.Run(rhai.Env{Limits: rhai.Limits{Fuel: 1_000_000}})
			if err == nil {
				t.Fatal("got success, want an error")
			}
			got := kindOf(err) + "\n" + err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".rhai") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
