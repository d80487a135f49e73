package eval

import (
	"sort"
	"unsafe"
)

// Builtin is a function implemented in Go. args holds the call's arguments;
// for a method call x.f(a) args[0] is the receiver x, passed by reference:
// whatever the builtin leaves in args[0] is written back into x (so a builtin
// that changes a string or number receiver assigns args[0]; arrays, maps and
// blobs are changed in place through their pointers). A plain call f(x, a)
// passes copies. The result is the call's value.
type Builtin func(c *Call, args []Value) (Value, error)

// Limits are the host's limits of one run. Zero means the default.
type Limits struct {
	Fuel         int64 // steps; 0 = unlimited
	MaxCallDepth int   // nested script-function calls; 0 = 64
	MaxMemory    int64 // bytes the run may allocate (accounted); 0 = unlimited
	MaxStringLen int   // bytes of one string; 0 = unlimited
	MaxArrayLen  int   // elements of one array or blob; 0 = unlimited
	MaxMapLen    int   // entries of one map; 0 = unlimited
}

// DefaultMaxCallDepth is the call-depth limit when Limits.MaxCallDepth is 0.
const DefaultMaxCallDepth = 64

// overload is one registered implementation of a function.
type overload struct {
	params  []Kind
	fn      Builtin
	anyArgs int // number of Any parameters: fewer wins
}

func (o *overload) matches(args []Value) bool {
	for i, k := range o.params {
		if k != Any && k != args[i].k {
			return false
		}
	}
	return true
}

// funcSet holds the overloads of one name, by arity.
type funcSet struct {
	name    string
	byArity [][]*overload
}

func (s *funcSet) arity(n int) []*overload {
	if n < len(s.byArity) {
		return s.byArity[n]
	}
	return nil
}

// Registry holds builtin functions by name, arity and parameter kinds. Fill
// it before the first run; it is read-only (and safe for concurrent runs)
// afterwards.
type Registry struct {
	funcs map[string]*funcSet
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{funcs: make(map[string]*funcSet)} }

// Register adds one overload of name with the given parameter kinds (Any
// matches every kind). Overloads with fewer Any parameters are tried first;
// among equals, the first registered wins. Property getters and setters are
// registered as "get$name" (one parameter) and "set$name" (two).
func (r *Registry) Register(name string, params []Kind, fn Builtin) {
	if r.funcs == nil {
		r.funcs = make(map[string]*funcSet)
	}
	s := r.funcs[name]
	if s == nil {
		s = &funcSet{name: name}
		r.funcs[name] = s
	}
	n := len(params)
	for len(s.byArity) <= n {
		s.byArity = append(s.byArity, nil)
	}
	o := &overload{params: append([]Kind(nil), params...), fn: fn}
	for _, k := range params {
		if k == Any {
			o.anyArgs++
		}
	}
	list := append(s.byArity[n], o)
	sort.SliceStable(list, func(i, j int) bool { return list[i].anyArgs < list[j].anyArgs })
	s.byArity[n] = list
}

// RegisterModule adds a function under a namespace, called from scripts as
// module::name(...).
func (r *Registry) RegisterModule(module, name string, params []Kind, fn Builtin) {
	r.Register(module+"::"+name, params, fn)
}

// Has reports whether any overload of name is registered.
func (r *Registry) Has(name string) bool {
	if r == nil {
		return false
	}
	_, ok := r.funcs[name]
	return ok
}

// HasModule reports whether any function is registered under module::.
func (r *Registry) HasModule(module string) bool {
	if r == nil {
		return false
	}
	p := module + "::"
	for name := range r.funcs {
		if len(name) > len(p) && name[:len(p)] == p {
			return true
		}
	}
	return false
}

func (r *Registry) lookup(name string) *funcSet {
	if r == nil {
		return nil
	}
	return r.funcs[name]
}

// Call is what a builtin gets from the evaluator. It is valid only during
// the builtin's call.
type Call struct {
	m    *machine
	pos  Pos
	name string
}

// Name returns the name of the called function.
func (c *Call) Name() string { return c.name }

// Pos returns the position of the call in the script.
func (c *Call) Pos() Pos { return c.pos }

// Charge spends n steps of fuel (work in proportion to bytes copied, items
// sorted…); it fails with ErrorTooManyOperations when the budget runs out.
func (c *Call) Charge(n int64) error {
	if n <= 0 {
		return nil
	}
	return c.m.charge(n, c.pos)
}

// Alloc accounts bytes of memory about to be allocated; it fails with
// ErrorMemoryLimit over Limits.MaxMemory.
func (c *Call) Alloc(bytes int64) error {
	if bytes <= 0 {
		return nil
	}
	return c.m.alloc(bytes, c.pos)
}

// Limits returns the run's limits.
func (c *Call) Limits() Limits { return c.m.limits }

// Poll checks at once what the evaluator otherwise checks every few thousand
// steps: the host's cancellation (ErrorTerminated) and the fuel budget. A
// builtin that waits, such as sleep, calls it between waits.
func (c *Call) Poll() error { return c.m.catch(func() { c.m.slow(c.pos) }) }

// CheckString fails with ErrorDataTooLarge when a string of n bytes exceeds
// Limits.MaxStringLen.
func (c *Call) CheckString(n int) error { return c.m.checkLen(StringKind, n, c.pos) }

// CheckArray fails with ErrorDataTooLarge when an array (or blob) of n
// elements exceeds Limits.MaxArrayLen.
func (c *Call) CheckArray(n int) error { return c.m.checkLen(ArrayKind, n, c.pos) }

// CheckMap fails with ErrorDataTooLarge when a map of n entries exceeds
// Limits.MaxMapLen.
func (c *Call) CheckMap(n int) error { return c.m.checkLen(MapKind, n, c.pos) }

// Print sends s to the host's print sink.
func (c *Call) Print(s string) {
	if c.m.print != nil {
		c.m.print(s)
	}
}

// Debug sends s to the host's debug sink.
func (c *Call) Debug(s string) {
	if c.m.debug != nil {
		c.m.debug(s)
	}
}

// Errorf returns a runtime error of the given kind at the call's position.
func (c *Call) Errorf(kind ErrorKind, format string, args ...any) *Error {
	e := Errorf(kind, c.pos, format, args...)
	if kind == ErrorRuntime {
		e.Value = Str(e.Msg) // what catch (e) binds, as for a Rust function's error string
	}
	return e
}

// CallFn calls a function pointer or closure with args and returns its result.
func (c *Call) CallFn(fn Value, args ...Value) (Value, error) {
	return c.m.callFnPtr(fn, nil, args, nil, c.pos)
}

// CallFnThis calls a function pointer or closure with `this` bound to *this
// (nil = unbound), and args. When the function takes len(args)+len(extra)
// parameters, extra is appended to args: this is how `map`, `filter`… pass an
// element's index to callbacks that ask for it.
func (c *Call) CallFnThis(fn Value, this *Value, args []Value, extra ...Value) (Value, error) {
	return c.m.callFnPtr(fn, this, args, extra, c.pos)
}

// Display returns v's print (debug=false) or debug text, bounded by the
// string size limit and paid for in fuel and memory: a container holding one
// big string many times over displays far larger than it weighs. Builtins
// that turn values into text (to_string, to_debug, +) should use it.
func (c *Call) Display(v Value, debug bool) (s string, err error) {
	err = c.m.catch(func() { s = c.m.display(v, debug, c.pos) })
	return s, err
}

// FnArity returns the numbers of parameters fn (a function pointer or closure)
// can be called with, curried arguments excluded; nil if fn is not callable.
func (c *Call) FnArity(fn Value) []int { return c.m.fnArities(fn) }

// MergeRegistries returns a new registry with the functions of every
// registry in order (later overloads of the same kinds take precedence).
func MergeRegistries(regs ...*Registry) *Registry {
	out := NewRegistry()
	for i := len(regs) - 1; i >= 0; i-- {
		r := regs[i]
		if r == nil {
			continue
		}
		for name, s := range r.funcs {
			for _, list := range s.byArity {
				for _, o := range list {
					out.Register(name, o.params, o.fn)
				}
			}
		}
	}
	return out
}

// Iter is a lazy sequence of values that a `for` loop walks: what
// range(from, to, step), chars() and bits() return. Start begins a fresh
// walk, so one iterator value can be looped over more than once; the
// function it returns yields the next value, or false at the end.
type Iter struct {
	Start func() func() (Value, bool)
}

// NewIter returns an iterator value (type_of "iterator").
func NewIter(it *Iter) Value { return Value{k: IterKind, p: unsafe.Pointer(it)} }

// Iter returns the iterator of an Iter value (nil for other kinds).
func (v Value) Iter() *Iter {
	if v.k != IterKind {
		return nil
	}
	return (*Iter)(v.p)
}
