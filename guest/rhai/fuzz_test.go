package rhai_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picloud/picloud/guest/rhai"
)

// FuzzEval compiles and runs arbitrary input under small limits: it must
// never panic and never run long without spending fuel. Crashers are kept
// under testdata/fuzz/FuzzEval.
func FuzzEval(f *testing.F) {
	for _, pattern := range []string{"../testdata/*.rhai", "../testdata/errors/*.rhai", "../testdata/bench/*.rhai"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if src, err := os.ReadFile(file); err == nil {
				f.Add(string(src))
			}
		}
	}
	f.Add(`let x = [1, 2]; x[-1] += 1; x`)
	f.Add(`fn f(a) { this.v += a; } let m = #{v: 1}; m.f(2); m?.v ?? 0`)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := rhai.Compile("fuzz", src, rhai.Options{})
		if err != nil {
			return
		}
		start := time.Now()
		deadline := start.Add(time.Second)
		watchdog := time.AfterFunc(5*time.Second, func() {
			panic(fmt.Sprintf("FuzzEval: run hung on %q", src))
		})
		defer watchdog.Stop()
		_, _ = p.Run(rhai.Env{
			Limits: rhai.Limits{
				Fuel:         20_000,
				MaxCallDepth: 32,
				MaxMemory:    4 << 20,
				MaxStringLen: 1 << 16,
				MaxArrayLen:  1 << 14,
				MaxMapLen:    1 << 14,
			},
			Cancelled: func() bool { return time.Now().After(deadline) },
		})
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("run took %v", d)
		}
	})
}
