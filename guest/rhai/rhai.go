// Package rhai is the façade of PiCloud's Rhai interpreter: compile a script
// once, run it many times under the host's limits.
//
//	p, err := rhai.Compile("hello.rhai", src, rhai.Options{})
//	res, err := p.Run(rhai.Env{Limits: rhai.Limits{Fuel: 1_000_000}})
//
// Compile returns a *syntax.Error for bad input; Run returns an *eval.Error
// for a runtime error. Neither ever panics: a Go panic inside the
// interpreter comes back as an error.
package rhai

import (
	"fmt"
	"sync"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/stdlib"
	"github.com/picloud/picloud/guest/syntax"
)

// Options configures Compile.
type Options struct {
	// MaxExprDepth bounds expression nesting at the top level; 0 = 64.
	MaxExprDepth int
	// MaxFnExprDepth bounds expression nesting inside functions; 0 = 32.
	MaxFnExprDepth int
	// Builtins are extra plain (not namespaced) functions the script may
	// call, on top of the standard library (e.g. a test harness's assert);
	// nil = none.
	Builtins *eval.Registry
}

// Limits are the host's limits of one run (see eval.Limits).
type Limits = eval.Limits

// Var is a variable pushed into the script's scope before the run.
type Var = eval.Var

// Result is the outcome of a run: the script's value, the fuel it used and
// the bytes it allocated (accounted, never credited back).
type Result = eval.Result

// Env is what one run gets from the host.
type Env struct {
	Limits    Limits
	Vars      []Var                               // pushed into the scope before the run, e.g. ctx
	Print     func(string)                        // print(); nil discards
	Debug     func(string)                        // debug(); nil discards
	Cancelled func() bool                         // polled every 1024 steps; true ends the run with ErrorTerminated
	Resolver  func(path string) (*Program, error) // import "path"
	Modules   *eval.Registry                      // extra host functions (namespaced); nil = none
}

// Program is a compiled script, immutable and safe to run concurrently.
type Program struct {
	p *eval.Program
}

// Name returns the script's name.
func (p *Program) Name() string { return p.p.Name() }

var (
	stdOnce sync.Once
	stdReg  *eval.Registry
)

// Stdlib returns the standard-library registry (built once, read-only).
func Stdlib() *eval.Registry {
	stdOnce.Do(func() {
		stdReg = eval.NewRegistry()
		stdlib.Register(stdReg)
	})
	return stdReg
}

// Compile parses and compiles a script. name appears in error messages.
func Compile(name, src string, opts Options) (prog *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, &syntax.Error{Name: name, Kind: "BadInput", Msg: fmt.Sprintf("internal error: %v", r), Pos: syntax.Pos{Line: 1, Col: 1}}
		}
	}()
	popts := syntax.Options{MaxExprDepth: opts.MaxExprDepth, MaxFnExprDepth: opts.MaxFnExprDepth}
	script, err := syntax.Parse(name, src, popts)
	if err != nil {
		return nil, err
	}
	reg := Stdlib()
	if opts.Builtins != nil {
		reg = eval.MergeRegistries(reg, opts.Builtins)
	}
	p, err := eval.Compile(script, reg, popts)
	if err != nil {
		return nil, err
	}
	return &Program{p: p}, nil
}

// Run runs the program; every run builds its state fresh. On failure the
// error is an *eval.Error; Result.Fuel is set either way.
func (p *Program) Run(env Env) (Result, error) {
	var resolver func(string) (*eval.Program, error)
	if env.Resolver != nil {
		resolver = func(path string) (*eval.Program, error) {
			q, err := env.Resolver(path)
			if err != nil || q == nil {
				return nil, err
			}
			return q.p, nil
		}
	}
	return p.p.Run(eval.Env{
		Limits:    env.Limits,
		Vars:      env.Vars,
		Print:     env.Print,
		Debug:     env.Debug,
		Cancelled: env.Cancelled,
		Resolver:  resolver,
		Modules:   env.Modules,
	})
}
