package guestbin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSourceHashCoversWhatTheGuestIsBuiltFrom(t *testing.T) {
	root := t.TempDir()
	write(t, root, "go.mod", "module "+ModulePath+"\n")
	write(t, root, "guest/eval/eval.go", "package eval")
	write(t, root, "guest/eval/eval_test.go", "package eval")
	write(t, root, "guest/testdata/x.rhai", "1")
	write(t, root, "hostfuncs/abi/abi.go", "package abi")
	write(t, root, "runtime/runtime.go", "package runtime")
	base, err := SourceHash(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rel         string
		wantChanged bool
	}{
		{"guest/eval/eval_test.go", false},
		{"guest/testdata/x.rhai", false},
		{"runtime/runtime.go", false},
		{"guest/eval/eval.go", true},
		{"hostfuncs/abi/abi.go", true},
		{"guest/stdlib/prelude.rhai", true}, // a new file the guest may embed
		{"guest/eval/eval.test", false},     // a stray test binary
		{"go.mod", true},
	}
	for _, tt := range tests {
		write(t, root, tt.rel, "// changed")
		got, err := SourceHash(root)
		if err != nil {
			t.Fatal(err)
		}
		if changed := got != base; changed != tt.wantChanged {
			t.Errorf("changing %s: hash changed = %v, want %v", tt.rel, changed, tt.wantChanged)
		}
		base = got
	}
}

func TestCompiledFromIsThisTree(t *testing.T) {
	if err := checkRoot(compiledFrom()); err != nil {
		t.Fatalf("compiledFrom() = %q: %v", compiledFrom(), err)
	}
	if err := checkRoot(t.TempDir()); err == nil {
		t.Error("checkRoot of an empty directory: got nil error")
	}
}

func TestLoadBuildsOnceThenReadsTheCache(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the guest")
	}
	if embedded != nil {
		t.Skip("built with the guest embedded")
	}
	cache := t.TempDir()
	write(t, cache, "guest/guest-old1.wasm", "stale")
	first, err := Load(context.Background(), cache, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(first, []byte("\x00asm")) {
		t.Fatalf("Load returned %d bytes that are not WebAssembly", len(first))
	}
	built, _ := filepath.Glob(filepath.Join(cache, "guest", "guest-*.wasm"))
	if len(built) != 2 {
		t.Fatalf("cache holds %v, want the stale file and the new guest", built)
	}
	// A second Load must not rebuild: make the toolchain unusable to prove it.
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", t.TempDir())
	second, err := Load(context.Background(), cache, "")
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("second Load: %d bytes, %v; want the cached guest", len(second), err)
	}
}

func TestLoadWithoutSourceTree(t *testing.T) {
	if embedded != nil {
		t.Skip("built with the guest embedded")
	}
	_, err := Load(context.Background(), t.TempDir(), t.TempDir())
	if err == nil {
		t.Fatal("Load with no source tree: got nil error")
	}
}
