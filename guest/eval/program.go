package eval

import (
	"fmt"
	"math"
	goruntime "runtime"
	"strings"

	"github.com/picloud/picloud/guest/syntax"
)

// Program is a compiled script. It is immutable after Compile and safe to
// run many times, concurrently.
type Program struct {
	name     string
	main     *funcDef
	funcs    map[string][]*funcDef
	fnList   []*funcDef
	builtins *Registry
	exports  []exportSpec
	opts     syntax.Options
}

// Name returns the script's name.
func (p *Program) Name() string { return p.name }

// Compile resolves and compiles a parsed script against the builtin
// functions of reg (which must not change afterwards). opts are the parse
// options eval() uses for script text it compiles at run time.
func Compile(script *syntax.Script, reg *Registry, opts syntax.Options) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &Error{Kind: ErrorParsing, Msg: fmt.Sprintf("internal compiler error: %v", r)}
		}
	}()
	if reg == nil {
		reg = NewRegistry()
	}
	p, err = compileProgram(script, reg)
	if p != nil {
		p.opts = opts
	}
	return p, err
}

// Var is a variable pushed into the script's scope before the run.
type Var struct {
	Name  string
	Value Value
	Const bool
}

// Env is what one run gets from the host.
type Env struct {
	Limits    Limits
	Vars      []Var
	Print     func(string)
	Debug     func(string)
	Cancelled func() bool
	Resolver  func(path string) (*Program, error)
	Modules   *Registry
}

// Result is the outcome of a run.
type Result struct {
	Value      Value
	Fuel       int64 // steps used
	PeakMemory int64 // bytes accounted (allocations are never credited back)
}

// hardMaxDepth bounds the call depth whatever the host asks, so that the Go
// stack (in wasm, linear memory) stays small.
const hardMaxDepth = 1000

// Run runs the program. Every run builds its state fresh. On failure the
// error is an *Error; Result.Fuel is set either way.
func (p *Program) Run(env Env) (res Result, err error) {
	m := &machine{
		limits:    env.Limits,
		cancelled: env.Cancelled,
		print:     env.Print,
		debug:     env.Debug,
		builtins:  p.builtins,
		modules:   env.Modules,
		env:       &env,
		curSource: p.name,
	}
	m.call.m = m
	if m.modules == nil {
		m.modules = NewRegistry()
	}
	m.maxDepth = env.Limits.MaxCallDepth
	if m.maxDepth <= 0 {
		m.maxDepth = DefaultMaxCallDepth
	}
	if m.maxDepth > hardMaxDepth {
		m.maxDepth = hardMaxDepth
	}
	if env.Limits.Fuel > 0 {
		m.fuel = env.Limits.Fuel
		m.check = 0
	} else {
		m.unlimited = true
		m.fuel = math.MaxInt64 / 2
		m.check = math.MinInt64
	}
	m.fuelStart = m.fuel
	if m.cancelled != nil {
		m.check = m.fuel - pollInterval
		if !m.unlimited && m.check < 0 {
			m.check = 0
		}
	}
	m.main = &modInst{prog: p, consts: map[string]Value{}}
	m.mods = map[string]*modInst{}
	m.args = make([]Value, 0, 32)

	defer func() {
		used := m.fuelStart - m.fuel
		if used < 0 {
			used = 0
		}
		if !m.unlimited && used > env.Limits.Fuel {
			used = env.Limits.Fuel
		}
		res.Fuel = used
		res.PeakMemory = m.memUsed
	}()
	defer func() {
		if r := recover(); r != nil {
			switch r := r.(type) {
			case *Error:
				err = r.at(0)
			case *exitPanic:
				res.Value, err = r.val, nil
				return
			case *ctlPanic:
				if r.kind == ctlReturn {
					res.Value, err = r.val, nil
					return
				} else {
					err = &Error{Kind: ErrorRuntime, Msg: "'break' must be within a loop", Source: p.name}
				}
			default:
				if re, ok := r.(goruntime.Error); ok && strings.Contains(re.Error(), "stack") {
					err = &Error{Kind: ErrorStackOverflow, Msg: "Stack overflow", Source: p.name}
					return
				}
				err = &Error{Kind: ErrorRuntime, Msg: fmt.Sprintf("internal error: %v", r), Source: p.name, Err: fmt.Errorf("eval: panic: %v", r)}
			}
			res.Value = Value{}
		}
	}()
	f := m.newFrame(0, p.main, Pos{})
	f.mod = m.main
	if len(env.Vars) > 0 {
		// the script's variables are its own: changing them never touches the host's values
		vars := make([]Var, len(env.Vars))
		for i, v := range env.Vars {
			vars[i] = v
			vars[i].Value = v.Value.Clone()
		}
		env.Vars = vars
	}
	if len(env.Vars) > 0 && len(p.main.freeNames) > 0 {
		f.freeRO = make([]bool, len(f.free))
		for i, name := range p.main.freeNames {
			for j := len(env.Vars) - 1; j >= 0; j-- {
				if env.Vars[j].Name == name {
					f.free[i] = env.Vars[j].Value
					f.freeRO[i] = env.Vars[j].Const
					break
				}
			}
		}
	}
	// Host variables no slot names stay reachable by name (eval, is_def_var).
	for _, v := range env.Vars {
		if _, ok := indexOf(p.main.freeNames, v.Name); !ok {
			m.defineDyn(f, v.Name, v.Value)
		}
	}
	m.fuel -= p.main.weight
	v := m.enter(f, 0)
	return Result{Value: v}, nil
}

func indexOf(list []string, s string) (int, bool) {
	for i, x := range list {
		if x == s {
			return i, true
		}
	}
	return 0, false
}

// importModule runs the module at path once per run and returns its instance.
func (m *machine) importModule(path string, pos Pos) *modInst {
	if inst, ok := m.mods[path]; ok {
		return inst
	}
	if m.loading == nil {
		m.loading = map[string]bool{}
	}
	if m.loading[path] {
		m.fail(ErrorInModule, pos, "Cyclic import of module '%s'", path)
	}
	if m.env.Resolver == nil {
		m.fail(ErrorModuleNotFound, pos, "Module not found: %s", path)
	}
	prog, err := m.env.Resolver(path)
	if err != nil || prog == nil {
		e := &Error{Kind: ErrorModuleNotFound, Msg: "Module not found: " + path, Pos: pos, Err: err}
		if se, ok := err.(*syntax.Error); ok {
			e.Kind = ErrorInModule
			e.Msg = fmt.Sprintf("Error in module '%s': %s", path, se.Msg)
		}
		m.raise(e)
	}
	m.loading[path] = true
	inst := &modInst{prog: prog, consts: map[string]Value{}, exports: map[string]Value{}}
	d := m.depth + 1
	f := m.newFrame(d, prog.main, pos)
	f.mod = inst
	m.fuel -= prog.main.weight
	savedSource := m.curSource
	m.curSource = prog.name
	m.enter(f, d)
	m.curSource = savedSource
	for _, ex := range prog.exports {
		if p := f.refPtr(&ex.ref); p != nil {
			inst.exports[ex.alias] = p.Clone()
		}
	}
	delete(m.loading, path)
	m.mods[path] = inst
	return inst
}

// raiseInEval raises a syntax error of eval's text as coming from inside
// eval, which Rhai wraps in ErrorInFunctionCall like every error of eval.
func (m *machine) raiseInEval(e *Error, pos Pos) {
	e.Source = m.sourceAt(m.depth)
	e.Stack = m.stack([]Frame{{Fn: "eval", Source: e.Source, Pos: pos, depth: m.depth + 1, kind: frameEval}})
	panic(e)
}

// evalString runs script text in the caller's scope (eval).
func (m *machine) evalString(fr *frame, snap *snapshot, src string, pos Pos) Value {
	m.fuel -= int64(len(src)/16) + 1
	script, err := syntax.Parse("eval", src, fr.fn.prog.opts)
	if err != nil {
		// no Err: errors.As must not find a parse error in a runtime one
		e := &Error{Kind: ErrorParsing, Msg: err.Error(), Pos: pos}
		if se, ok := err.(*syntax.Error); ok {
			e.Msg = fmt.Sprintf("Syntax error: %s (line %d, position %d)", se.Msg, se.Pos.Line, se.Pos.Col)
		}
		m.raiseInEval(e, pos)
	}
	if len(script.Funcs) > 0 {
		m.raiseInEval(Errorf(ErrorParsing, pos, "Syntax error: functions cannot be defined inside eval"), pos)
	}
	c := &compiler{prog: fr.fn.prog, builtins: m.builtins, captured: map[*syntax.Ident]bool{}}
	var fd *funcDef
	for pass := 0; pass < 2; pass++ {
		c.collect = pass == 0
		fd = &funcDef{name: "eval", prog: fr.fn.prog, evalCode: true}
		fc := c.newFn(nil, fd)
		fc.evalTop = true
		// the caller's variables are free names found through the snapshot
		c.fc = fc
		fd.body = c.funcBody(script.Stmts, nil)
		fd.weight = fc.weight + 1
		fd.nslots = fc.max
		fd.freeNames = fc.freeNames
	}
	m.fuel -= fd.weight
	if m.fuel < m.check {
		m.slow(pos)
	}
	d := m.depth + 1
	f := m.newFrame(d, fd, pos)
	f.mod = fr.mod
	f.this = fr.this
	f.thisRO = fr.thisRO
	f.outer = &outerScope{fr: fr, snap: snap}
	return m.enter(f, d)
}
