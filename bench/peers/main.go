// Command peers runs the eight interpreter workloads of
// guest/testdata/bench in PiCloud's Rhai interpreter and in its peers —
// gopher-lua, goja, starlark-go and CPython (python3, when present) — in one
// run, interleaved so that noise on a loaded machine hits every engine alike,
// checks that every engine computes the same result, and prints a markdown
// table of median CPU times and ratios.
//
// It lives in its own module so that the main go.mod does not gain the peers.
//
//	cd bench/peers && go run . -runs 5
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dop251/goja"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/picloud/picloud/guest/rhai"
)

// The workloads, in table order; each is <name>.rhai in guest/testdata/bench
// and <name>.lua, .js, .star and .py in workloads/. The .py files keep the
// workload's variables local to a function, CPython's fast path (-cpython
// module runs runtime/testdata/bench's module-level twins instead).
var workloads = []struct{ name, label string }{
	{"fib", "fib(27)"},
	{"loop", "while loop 1M"},
	{"sieve", "sieve 1M"},
	{"strbuild", "string build 100k"},
	{"mapkeys", "map 160k keys"},
	{"matmul", "matmul 50×50 float"},
	{"closures", "closures 100k"},
	{"sort", "sort 100k, comparator"},
}

const (
	ours     = "ours"
	cpython  = "CPython"
	gopher   = "gopher-lua"
	gojaName = "goja"
	star     = "starlark"
)

var engines = []string{ours, cpython, gopher, gojaName, star}

// runner runs a workload once and returns its result (as a string, to
// compare across engines) and the CPU time of the workload alone.
type runner func() (string, time.Duration, error)

func main() {
	runs := flag.Int("runs", 5, "runs of each workload in each engine (the median is reported)")
	root := flag.String("root", "../..", "the picloud repository (for guest/testdata/bench)")
	pythonBin := flag.String("python", "python3", "CPython executable; empty or missing skips CPython")
	only := flag.String("only", "", "comma-separated workload names to run (default all)")
	pyMode := flag.String("cpython", "local", "CPython twins: local (workloads/*.py, variables local to a function) or module (runtime/testdata/bench/*.py, module level as the Rhai scripts run; slower in CPython)")
	flag.Parse()
	if err := run(*runs, *root, *pythonBin, *pyMode, *only); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

func run(runs int, root, pythonBin, pyMode, only string) error {
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if pyMode != "local" && pyMode != "module" {
		return fmt.Errorf("-cpython %q: want local or module", pyMode)
	}
	if only != "" {
		for _, n := range strings.Split(only, ",") {
			if !slices.ContainsFunc(workloads, func(w struct{ name, label string }) bool { return w.name == n }) {
				return fmt.Errorf("-only: no workload %q", n)
			}
		}
	}
	benchDir := filepath.Join(root, "guest", "testdata", "bench")
	if pythonBin != "" {
		if p, err := exec.LookPath(pythonBin); err == nil {
			pythonBin = p
		} else {
			fmt.Fprintf(os.Stderr, "peers: %s not found, CPython skipped\n", pythonBin)
			pythonBin = ""
		}
	}
	var pyVersion string
	if pythonBin != "" {
		out, _ := exec.Command(pythonBin, "--version").CombinedOutput()
		pyVersion = strings.TrimSpace(string(out))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("# interpreter workloads vs peers: %s, %s/%s, %d CPUs, GOMAXPROCS %d, load average %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	fmt.Printf("# %s; %s (%s twins); median CPU ms of %d runs (user+system, GC included; CPython: time.process_time around the workload, startup excluded)\n\n", runtime.Version(), orNone(pyVersion), pyMode, runs)

	medians := map[string]map[string]time.Duration{}
	for _, w := range workloads {
		if only != "" && !slices.Contains(strings.Split(only, ","), w.name) {
			continue
		}
		rs := map[string]runner{}
		var err error
		if rs[ours], err = rhaiRunner(filepath.Join(benchDir, w.name+".rhai")); err != nil {
			return err
		}
		if rs[gopher], err = luaRunner(filepath.Join("workloads", w.name+".lua")); err != nil {
			return err
		}
		if rs[gojaName], err = gojaRunner(filepath.Join("workloads", w.name+".js")); err != nil {
			return err
		}
		if rs[star], err = starRunner(filepath.Join("workloads", w.name+".star")); err != nil {
			return err
		}
		if pythonBin != "" {
			if pyMode == "local" {
				rs[cpython] = pyRunner(pythonBin, filepath.Join("workloads", w.name+".py"))
			} else {
				rs[cpython] = pyRunner(pythonBin, "-c", pyModuleDriver, filepath.Join(root, "runtime", "testdata", "bench", w.name+".py"))
			}
		}
		times := map[string][]time.Duration{}
		want, wantFrom := "", ""
		// Interleaved: run i of every engine, then run i+1 of every engine.
		for i := 0; i < runs; i++ {
			for _, e := range engines {
				r := rs[e]
				if r == nil {
					continue
				}
				runtime.GC() // start each run from a collected heap
				got, d, err := r()
				if err != nil {
					return fmt.Errorf("%s in %s: %w", w.name, e, err)
				}
				if wantFrom == "" {
					want, wantFrom = got, e
				} else if got != want {
					return fmt.Errorf("%s: %s computed %s, %s computed %s", w.name, e, got, wantFrom, want)
				}
				times[e] = append(times[e], d)
			}
		}
		medians[w.name] = map[string]time.Duration{}
		for e, ts := range times {
			medians[w.name][e] = median(ts)
		}
		fmt.Fprintf(os.Stderr, "peers: %-9s = %-12s %v\n", w.name, want, medians[w.name])
	}

	fmt.Println("| workload | ours | CPython | gopher-lua | goja | starlark | ours/CPython (target ≤ 0.5) | gopher-lua/ours (target ≥ 3) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, w := range workloads {
		m, ok := medians[w.name]
		if !ok {
			continue
		}
		ratioPy, ratioLua := "–", "–"
		if py, ok := m[cpython]; ok && py > 0 {
			r := float64(m[ours]) / float64(py)
			ratioPy = fmt.Sprintf("%.2f %s", r, mark(r <= 0.5))
		}
		if m[ours] > 0 {
			r := float64(m[gopher]) / float64(m[ours])
			ratioLua = fmt.Sprintf("%.2f %s", r, mark(r >= 3))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", w.label,
			ms(m, ours), ms(m, cpython), ms(m, gopher), ms(m, gojaName), ms(m, star), ratioPy, ratioLua)
	}
	fmt.Println("\n✅ target met, ❌ target missed.")
	return nil
}

func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

func orNone(s string) string {
	if s == "" {
		return "no CPython"
	}
	return s
}

func ms(m map[string]time.Duration, e string) string {
	d, ok := m[e]
	if !ok {
		return "–"
	}
	return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64)
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuTime is the process's user+system CPU time so far (GC workers
// included, which is what a loaded machine measures fairly).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed runs f and returns its CPU time.
func timed(f func() (string, error)) (string, time.Duration, error) {
	c0 := cpuTime()
	s, err := f()
	return s, cpuTime() - c0, err
}

func rhaiRunner(path string) (runner, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := rhai.Compile(filepath.Base(path), string(src), rhai.Options{})
	if err != nil {
		return nil, err
	}
	return func() (string, time.Duration, error) {
		return timed(func() (string, error) {
			res, err := p.Run(rhai.Env{})
			if err != nil {
				return "", err
			}
			return res.Value.String(), nil
		})
	}, nil
}

func luaRunner(path string) (runner, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	chunk, err := parse.Parse(bytes.NewReader(src), path)
	if err != nil {
		return nil, err
	}
	proto, err := lua.Compile(chunk, path)
	if err != nil {
		return nil, err
	}
	return func() (string, time.Duration, error) {
		// A fresh state per run, made outside the timed region (our
		// interpreter's Run builds its state inside it).
		L := lua.NewState()
		defer L.Close()
		return timed(func() (string, error) {
			L.Push(L.NewFunctionFromProto(proto))
			if err := L.PCall(0, 1, nil); err != nil {
				return "", err
			}
			return L.Get(-1).String(), nil
		})
	}, nil
}

func gojaRunner(path string) (runner, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := goja.Compile(path, string(src), true)
	if err != nil {
		return nil, err
	}
	return func() (string, time.Duration, error) {
		vm := goja.New() // fresh per run, outside the timed region
		return timed(func() (string, error) {
			v, err := vm.RunProgram(p)
			if err != nil {
				return "", err
			}
			return v.String(), nil
		})
	}, nil
}

func starRunner(path string) (runner, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	opts := &syntax.FileOptions{While: true, Recursion: true}
	_, p, err := starlark.SourceProgramOptions(opts, path, src, func(string) bool { return false })
	if err != nil {
		return nil, err
	}
	return func() (string, time.Duration, error) {
		return timed(func() (string, error) {
			th := &starlark.Thread{Name: path}
			g, err := p.Init(th, nil)
			if err != nil {
				return "", err
			}
			v, ok := g["result"]
			if !ok {
				return "", errors.New("no global result")
			}
			return v.String(), nil
		})
	}, nil
}

// pyModuleDriver runs a module-level twin of runtime/testdata/bench (which
// leaves its answer in the global result) the way workloads/*.py run
// themselves.
const pyModuleDriver = `import sys, time
code = compile(open(sys.argv[1]).read(), sys.argv[1], "exec")
g = {"__name__": "__bench__"}
t = time.process_time_ns()
exec(code, g)
t = time.process_time_ns() - t
print(g["result"])
print(t)
`

// pyRunner runs `python3 args...`, which prints the result and then the CPU
// nanoseconds of the workload alone (time.process_time_ns around it).
func pyRunner(bin string, args ...string) runner {
	return func() (string, time.Duration, error) {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", 0, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
		}
		lines := strings.Fields(string(out))
		if len(lines) != 2 {
			return "", 0, fmt.Errorf("unexpected output %q", out)
		}
		ns, err := strconv.ParseInt(lines[1], 10, 64)
		if err != nil {
			return "", 0, fmt.Errorf("unexpected output %q", out)
		}
		return lines[0], time.Duration(ns), nil
	}
}
