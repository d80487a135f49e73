package hostfuncs

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// TestGuestImportsAreRegistered checks that every function the guest imports
// from abi.ModuleName is defined by a family here, with the same number of
// parameters, and that every family function is imported by the guest.
func TestGuestImportsAreRegistered(t *testing.T) {
	files, err := filepath.Glob("../guest/wasm/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no guest sources: %v", err)
	}
	directive := regexp.MustCompile(`//go:wasmimport (\S+) (\S+)\nfunc \w+\(([^)]*)\)`)
	imported := map[string]int{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range directive.FindAllSubmatch(src, -1) {
			if string(m[1]) != abi.ModuleName {
				continue
			}
			imported[string(m[2])] = len(regexp.MustCompile(`\w+ (unsafe\.Pointer|u?int(32|64))`).FindAll(m[3], -1))
		}
	}
	defined := map[string]int{}
	for _, fam := range allFamilies() {
		for _, f := range fam.Functions {
			defined[f.Name] = len(f.Params)
		}
	}
	for name, n := range imported {
		want, ok := defined[name]
		if !ok {
			t.Errorf("the guest imports %s.%s, which no family defines", abi.ModuleName, name)
		} else if n != want {
			t.Errorf("%s: the guest passes %d parameters, the host takes %d", name, n, want)
		}
	}
	for name := range defined {
		if _, ok := imported[name]; !ok {
			t.Errorf("%s is defined but the guest does not import it", name)
		}
	}
}
