package pgcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinDirPicksVersion(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no initdb on PATH
	root := t.TempDir()
	for _, v := range []string{"9.6", "14", "16"} {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	glob := filepath.Join(root, "*", "bin")
	tests := []struct{ want, got string }{
		{"", "16"},   // newest
		{"14", "14"}, // the existing cluster's version
		{"13", "16"}, // not installed: newest, and Start reports the mismatch
	}
	for _, tt := range tests {
		dir, err := findBinDir("", tt.want, glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := filepath.Base(filepath.Dir(dir)); got != tt.got {
			t.Errorf("want %q: got version %s, want %s", tt.want, got, tt.got)
		}
	}
}

func TestFindBinDirNone(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findBinDir("", "", filepath.Join(t.TempDir(), "*", "bin"))
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("got %v, want ErrNoServer", err)
	}
	if !strings.Contains(err.Error(), `install the Debian package "postgresql"`) {
		t.Errorf("error %q does not say what to install", err)
	}
}
