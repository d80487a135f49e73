package eval

import (
	"strings"
	"unsafe"

	"github.com/picloud/picloud/guest/syntax"
)

// methodSite is a compiled method call x.name(args).
type methodSite struct {
	fast    bool // only a builtin can match (no script function, not call/curry)
	isCall  bool // f.call(…)
	special bool // call or curry
	name    string
	nargs   int
	pos     Pos
	script  []*funcDef // script functions name/nargs (plain and typed methods)
	builtin *funcSet
}

// typeMatches reports whether a typed method `fn T.name()` applies to v.
func typeMatches(t string, v Value) bool {
	switch t {
	case "", "?":
		return true
	case "int", "INT", "i64":
		return v.k == IntKind
	case "float", "FLOAT", "f64":
		return v.k == FloatKind
	case "string", "str", "String", "ImmutableString":
		return v.k == StringKind
	case "Map", "map":
		return v.k == MapKind
	case "Array", "array":
		return v.k == ArrayKind
	case "Blob", "blob":
		return v.k == BlobKind
	case "char":
		return v.k == CharKind
	case "bool":
		return v.k == BoolKind
	case "Fn", "FnPtr":
		return v.k == FnPtrKind
	case "timestamp", "Instant":
		return v.k == TimestampKind
	case "range":
		return v.k == RangeKind
	}
	return v.TypeName() == t
}

// callMethod calls site on the receiver *recv (by reference). a holds the
// call's arguments after a free first slot (a[0]) for the receiver: builtins
// get a with a[0] = *recv and their a[0] is written back.
func (m *machine) callMethod(fr *frame, s *methodSite, recv *Value, ro bool, a []Value) Value {
	if s.isCall && recv.k == FnPtrKind {
		return m.callPtr((*FnPtr)(recv.p), nil, false, a[1:], nil, s.pos)
	}
	if s.fast && (recv.k != MapKind || (*Map)(recv.p).fns == 0) && !ro {
		a[0] = *recv
		if fn := findBuiltin(s.builtin, a); fn != nil {
			v := m.invoke(fn, s.name, a, s.pos)
			*recv = a[0]
			return v
		}
	}
	return m.callMethodSlow(fr, s, recv, ro, a)
}

func (m *machine) callMethodSlow(fr *frame, s *methodSite, recv *Value, ro bool, a []Value) Value {
	pos := s.pos
	args := a[1:]
	if s.special {
		switch s.name {
		case "call":
			if recv.k == FnPtrKind {
				return m.callPtr(recv.FnPtr(), nil, false, args, nil, pos)
			}
			if len(args) > 0 && args[0].k == FnPtrKind {
				return m.callPtr(args[0].FnPtr(), recv, ro, args[1:], nil, pos)
			}
		case "curry":
			if recv.k == FnPtrKind {
				return m.curry(recv.FnPtr(), args, pos)
			}
		}
	}
	if recv.k == MapKind && (*Map)(recv.p).fns > 0 {
		if v, ok := recv.Map().Get(s.name); ok && v.k == FnPtrKind {
			return m.callPtr(v.FnPtr(), recv, ro, args, nil, pos)
		}
	}
	for _, fd := range s.script {
		if typeMatches(fd.thisType, *recv) {
			mod := fr.mod
			if mod.prog != fd.prog {
				mod = m.instOf(fd.prog)
			}
			return m.callScript(fd, mod, recv, ro, nil, args, pos)
		}
	}
	if s.builtin != nil {
		a[0] = *recv
		if fn := findBuiltin(s.builtin, a); fn != nil {
			if ro {
				return m.invokeOnConst(fn, s.name, a, pos)
			}
			v := m.invoke(fn, s.name, a, pos)
			*recv = a[0]
			return v
		}
	}
	if isIntrinsic(s.name) && !noMethodStyle(s.name) {
		a[0] = *recv
		return m.callIntrinsicDyn(s.name, a, pos)
	}
	all := append([]Value{*recv}, args...)
	m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(s.name, all))
	return Value{}
}

// invokeOnConst calls a builtin whose receiver (a[0]) is a constant: on a
// copy, failing as Rhai does for a non-pure method when the call changed it.
func (m *machine) invokeOnConst(fn Builtin, name string, a []Value, pos Pos) Value {
	orig := a[0]
	if orig.k >= ArrayKind && orig.k <= BlobKind {
		a[0] = m.cloneValue(orig, pos)
	}
	v := m.invoke(fn, name, a, pos)
	if a[0].k != orig.k || !equal(a[0], orig, true) {
		m.fail(ErrorNonPureMethodCallOnConstant, pos, "Non-pure method '%s' cannot be called on constant", name)
	}
	return v
}

func noMethodStyle(name string) bool {
	switch name {
	case "Fn", "eval", "is_def_var":
		return true
	}
	return false
}

func (m *machine) curry(fp *FnPtr, args []Value, pos Pos) Value {
	m.allocP(int64(64+len(args))*ValueSize, pos)
	nf := &FnPtr{Name: fp.Name, fn: fp.fn, caps: fp.caps, mod: fp.mod}
	nf.Curry = append(append([]Value(nil), fp.Curry...), args...)
	return Value{k: FnPtrKind, p: unsafe.Pointer(nf)}
}

func (c *compiler) methodSite(name string, nargs int, pos Pos) *methodSite {
	s := &methodSite{name: name, nargs: nargs, pos: pos, special: name == "call" || name == "curry"}
	for _, fd := range c.prog.funcs[name] {
		if fd.nparams == nargs {
			s.script = append(s.script, fd)
		}
	}
	// typed methods first, untyped last
	typed := s.script[:0:0]
	var plain []*funcDef
	for _, fd := range s.script {
		if fd.thisType != "" {
			typed = append(typed, fd)
		} else {
			plain = append(plain, fd)
		}
	}
	s.script = append(typed, plain...)
	if fs := c.builtins.lookup(name); fs != nil && len(fs.arity(nargs+1)) > 0 {
		s.builtin = fs
	}
	s.fast = s.builtin != nil && len(s.script) == 0 && !s.special
	s.isCall = name == "call"
	return s
}

func (c *compiler) args(list []syntax.Expr) []expr {
	out := make([]expr, len(list))
	for i, a := range list {
		out[i] = c.value(a)
	}
	return out
}

// evalRecvArgs evaluates args onto the scratch stack after a free slot for
// a method's receiver and returns the slice (receiver slot first).
func evalRecvArgs(fr *frame, args []expr) (int, []Value) {
	m := fr.m
	base := len(m.args)
	m.args = append(m.args, Value{})
	for _, a := range args {
		v := a(fr)
		m.args = append(m.args, v)
	}
	return base, m.args[base:len(m.args):len(m.args)]
}

// evalArgs evaluates args onto the scratch stack and returns them.
func evalArgs(fr *frame, args []expr) (int, []Value) {
	m := fr.m
	base := len(m.args)
	for _, a := range args {
		v := a(fr)
		m.args = append(m.args, v)
	}
	return base, m.args[base:len(m.args):len(m.args)]
}

func (c *compiler) methodCall(e *syntax.MethodCallExpr) expr {
	site := c.methodSite(e.Name, len(e.Args), e.Pos)
	args := c.args(e.Args)
	elvis := e.Elvis
	if path, ok := c.lvalue(e.Recv); ok {
		if len(path.steps) == 0 && !path.isThis && path.root.kind == refSlot && !path.root.isConst {
			slot := path.root.slot
			return func(fr *frame) Value {
				m := fr.m
				if elvis && fr.slots[slot].k == UnitKind {
					return Value{k: elvisKind}
				}
				base, a := evalRecvArgs(fr, args)
				v := m.callMethod(fr, site, &fr.slots[slot], false, a)
				m.args = m.args[:base]
				return v
			}
		}
		return func(fr *frame) Value {
			m := fr.m
			if elvis {
				ptr, _ := m.rootPtr(fr, path)
				if len(path.steps) == 0 && ptr.k == UnitKind {
					return Value{k: elvisKind}
				}
			}
			base, a := evalRecvArgs(fr, args)
			op := pathOp{kind: opMethod, site: site, args: a, pos: e.Pos}
			m.modifyPath(fr, path, &op)
			m.args = m.args[:base]
			return op.result
		}
	}
	recv := c.chainBase(e.Recv)
	return func(fr *frame) Value {
		m := fr.m
		r := recv(fr)
		if r.k == elvisKind {
			return r
		}
		if elvis && r.k == UnitKind {
			return Value{k: elvisKind}
		}
		base, a := evalRecvArgs(fr, args)
		a[0] = r
		v := m.callMethod(fr, site, &a[0], false, a)
		m.args = m.args[:base]
		return v
	}
}

// ---- Function calls ----

// intrinsics are the functions the evaluator itself provides.
var intrinsicNames = map[string]bool{
	"Fn": true, "call": true, "curry": true, "is_def_fn": true, "is_def_var": true,
	"eval": true, "type_of": true, "print": true, "debug": true, "is_shared": true,
	"exit": true,
}

func isIntrinsic(name string) bool { return intrinsicNames[name] }

// keywordFns cannot be overridden by script functions.
func keywordFn(name string) bool {
	switch name {
	case "Fn", "call", "curry", "is_def_fn", "is_def_var", "is_shared":
		return true
	}
	return false
}

func (c *compiler) call(e *syntax.CallExpr) expr {
	name, n, pos := e.Name, len(e.Args), e.Pos
	if len(e.Namespace) > 0 {
		return c.nsCall(e)
	}
	if e.Bang {
		return c.bangCall(e)
	}
	if !keywordFn(name) {
		if fd := c.prog.lookupFn(name, n, true); fd != nil {
			return c.scriptCall(fd, e.Args, pos)
		}
	}
	if isIntrinsic(name) {
		if x := c.intrinsic(e); x != nil {
			return x
		}
	}
	if fs := c.builtins.lookup(name); fs != nil && len(fs.arity(n)) > 0 {
		return c.builtinCall(fs, e.Args, pos)
	}
	// a variable holding a function pointer, called like a function
	if n >= 0 {
		for i := len(c.fc.vars) - 1; i >= 0; i-- {
			if c.fc.vars[i].name == name {
				fv := c.readVar(c.fc.vars[i].ref, pos)
				args := c.args(e.Args)
				return func(fr *frame) Value {
					f := fv(fr)
					m := fr.m
					base, a := evalArgs(fr, args)
					if f.k != FnPtrKind {
						m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(name, a))
					}
					v := m.callPtr(f.FnPtr(), nil, false, a, nil, pos)
					m.args = m.args[:base]
					return v
				}
			}
		}
	}
	args := c.args(e.Args)
	return func(fr *frame) Value {
		m := fr.m
		_, a := evalArgs(fr, args)
		if fr.mod != nil && fr.mod.prog != c.prog {
			// inside an imported module, the functions are its own
			if fd := fr.mod.prog.lookupFn(name, n, true); fd != nil {
				return m.callScript(fd, fr.mod, nil, false, nil, a, pos)
			}
		}
		m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(name, a))
		return Value{}
	}
}

// scriptCall compiles a call of a known script function.
func (c *compiler) scriptCall(fd *funcDef, list []syntax.Expr, pos Pos) expr {
	args := c.args(list)
	switch len(args) {
	case 0:
		return func(fr *frame) Value {
			m := fr.m
			m.fuel -= fd.weight
			if m.fuel < m.check {
				m.slow(pos)
			}
			d := m.depth + 1
			f := m.newFrame(d, fd, pos)
			f.mod = fr.mod
			return m.enter(f, d)
		}
	case 1:
		a0 := args[0]
		return func(fr *frame) Value {
			v0 := a0(fr)
			m := fr.m
			m.fuel -= fd.weight
			if m.fuel < m.check {
				m.slow(pos)
			}
			d := m.depth + 1
			f := m.newFrame(d, fd, pos)
			f.slots[0] = v0
			if f.mod != fr.mod {
				f.mod = fr.mod
			}
			return m.enter(f, d)
		}
	case 2:
		a0, a1 := args[0], args[1]
		return func(fr *frame) Value {
			v0 := a0(fr)
			v1 := a1(fr)
			m := fr.m
			m.fuel -= fd.weight
			if m.fuel < m.check {
				m.slow(pos)
			}
			d := m.depth + 1
			f := m.newFrame(d, fd, pos)
			f.slots[0], f.slots[1] = v0, v1
			if f.mod != fr.mod {
				f.mod = fr.mod
			}
			return m.enter(f, d)
		}
	}
	return func(fr *frame) Value {
		m := fr.m
		base, a := evalArgs(fr, args)
		v := m.callScript(fd, fr.mod, nil, false, nil, a, pos)
		m.args = m.args[:base]
		return v
	}
}

// builtinCall compiles a call of a registered function. A first argument
// that is a variable is passed by reference (Rhai de-sugars f(x, …) to
// x.f(…) for native functions), so it is not copied and may be changed.
func (c *compiler) builtinCall(fs *funcSet, list []syntax.Expr, pos Pos) expr {
	var first *varRef
	var rest []expr
	if len(list) > 0 {
		if id, ok := list[0].(*syntax.Ident); ok {
			r := c.lookup(id.Name)
			if r.kind != refDyn {
				first = &r
			}
		}
	}
	if first == nil {
		args := c.args(list)
		if len(args) == 1 {
			a0 := args[0]
			return func(fr *frame) Value {
				m := fr.m
				v := a0(fr)
				base := len(m.args)
				m.args = append(m.args, v)
				a := m.args[base : base+1 : base+1]
				r := m.callBuiltin(fs, a, pos)
				m.args = m.args[:base]
				return r
			}
		}
		return func(fr *frame) Value {
			m := fr.m
			base, a := evalArgs(fr, args)
			v := m.callBuiltin(fs, a, pos)
			m.args = m.args[:base]
			return v
		}
	}
	rest = c.args(list[1:])
	ref := *first
	id := list[0].(*syntax.Ident)
	firstRead := c.readVar(ref, id.Pos)
	return func(fr *frame) Value {
		m := fr.m
		base := len(m.args)
		m.args = append(m.args, Value{})
		for _, a := range rest {
			v := a(fr)
			m.args = append(m.args, v)
		}
		a := m.args[base:len(m.args):len(m.args)]
		p := fr.refPtr(&ref)
		if p == nil {
			a[0] = firstRead(fr) // raises the right error, or a function pointer
		} else {
			a[0] = *p
		}
		ro := ref.isConst || (ref.kind == refFree && fr.freeRO != nil && fr.freeRO[ref.slot])
		if p == nil {
			v := m.callBuiltin(fs, a, pos)
			m.args = m.args[:base]
			return v
		}
		if ro {
			fn := findBuiltin(fs, a)
			if fn == nil {
				m.callBuiltin(fs, a, pos) // raises function-not-found
			}
			v := m.invokeOnConst(fn, fs.name, a, pos)
			m.args = m.args[:base]
			return v
		}
		v := m.callBuiltin(fs, a, pos)
		*p = a[0]
		m.args = m.args[:base]
		return v
	}
}

// nsCall compiles module::fn(args).
func (c *compiler) nsCall(e *syntax.CallExpr) expr {
	ns, name, n, pos := e.Namespace, e.Name, len(e.Args), e.Pos
	full := strings.Join(ns, "::") + "::" + name
	args := c.args(e.Args)
	return func(fr *frame) Value {
		m := fr.m
		base, a := evalArgs(fr, args)
		defer func() { m.args = m.args[:base] }()
		if inst := m.findNs(fr, ns); inst != nil {
			if fd := inst.prog.lookupFn(name, n, false); fd != nil {
				return m.callScript(fd, inst, nil, false, nil, a, pos)
			}
			m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(full, a))
		}
		if fs := m.modules.lookup(full); fs != nil {
			return m.callBuiltin(fs, a, pos)
		}
		if fs := m.builtins.lookup(full); fs != nil {
			return m.callBuiltin(fs, a, pos)
		}
		if len(ns) == 1 && (m.modules.HasModule(ns[0]) || m.builtins.HasModule(ns[0])) {
			m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(full, a))
		}
		m.fail(ErrorModuleNotFound, pos, "Module not found: %s", strings.Join(ns, "::"))
		return Value{}
	}
}

// findNs finds an imported module by alias path, or nil.
func (m *machine) findNs(fr *frame, ns []string) *modInst {
	inst := fr.mod
	for i, n := range ns {
		var next *modInst
		if inst.imports != nil {
			next = inst.imports[n]
		}
		if next == nil && i == 0 && inst != m.main && m.main.imports != nil {
			next = m.main.imports[n]
		}
		if next == nil {
			return nil
		}
		inst = next
	}
	return inst
}

// bangCall compiles f!(args): the function runs with access to the caller's
// variables.
func (c *compiler) bangCall(e *syntax.CallExpr) expr {
	name, n, pos := e.Name, len(e.Args), e.Pos
	snap := c.snapshot()
	args := c.args(e.Args)
	if name == "call" && n >= 1 {
		return func(fr *frame) Value {
			m := fr.m
			base, a := evalArgs(fr, args)
			defer func() { m.args = m.args[:base] }()
			if a[0].k != FnPtrKind {
				typeMismatch(m, pos, "Fn", a[0])
			}
			fp := a[0].FnPtr()
			fd := fp.fn
			if fd == nil {
				fd = fr.mod.prog.lookupFn(fp.Name, len(fp.Curry)+n-1, true)
			}
			if fd == nil {
				return m.callPtr(fp, nil, false, a[1:], nil, pos)
			}
			return m.callBang(fr, fd, snap, append(append([]Value(nil), fp.Curry...), a[1:]...), fp.caps, pos)
		}
	}
	fd := c.prog.lookupFn(name, n, true)
	return func(fr *frame) Value {
		m := fr.m
		base, a := evalArgs(fr, args)
		defer func() { m.args = m.args[:base] }()
		if fd == nil {
			m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(name, a))
		}
		return m.callBang(fr, fd, snap, a, nil, pos)
	}
}

func (m *machine) callBang(fr *frame, fd *funcDef, snap *snapshot, args []Value, caps []*cell, pos Pos) Value {
	m.fuel -= fd.weight
	if m.fuel < m.check {
		m.slow(pos)
	}
	d := m.depth + 1
	f := m.newFrame(d, fd, pos)
	copy(f.slots, args)
	f.mod = fr.mod
	f.caps = caps
	f.this = fr.this
	f.thisRO = fr.thisRO
	f.outer = &outerScope{fr: fr, snap: snap}
	return m.enter(f, d)
}
