package eval

import (
	"math"
	"strings"
	"unsafe"
)

// expr is a compiled expression or statement: the evaluator is a tree of Go
// closures. Errors unwind as panics carrying *Error (recovered by try/catch,
// by Call.CallFn and at Program.Run); break, continue and return set
// frame.ctl, except where they sit inside an expression (then they panic
// with *ctlPanic, recovered by their loop or function).
type expr func(fr *frame) Value

type ctlKind uint8

const (
	ctlNone ctlKind = iota
	ctlBreak
	ctlContinue
	ctlReturn
)

type ctlPanic struct {
	kind ctlKind
	val  Value
}

// Internal kinds that never reach scripts or builtins.
const (
	cellKind  Kind = numKinds + 1 + iota // a slot holding a *cell (captured variable)
	undefKind                            // a free-variable slot with no value
)

// cell is a shared (captured) variable.
type cell struct {
	v      Value
	shared bool
}

// cellSize is the accounted size of a cell.
const cellSize = int64(unsafe.Sizeof(cell{}))

// frame is the activation of one function (or of the top-level script).
// Frames are pooled per call depth; closures never capture frames, only cells.
type frame struct {
	m      *machine
	slots  []Value
	free   []Value  // free-name slots (Env.Vars at top level; undefKind when unset)
	freeRO []bool   // free slots holding host constants
	caps   []*cell  // a closure's captured variables
	this   *Value   // bound `this`, nil when unbound
	thisRO bool     // `this` is a constant
	fn     *funcDef // the running function
	mod    *modInst // the module the function belongs to
	outer  *outerScope
	dyn    map[string]*Value // variables defined by eval that no slot holds
	ctl    ctlKind
	ret    Value
	pos    Pos // position of the call that created the frame
}

// outerScope gives a frame access to a caller's variables by name: for
// f!(...) calls and for eval.
type outerScope struct {
	fr   *frame
	snap *snapshot
}

// funcDef is a compiled script function (named, anonymous, or the top level).
type funcDef struct {
	name       string
	nparams    int
	nslots     int
	freeNames  []string
	cellParams []int // parameters captured by closures: wrapped into cells on entry
	body       expr
	prog       *Program
	private    bool
	thisType   string
	pos        Pos
	anon       bool
	caps       []capSpec
	weight     int64 // fuel charged per call: the body's static statement count
	simple     bool  // no free names: a frame that last ran it can be reused as is
	main       bool
	evalCode   bool // compiled from eval(): runs in the caller's frame context
}

// modInst is one module (script) instance of a run.
type modInst struct {
	prog    *Program
	consts  map[string]Value // top-level constants: global::NAME
	exports map[string]Value
	imports map[string]*modInst
}

// machine is the state of one run.
type machine struct {
	limits    Limits
	fuel      int64 // counts down
	check     int64 // do the slow check (limits, cancellation) when fuel < check
	fuelStart int64
	unlimited bool
	cancelled func() bool
	memUsed   int64
	print     func(string)
	debug     func(string)
	maxDepth  int
	depth     int
	frames    []*frame
	args      []Value // scratch stack for builtin arguments
	call      Call
	builtins  *Registry
	modules   *Registry
	env       *Env
	main      *modInst
	mods      map[string]*modInst // imported modules by path
	loading   map[string]bool
	appendBuf []byte  // the string most recently grown in place (see addStrings)
	sbuf      []byte  // scratch buffer for string interpolation
	fpSlab    []FnPtr // closures are carved from chunks: one allocation per fpChunk closures
	curSource string
	dead      *Error // set once fuel ran out or the run was cancelled
}

const pollInterval = 1024

const fpChunk = 32

// newFnPtr returns a zeroed FnPtr from the current chunk.
func (m *machine) newFnPtr() *FnPtr {
	if len(m.fpSlab) == 0 {
		m.fpSlab = make([]FnPtr, fpChunk)
	}
	fp := &m.fpSlab[0]
	m.fpSlab = m.fpSlab[1:]
	return fp
}

// raise panics with err, completing its position and call stack.
func (m *machine) raise(err *Error) {
	if err.Source == "" {
		err.Source = m.sourceAt(m.depth)
	}
	if err.Stack == nil && m.depth > 0 {
		err.Stack = m.stack(err.Stack)
	}
	panic(err)
}

// stack appends the run's calls to st, innermost first.
func (m *machine) stack(st []Frame) []Frame {
	for d := m.depth; d >= 1; d-- {
		f := m.frames[d]
		if f == nil || f.fn == nil {
			continue
		}
		fr := Frame{Fn: f.fn.name, Source: m.sourceAt(d - 1), Pos: f.pos, depth: d}
		if f.fn.prog != nil {
			fr.home = f.fn.prog.name
		}
		switch {
		case f.fn.evalCode:
			fr.kind = frameEval
		case f.fn.main:
			fr.kind, fr.Fn = frameModule, f.fn.prog.name
		case f.fn.anon:
			fr.kind = frameClosure
		}
		st = append(st, fr)
	}
	return st
}

func (m *machine) sourceAt(d int) string {
	if d >= 0 && d < len(m.frames) && m.frames[d] != nil && m.frames[d].fn != nil && m.frames[d].fn.prog != nil {
		return m.frames[d].fn.prog.name
	}
	return m.curSource
}

func (m *machine) fail(kind ErrorKind, pos Pos, format string, args ...any) {
	m.raise(Errorf(kind, pos, format, args...))
}

// slow is called when fuel drops below check: it enforces the fuel budget
// and polls for cancellation every pollInterval steps. Once the run is over
// its limits every later check fails again, so a builtin that swallows the
// error cannot keep the script running.
func (m *machine) slow(pos Pos) {
	if m.dead != nil {
		e := *m.dead
		e.Pos = pos
		e.Stack = nil
		m.raise(&e)
	}
	if !m.unlimited && m.fuel < 0 {
		m.dead = Errorf(ErrorTooManyOperations, pos, "Too many operations")
		m.check = math.MaxInt64
		m.raise(m.dead)
	}
	if m.cancelled != nil {
		if m.cancelled() {
			m.dead = Errorf(ErrorTerminated, pos, "Script terminated")
			m.check = math.MaxInt64
			m.raise(m.dead)
		}
		m.check = m.fuel - pollInterval
	} else {
		m.check = math.MinInt64
	}
	if !m.unlimited && m.check < 0 {
		m.check = 0
	}
}

// burn charges n steps of work done inside one operation (scanning a
// string, comparing containers) and checks the budget.
func (m *machine) burn(n int64, pos Pos) {
	if n > 0 {
		m.fuel -= n
		if m.fuel < m.check {
			m.slow(pos)
		}
	}
}

func (m *machine) charge(n int64, pos Pos) error {
	m.fuel -= n
	if m.fuel < m.check {
		return m.catch(func() { m.slow(pos) })
	}
	return nil
}

// catch runs f and returns the *Error it panics with, if any.
func (m *machine) catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

func (m *machine) alloc(n int64, pos Pos) error {
	m.memUsed += n
	if m.limits.MaxMemory > 0 && m.memUsed > m.limits.MaxMemory {
		return Errorf(ErrorMemoryLimit, pos, "Out of memory: the script allocated more than %d bytes", m.limits.MaxMemory)
	}
	return nil
}

// allocP accounts n bytes and panics over the limit.
func (m *machine) allocP(n int64, pos Pos) {
	m.memUsed += n
	if m.limits.MaxMemory > 0 && m.memUsed > m.limits.MaxMemory {
		m.fail(ErrorMemoryLimit, pos, "Out of memory: the script allocated more than %d bytes", m.limits.MaxMemory)
	}
}

func (m *machine) checkLen(k Kind, n int, pos Pos) error {
	var max int
	var what string
	switch k {
	case StringKind:
		max, what = m.limits.MaxStringLen, "Length of string"
	case ArrayKind, BlobKind:
		max, what = m.limits.MaxArrayLen, "Size of array"
	case MapKind:
		max, what = m.limits.MaxMapLen, "Size of object map"
	}
	if max > 0 && n > max {
		return Errorf(ErrorDataTooLarge, pos, "%s too large", what)
	}
	return nil
}

func (m *machine) checkLenP(k Kind, n int, pos Pos) {
	if err := m.checkLen(k, n, pos); err != nil {
		m.raise(err.(*Error))
	}
}

// newFrame prepares the frame for depth d running fd. Pointer fields are
// only written when they change: frames are long-lived heap objects, and a
// store into them costs a write barrier while the GC runs.
func (m *machine) newFrame(d int, fd *funcDef, pos Pos) *frame {
	if d <= m.maxDepth && d < len(m.frames) {
		// The frame last ran fd and enter left it clean: only the slots'
		// contents differ, and every slot is written before it is read.
		if f := m.frames[d]; f != nil && f.fn == fd && fd.simple {
			f.pos = pos
			return f
		}
	}
	return m.newFrameSlow(d, fd, pos)
}

func (m *machine) newFrameSlow(d int, fd *funcDef, pos Pos) *frame {
	if d > m.maxDepth {
		m.fail(ErrorStackOverflow, pos, "Stack overflow")
	}
	if d >= len(m.frames) {
		m.growFrames(d)
	}
	f := m.frames[d]
	if f == nil {
		f = &frame{m: m}
		m.frames[d] = f
	}
	n := fd.nslots
	if cap(f.slots) < n {
		m.allocP(int64(n)*ValueSize, pos)
		f.slots = make([]Value, n, n+4)
	} else {
		f.slots = f.slots[:n]
	}
	if len(fd.freeNames) > 0 {
		f.free = make([]Value, len(fd.freeNames))
		for i := range f.free {
			f.free[i].k = undefKind
		}
	} else if f.free != nil {
		f.free = nil
	}
	if f.freeRO != nil {
		f.freeRO = nil
	}
	if f.caps != nil {
		f.caps = nil
	}
	if f.this != nil {
		f.this = nil
	}
	f.thisRO = false
	if f.fn != fd {
		f.fn = fd
	}
	if f.outer != nil {
		f.outer = nil
	}
	if f.dyn != nil {
		f.dyn = nil
	}
	f.ctl = ctlNone
	f.pos = pos
	return f
}

// bind sets a new frame's `this`, captured cells and module, writing only
// what changes (see newFrame).
func (f *frame) bind(this *Value, thisRO bool, caps []*cell, mod *modInst) {
	if this != nil {
		f.this = this
		f.thisRO = thisRO
	}
	if caps != nil {
		f.caps = caps
	}
	if f.mod != mod {
		f.mod = mod
	}
}

func (m *machine) growFrames(d int) {
	for len(m.frames) <= d {
		m.frames = append(m.frames, nil)
	}
}

// enter runs fd's body in frame f at depth d and returns its value.
func (m *machine) enter(f *frame, d int) Value {
	fd := f.fn
	for _, i := range fd.cellParams {
		f.slots[i] = Value{k: cellKind, p: unsafe.Pointer(&cell{v: f.slots[i]})}
	}
	saved := m.depth
	m.depth = d
	v := fd.body(f)
	if f.ctl != ctlNone {
		if f.ctl == ctlReturn {
			v = f.ret
			f.ret = Value{}
		}
		f.ctl = ctlNone
	}
	// leave the frame clean for newFrame's fast path
	if f.this != nil {
		f.this = nil
		f.thisRO = false
	}
	if f.caps != nil {
		f.caps = nil
	}
	if f.outer != nil {
		f.outer = nil
	}
	if f.dyn != nil {
		f.dyn = nil
	}
	m.depth = saved
	return v
}

// abandon marks the frames above depth, left by an error that unwound them,
// so that newFrame prepares them afresh.
func (m *machine) abandon(depth int) {
	for d := depth + 1; d < len(m.frames); d++ {
		if f := m.frames[d]; f != nil {
			f.fn = nil
		}
	}
}

// callScript calls a script function with already evaluated arguments.
func (m *machine) callScript(fd *funcDef, mod *modInst, this *Value, thisRO bool, caps []*cell, args []Value, pos Pos) Value {
	m.fuel -= fd.weight
	if m.fuel < m.check {
		m.slow(pos)
	}
	d := m.depth + 1
	f := m.newFrame(d, fd, pos)
	copy(f.slots, args)
	f.bind(this, thisRO, caps, mod)
	return m.enter(f, d)
}

// callBuiltin calls the overload of fs matching args.
func (m *machine) callBuiltin(fs *funcSet, args []Value, pos Pos) Value {
	for _, o := range fs.arity(len(args)) {
		if o.matches(args) {
			return m.invoke(o.fn, fs.name, args, pos)
		}
	}
	m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(fs.name, args))
	return Value{}
}

// findBuiltin returns the overload of fs matching args, or nil.
func findBuiltin(fs *funcSet, args []Value) Builtin {
	if fs == nil {
		return nil
	}
	for _, o := range fs.arity(len(args)) {
		if o.matches(args) {
			return o.fn
		}
	}
	return nil
}

func (m *machine) invoke(fn Builtin, name string, args []Value, pos Pos) Value {
	c := &m.call
	savedPos, savedName := c.pos, c.name
	c.pos, c.name = pos, name
	v, err := fn(c, args)
	c.pos, c.name = savedPos, savedName
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = &Error{Kind: ErrorRuntime, Msg: err.Error(), Pos: pos, Err: err, Value: Str(err.Error())}
		}
		if !e.Pos.IsValid() {
			e.Pos = pos
		}
		m.raise(e)
	}
	return v
}

func signature(name string, args []Value) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(" (")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.TypeName())
	}
	b.WriteByte(')')
	return b.String()
}

// lookupFn finds a script function by name and arity in prog (private
// functions included only when own is set).
func (p *Program) lookupFn(name string, arity int, own bool) *funcDef {
	for _, fd := range p.funcs[name] {
		if fd.nparams == arity && fd.thisType == "" && (own || !fd.private) {
			return fd
		}
	}
	return nil
}

// callFnPtr calls a function pointer or closure (see Call.CallFnThis).
func (m *machine) callFnPtr(fnv Value, this *Value, args, extra []Value, pos Pos) (v Value, err error) {
	depth := m.depth
	nargs := len(m.args)
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				m.abandon(depth)
				m.depth = depth
				m.args = m.args[:nargs]
				err = e
				return
			}
			panic(r)
		}
	}()
	if fnv.k != FnPtrKind {
		m.fail(ErrorMismatchDataType, pos, "Data type incorrect: %s (expecting Fn)", fnv.TypeName())
	}
	return m.callPtr(fnv.FnPtr(), this, false, args, extra, pos), nil
}

// callPtr calls fp with args (plus extra when the callee takes them).
func (m *machine) callPtr(fp *FnPtr, this *Value, thisRO bool, args, extra []Value, pos Pos) Value {
	if fd := fp.fn; fd != nil && len(fp.Curry) == 0 && fd.nparams == len(args) && (len(extra) == 0 || fd.anon) {
		// the common case: a closure called with exactly its parameters
		m.fuel -= fd.weight
		if m.fuel < m.check {
			m.slow(pos)
		}
		d := m.depth + 1
		f := m.newFrame(d, fd, pos)
		for i, a := range args {
			if a.k >= ArrayKind && a.k <= BlobKind {
				a = a.Clone()
			}
			f.slots[i] = a
		}
		mod := fp.mod
		if mod == nil || mod.prog != fd.prog {
			mod = m.instOf(fd.prog)
		}
		f.bind(this, thisRO, fp.caps, mod)
		return m.enter(f, d)
	}
	return m.callPtrSlow(fp, this, thisRO, args, extra, pos)
}

// callPtrSlow handles curried pointers, pointers by name and extra arguments.
func (m *machine) callPtrSlow(fp *FnPtr, this *Value, thisRO bool, args, extra []Value, pos Pos) Value {
	n := len(fp.Curry) + len(args)
	if fd := fp.fn; fd != nil {
		if fd.nparams == n+len(extra) && len(extra) > 0 {
			return m.callPtrArgs(fp, fd, this, thisRO, args, extra, pos)
		}
		if fd.nparams == n || fd.anon {
			if fd.nparams != n {
				m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", ptrSignature(fp, args))
			}
			return m.callPtrArgs(fp, fd, this, thisRO, args, nil, pos)
		}
	}
	mod := m.main
	if fp.mod != nil {
		mod = fp.mod
	}
	for _, try := range [2]int{0, len(extra)} {
		if try > 0 && len(extra) == 0 {
			break
		}
		k := n + try
		var ex []Value
		if try > 0 {
			ex = extra
		}
		fd := mod.prog.lookupFn(fp.Name, k, true)
		if fd == nil && mod != m.main {
			fd = m.main.prog.lookupFn(fp.Name, k, true)
		}
		if fd != nil {
			return m.callPtrArgs(fp, fd, this, thisRO, args, ex, pos)
		}
		if fs := m.builtins.lookup(fp.Name); fs != nil && len(fs.arity(k+boolInt(this != nil))) > 0 {
			base := len(m.args)
			if this != nil {
				m.args = append(m.args, *this)
			}
			m.args = append(m.args, fp.Curry...)
			m.args = append(m.args, args...)
			m.args = append(m.args, ex...)
			a := m.args[base:len(m.args):len(m.args)]
			r := m.callBuiltin(fs, a, pos)
			if this != nil && !thisRO {
				*this = a[0]
			}
			m.args = m.args[:base]
			return r
		}
	}
	if isIntrinsic(fp.Name) {
		base := len(m.args)
		m.args = append(m.args, fp.Curry...)
		m.args = append(m.args, args...)
		a := m.args[base:len(m.args):len(m.args)]
		r := m.callIntrinsicDyn(fp.Name, a, pos)
		m.args = m.args[:base]
		return r
	}
	m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", ptrSignature(fp, args))
	return Value{}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ptrSignature(fp *FnPtr, args []Value) string {
	all := append(append([]Value(nil), fp.Curry...), args...)
	return signature(fp.Name, all)
}

func (m *machine) callPtrArgs(fp *FnPtr, fd *funcDef, this *Value, thisRO bool, args, extra []Value, pos Pos) Value {
	m.fuel -= fd.weight
	if m.fuel < m.check {
		m.slow(pos)
	}
	d := m.depth + 1
	f := m.newFrame(d, fd, pos)
	i := copy(f.slots, fp.Curry)
	for _, a := range args {
		f.slots[i] = a.Clone()
		i++
	}
	for _, a := range extra {
		f.slots[i] = a
		i++
	}
	mod := fp.mod
	if mod == nil || mod.prog != fd.prog {
		mod = m.instOf(fd.prog)
	}
	f.bind(this, thisRO, fp.caps, mod)
	return m.enter(f, d)
}

func (m *machine) instOf(p *Program) *modInst {
	if m.main.prog == p {
		return m.main
	}
	for _, inst := range m.mods {
		if inst.prog == p {
			return inst
		}
	}
	return m.main
}

func (m *machine) fnArities(fnv Value) []int {
	if fnv.k != FnPtrKind {
		return nil
	}
	fp := fnv.FnPtr()
	c := len(fp.Curry)
	if fp.fn != nil && fp.fn.anon {
		return []int{fp.fn.nparams - c}
	}
	var out []int
	for _, fd := range m.main.prog.funcs[fp.Name] {
		if fd.nparams >= c && fd.thisType == "" {
			out = append(out, fd.nparams-c)
		}
	}
	if fs := m.builtins.lookup(fp.Name); fs != nil {
		for n, ovs := range fs.byArity {
			if len(ovs) > 0 && n >= c {
				out = append(out, n-c)
			}
		}
	}
	return out
}

// freePtr returns the storage of the free variable idx of fr, looking it up
// by name (eval-defined variables, the caller's scope of f!() and eval) when
// the slot is unset; nil when the variable does not exist.
func (m *machine) freePtr(fr *frame, idx int) *Value {
	if p := &fr.free[idx]; p.k != undefKind {
		if p.k == cellKind {
			return &(*cell)(p.p).v
		}
		return p
	}
	return m.lookupName(fr, fr.fn.freeNames[idx])
}

// lookupName finds a variable by name from fr outwards (dynamic scope): the
// names eval defined, then the caller's variables through the snapshot of
// an f!() call or an eval.
func (m *machine) lookupName(fr *frame, name string) *Value {
	for f := fr; f != nil; {
		if f.dyn != nil {
			if p, ok := f.dyn[name]; ok {
				return p
			}
		}
		if f.outer == nil {
			return nil
		}
		if p := m.snapshotPtr(f.outer, name); p != nil {
			return p
		}
		f = f.outer.fr
	}
	return nil
}

// snapshotPtr finds name among the variables visible at a call site.
func (m *machine) snapshotPtr(o *outerScope, name string) *Value {
	s := o.snap
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return o.fr.refPtr(&s.vars[i].ref)
		}
	}
	if idx, ok := s.free[name]; ok && idx < len(o.fr.free) {
		p := &o.fr.free[idx]
		if p.k != undefKind {
			if p.k == cellKind {
				return &(*cell)(p.p).v
			}
			return p
		}
	}
	return nil
}

// refPtr returns the storage of a resolved variable in fr.
func (fr *frame) refPtr(r *varRef) *Value {
	switch r.kind {
	case refSlot:
		return &fr.slots[r.slot]
	case refCell:
		c := (*cell)(fr.slots[r.slot].p)
		if fr.slots[r.slot].k != cellKind {
			return nil
		}
		return &c.v
	case refCap:
		return &fr.caps[r.slot].v
	case refFree:
		return fr.m.freePtr(fr, r.slot)
	case refDyn:
		return fr.m.lookupName(fr, r.name)
	}
	return nil
}

// defineOuter defines a variable created by eval's top level in the
// caller's frame: into a free slot of that name, or the dynamic map.
func (m *machine) defineOuter(fr *frame, name string, v Value) {
	o := fr.outer
	if o == nil {
		m.defineDyn(fr, name, v)
		return
	}
	target := o.fr
	if idx, ok := o.snap.free[name]; ok && idx < len(target.free) {
		target.free[idx] = v
		return
	}
	if target.fn != nil && target.fn.evalCode && target.outer != nil {
		m.defineOuter(target, name, v)
		return
	}
	m.defineDyn(target, name, v)
}

func (m *machine) defineDyn(fr *frame, name string, v Value) {
	if fr.dyn == nil {
		fr.dyn = make(map[string]*Value)
	}
	p := new(Value)
	*p = v
	fr.dyn[name] = p
}

// varNotFound raises ErrorVariableNotFound.
func (m *machine) varNotFound(name string, pos Pos) {
	m.fail(ErrorVariableNotFound, pos, "Variable not found: %s", name)
}

func typeMismatch(m *machine, pos Pos, want string, got Value) {
	m.fail(ErrorMismatchDataType, pos, "Data type incorrect: %s (expecting %s)", got.TypeName(), want)
}
