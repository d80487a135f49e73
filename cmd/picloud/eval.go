package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
	"github.com/picloud/picloud/guest/syntax"
	"github.com/picloud/picloud/runtime"
)

// evalFlags are picloud eval's options.
type evalFlags struct {
	json         bool
	fuel         int64
	maxCallDepth int
	maxMemory    int64
	timeout      time.Duration
	native       bool
}

func newEvalCmd(c *cli) *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval [FILE|-]",
		Short: "Run a Rhai script and print its result",
		Long: `Run a Rhai script (from FILE, or standard input with - or no argument), print
what it prints, then its result. With --json the last line of the output is
one JSON object:

  {"ok":true,"type":"i64","value":42,"fuel":17}
  {"ok":false,"phase":"runtime","kind":"ErrorArithmetic","error":"…","fuel":9}

The script runs in the same WebAssembly sandbox as deployed scripts (with an
empty ctx.event); --native runs it in this process instead.

Exit status: 0 on success, 1 when the script fails, 2 on bad usage.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("eval takes one FILE (or -), got %d arguments (see %s --help)", len(args), cmd.CommandPath()))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "-"
			if len(args) == 1 {
				path = args[0]
			}
			return c.runEval(cmd.Context(), cmd.InOrStdin(), path, f)
		},
	}
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath()))
	})
	fs := cmd.Flags()
	fs.BoolVar(&f.json, "json", false, "end the output with one JSON line describing the result or the error")
	fs.Int64Var(&f.fuel, "fuel", 0, "step budget; 0: unlimited")
	fs.IntVar(&f.maxCallDepth, "max-call-depth", 0, "maximum nesting of function calls; 0: 64")
	fs.Int64Var(&f.maxMemory, "max-memory", 0, "bytes the script may allocate; 0: unlimited")
	fs.DurationVar(&f.timeout, "timeout", 0, "wall-time limit (Go duration, e.g. 2s); 0: none")
	fs.BoolVar(&f.native, "native", false, "run the interpreter in this process instead of the WebAssembly sandbox")
	return cmd
}

// usageError marks bad command-line usage: exit status 2.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// exitError ends picloud with a status other than 1; quiet ones print
// nothing more (their output is already on stdout).
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string {
	if e.quiet {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

func (c *cli) runEval(ctx context.Context, stdin io.Reader, path string, f evalFlags) error {
	if f.fuel < 0 || f.maxCallDepth < 0 || f.maxMemory < 0 || f.timeout < 0 {
		return usageError(errors.New("--fuel, --max-call-depth, --max-memory and --timeout must not be negative"))
	}
	name, src, err := readScript(stdin, path)
	if err != nil {
		return usageError(err)
	}
	limits := rhai.Limits{Fuel: f.fuel, MaxCallDepth: f.maxCallDepth, MaxMemory: f.maxMemory}
	printLine := func(s string) { fmt.Fprintln(c.stdout, s) }
	debugLine := func(s string) { fmt.Fprintln(c.stderr, s) }
	var out evalOutcome
	if f.native {
		out = evalNative(ctx, name, src, limits, f.timeout, printLine, debugLine)
	} else {
		out = c.evalSandbox(ctx, name, src, limits, f.timeout, printLine, debugLine)
		if out.hostErr != nil {
			return out.hostErr
		}
	}
	if f.json {
		line, err := out.json()
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(c.stdout, "%s\n", line); err != nil {
			return err
		}
		if out.err != nil {
			return &exitError{code: 1, err: out.err, quiet: true}
		}
		return nil
	}
	if out.err != nil {
		return out.err
	}
	if out.typ != "()" {
		_, err := fmt.Fprintln(c.stdout, out.display)
		return err
	}
	return nil
}

func readScript(stdin io.Reader, path string) (name, src string, err error) {
	var b []byte
	if path == "-" {
		name = "<stdin>"
		b, err = io.ReadAll(stdin)
	} else {
		name = path
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", "", fmt.Errorf("read script: %w", err)
	}
	return name, string(b), nil
}

// evalOutcome is the result of one eval run: the value's type_of name, how
// print shows it and its JSON.
type evalOutcome struct {
	typ, display string
	value        []byte
	fuel         int64
	phase        string // "parse" or "runtime" when err is set
	err          error
	hostErr      error // the sandbox could not start
}

// valueOutcome describes a successful run's value.
func valueOutcome(v eval.Value, fuel int64) evalOutcome {
	out := evalOutcome{typ: v.TypeName(), display: v.String(), fuel: fuel}
	if b, err := rhai.ToJSON(v); err != nil {
		out.hostErr = fmt.Errorf("encode result: %w", err)
	} else {
		out.value = b
	}
	return out
}

// evalNative compiles and runs a script in this process. timeout (0 =
// none) and ctx end the run cooperatively with ErrorTerminated. The sandbox
// path (the script in a wasm instance) returns the same evalOutcome.
func evalNative(ctx context.Context, name, src string, limits rhai.Limits, timeout time.Duration, print, debug func(string)) evalOutcome {
	p, err := rhai.Compile(name, src, rhai.Options{})
	if err != nil {
		return evalOutcome{phase: "parse", err: err}
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	res, err := p.Run(rhai.Env{
		Limits: limits,
		Print:  print,
		Debug:  debug,
		Cancelled: func() bool {
			return ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline))
		},
	})
	if err != nil {
		return evalOutcome{fuel: res.Fuel, phase: "runtime", err: err}
	}
	return valueOutcome(res.Value, res.Fuel)
}

// evalSandbox runs a script in the WebAssembly sandbox, as a deployed script
// runs, with the same limits as evalNative: the flags' zeros (unlimited) become
// limits no script of a local run reaches.
func (c *cli) evalSandbox(ctx context.Context, name, src string, limits rhai.Limits, timeout time.Duration, print, debug func(string)) evalOutcome {
	h, err := runtime.New(ctx, runtime.Config{Logger: c.logger})
	if err != nil {
		return evalOutcome{hostErr: err}
	}
	defer h.Close(context.WithoutCancel(ctx))
	lim := runtime.Limits{
		Fuel:         limits.Fuel,
		Memory:       1 << 30,
		MaxMemory:    limits.MaxMemory,
		Timeout:      timeout,
		MaxCallDepth: limits.MaxCallDepth,
		Concurrency:  1,
	}
	if lim.Fuel == 0 {
		lim.Fuel = 1 << 62
	}
	if lim.MaxMemory > 0 {
		lim.Memory = max(64<<20, 4*lim.MaxMemory)
	}
	if lim.Timeout == 0 {
		lim.Timeout = 100 * 365 * 24 * time.Hour
	}
	res, err := h.Invoke(ctx, runtime.Request{App: "eval", Script: name, Source: src, Limits: lim, Display: true})
	for _, l := range res.Logs {
		switch l.Level.String() {
		case "print":
			print(l.Text)
		case "debug":
			debug(l.Text)
		default:
			debug(l.Level.String() + ": " + l.Text)
		}
	}
	if err != nil {
		phase := "runtime"
		var se *runtime.ScriptError
		if errors.As(err, &se) && se.ParseKind != "" {
			phase = "parse"
		}
		return evalOutcome{fuel: res.Fuel, phase: phase, err: err}
	}
	return evalOutcome{typ: res.Type, display: res.Display, value: res.Value, fuel: res.Fuel}
}

// json renders the outcome as picloud eval --json's last line.
func (o evalOutcome) json() ([]byte, error) {
	var b bytes.Buffer
	if o.err == nil {
		if o.hostErr != nil {
			return nil, o.hostErr
		}
		fmt.Fprintf(&b, `{"ok":true,"type":%s,"value":%s,"fuel":%d}`, jsonString(o.typ), o.value, o.fuel)
		return b.Bytes(), nil
	}
	kind := string(eval.ErrorRuntime)
	msg := o.err.Error()
	var se *syntax.Error
	var ee *eval.Error
	var re *runtime.ScriptError
	switch {
	case errors.As(o.err, &re):
		kind = re.Kind
		if re.ParseKind != "" {
			kind = re.ParseKind
			msg, _, _ = strings.Cut(msg, "\n")
		}
	case errors.As(o.err, &se):
		kind = se.Kind
		msg, _, _ = strings.Cut(msg, "\n") // drop the source line and caret
	case errors.As(o.err, &ee):
		kind = string(ee.Kind)
	}
	fmt.Fprintf(&b, `{"ok":false,"phase":%s,"kind":%s,"error":%s,"fuel":%d}`, jsonString(o.phase), jsonString(kind), jsonString(msg), o.fuel)
	return b.Bytes(), nil
}

func jsonString(s string) []byte {
	b, _ := rhai.ToJSON(eval.Str(s))
	return b
}
