// Package guestbin finds the guest's WebAssembly binary: the copy embedded at
// build time (go build -tags picloud_embed, after make guest), or else one built
// from the PiCloud source tree this binary was compiled from, with the Go
// toolchain, cached under a directory by a hash of the guest's sources. A fresh
// clone therefore needs no manual step: go test ./... and go run ./cmd/picloud
// build the guest on first use (a few seconds) and reuse it until its sources
// change.
package guestbin

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// ModulePath is the PiCloud module's path; its guest package is ModulePath +
// "/guest/wasm".
const ModulePath = "github.com/picloud/picloud"

// guestDirs are the source directories the guest is built from, relative to
// the module root: everything its main package can import.
var guestDirs = []string{"guest", "hostfuncs/abi"}

// keep is how many built guests Load leaves in the cache directory.
const keep = 4

// embedded is set by embed.go when built with -tags picloud_embed.
var embedded []byte

// Load returns the guest binary: the embedded copy if there is one, else the
// one built from sourceDir (the module root; "" means the tree this package was
// compiled from), building it into cacheDir when its sources changed.
func Load(ctx context.Context, cacheDir, sourceDir string) ([]byte, error) {
	if embedded != nil {
		return embedded, nil
	}
	if sourceDir == "" {
		sourceDir = compiledFrom()
	}
	if err := checkRoot(sourceDir); err != nil {
		return nil, fmt.Errorf("guestbin: no embedded guest and no PiCloud source tree to build it from (%w); build picloud with `make build`", err)
	}
	sum, err := SourceHash(sourceDir)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cacheDir, "guest")
	path := filepath.Join(dir, "guest-"+sum[:20]+".wasm")
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, err := os.ReadFile(path); err == nil { // built while we waited
		return b, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("guestbin: %w", err)
	}
	if err := Build(ctx, sourceDir, path); err != nil {
		return nil, err
	}
	prune(dir, path)
	return os.ReadFile(path)
}

var buildMu sync.Mutex

// Build compiles the guest of the module at sourceDir to out with the Go
// toolchain. The output is reproducible: the same sources and toolchain give
// the same bytes.
func Build(ctx context.Context, sourceDir, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(goruntime.GOROOT(), "bin", "go")
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".guest-*.wasm")
	if err != nil {
		return fmt.Errorf("guestbin: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false", "-buildmode=c-shared", "-o", tmp.Name(), "./guest/wasm")
	cmd.Dir = sourceDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("guestbin: building the guest: %w\n%s", err, stderr.Bytes())
	}
	return os.Rename(tmp.Name(), out)
}

// hashedExt are the kinds of files SourceHash reads: Go sources, and the Rhai
// files a guest package may embed. A guest package that embeds another kind
// of file must add its extension here.
var hashedExt = []string{".go", ".rhai"}

// SourceHash hashes everything the guest is built from: the non-test files of
// hashedExt under guestDirs (testdata excluded), go.mod and the Go version.
func SourceHash(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", goruntime.Version())
	var files []string
	for _, d := range guestDirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := e.Name()
			if e.IsDir() {
				if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, ".") || !slices.Contains(hashedExt, filepath.Ext(name)) {
				return nil
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("guestbin: %w", err)
		}
	}
	sort.Strings(files)
	files = append(files, filepath.Join(root, "go.mod"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("guestbin: %w", err)
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// compiledFrom returns the module root this file was compiled in, or "".
func compiledFrom() string {
	_, file, _, ok := goruntime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "" // built with -trimpath
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(file))))
}

func checkRoot(dir string) error {
	if dir == "" {
		return errors.New("binary built with -trimpath")
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte("module "+ModulePath+"\n")) {
		return fmt.Errorf("%s is not the %s module", dir, ModulePath)
	}
	if _, err := os.Stat(filepath.Join(dir, "guest", "wasm")); err != nil {
		return err
	}
	return nil
}

// prune removes all but the newest built guests from dir, never current.
func prune(dir, current string) {
	old, _ := filepath.Glob(filepath.Join(dir, "guest-*.wasm"))
	type file struct {
		path string
		mod  int64
	}
	var fs []file
	for _, p := range old {
		if st, err := os.Stat(p); err == nil && p != current {
			fs = append(fs, file{p, st.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(fs, func(a, b file) int { return cmp.Compare(b.mod, a.mod) })
	for i, f := range fs {
		if i >= keep-1 {
			os.Remove(f.path)
		}
	}
}
