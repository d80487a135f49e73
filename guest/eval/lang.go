package eval

import (
	"math"

	"github.com/picloud/picloud/guest/syntax"
)

// exitPanic carries the value of exit().
type exitPanic struct{ val Value }

// intrinsic compiles a call of a function the evaluator provides; nil when
// the arity does not fit (the registry is tried next).
func (c *compiler) intrinsic(e *syntax.CallExpr) expr {
	name, n, pos := e.Name, len(e.Args), e.Pos
	switch name {
	case "is_def_var":
		if n != 1 {
			return nil
		}
		snap := c.snapshot()
		arg := c.sub(e.Args[0])
		return func(fr *frame) Value {
			v := arg(fr)
			if v.k != StringKind {
				typeMismatch(fr.m, pos, "string", v)
			}
			return Bool(fr.m.isDefVar(fr, snap, v.Str()))
		}
	case "is_shared":
		if n != 1 {
			return nil
		}
		if id, ok := e.Args[0].(*syntax.Ident); ok {
			ref := c.lookup(id.Name)
			return func(fr *frame) Value {
				switch ref.kind {
				case refCell:
					cl := (*cell)(fr.slots[ref.slot].p)
					return Bool(fr.slots[ref.slot].k == cellKind && cl.shared)
				case refCap:
					return Bool(true)
				case refFree:
					if fr.free[ref.slot].k == cellKind {
						return Bool((*cell)(fr.free[ref.slot].p).shared)
					}
				}
				return Bool(false)
			}
		}
		arg := c.sub(e.Args[0])
		return func(fr *frame) Value {
			arg(fr)
			return Bool(false)
		}
	case "eval":
		if n != 1 {
			return nil
		}
		snap := c.snapshot()
		arg := c.sub(e.Args[0])
		return func(fr *frame) Value {
			v := arg(fr)
			if v.k != StringKind {
				typeMismatch(fr.m, pos, "string", v)
			}
			return fr.m.evalString(fr, snap, v.Str(), pos)
		}
	}
	args := c.args(e.Args)
	return func(fr *frame) Value {
		m := fr.m
		base, a := evalArgs(fr, args)
		v := m.callIntrinsic(fr, name, a, pos)
		m.args = m.args[:base]
		return v
	}
}

func (m *machine) callIntrinsicDyn(name string, a []Value, pos Pos) Value {
	var fr *frame
	if m.depth < len(m.frames) {
		fr = m.frames[m.depth]
	}
	return m.callIntrinsic(fr, name, a, pos)
}

func (m *machine) callIntrinsic(fr *frame, name string, a []Value, pos Pos) Value {
	n := len(a)
	switch name {
	case "type_of":
		if n == 1 {
			return Str(a[0].TypeName())
		}
	case "print":
		if n == 1 {
			if m.print != nil {
				m.print(m.display(a[0], false, pos))
			}
			return Value{}
		}
		if n == 0 {
			if m.print != nil {
				m.print("")
			}
			return Value{}
		}
	case "debug":
		if n == 1 {
			if m.debug != nil {
				m.debug(m.display(a[0], true, pos))
			}
			return Value{}
		}
	case "Fn":
		if n == 1 {
			if a[0].k != StringKind {
				typeMismatch(m, pos, "string", a[0])
			}
			s := a[0].Str()
			if !validFnName(s) {
				m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", s)
			}
			return NewFnPtr(s)
		}
	case "call":
		if n >= 1 {
			if a[0].k != FnPtrKind {
				typeMismatch(m, pos, "Fn", a[0])
			}
			rest := append([]Value(nil), a[1:]...)
			return m.callPtr(a[0].FnPtr(), nil, false, rest, nil, pos)
		}
	case "curry":
		if n >= 1 {
			if a[0].k != FnPtrKind {
				typeMismatch(m, pos, "Fn", a[0])
			}
			return m.curry(a[0].FnPtr(), a[1:], pos)
		}
	case "is_def_fn":
		if n == 2 && a[0].k == StringKind && a[1].k == IntKind {
			return Bool(m.isDefFn(fr, a[0].Str(), a[1].n))
		}
		if n == 1 && a[0].k == StringKind {
			return Bool(m.isDefFn(fr, a[0].Str(), -1))
		}
	case "is_shared":
		if n == 1 {
			return Bool(false)
		}
	case "exit":
		var v Value
		if n >= 1 {
			v = a[0]
		}
		panic(&exitPanic{val: v})
	}
	if fs := m.builtins.lookup(name); fs != nil {
		return m.callBuiltin(fs, a, pos)
	}
	m.fail(ErrorFunctionNotFound, pos, "Function not found: %s", signature(name, a))
	return Value{}
}

func validFnName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') || r > 127
		if !ok {
			return false
		}
	}
	return true
}

func (m *machine) isDefFn(fr *frame, name string, arity int64) bool {
	progs := []*Program{m.main.prog}
	if fr != nil && fr.mod != nil && fr.mod.prog != m.main.prog {
		progs = append(progs, fr.mod.prog)
	}
	for _, p := range progs {
		for _, fd := range p.funcs[name] {
			if arity < 0 || int64(fd.nparams) == arity {
				return true
			}
		}
	}
	return false
}

func (m *machine) isDefVar(fr *frame, snap *snapshot, name string) bool {
	for i := len(snap.vars) - 1; i >= 0; i-- {
		if snap.vars[i].name == name {
			return fr.refPtr(&snap.vars[i].ref) != nil
		}
	}
	if idx, ok := snap.free[name]; ok && idx < len(fr.free) {
		if p := m.freePtr(fr, idx); p != nil {
			return true
		}
		return false
	}
	return m.lookupName(fr, name) != nil
}

// ---- Assignment ----

// simpleOperand reports a plain local variable (slot >= 0) or an integer
// constant, without compiling anything else.
func (c *compiler) simpleOperand(e syntax.Expr) (slot int, k int64, ok bool) {
	switch e := e.(type) {
	case *syntax.Ident:
		if ref := c.lookup(e.Name); ref.kind == refSlot {
			return ref.slot, 0, true
		}
	case *syntax.IntLit:
		return -1, e.Value, true
	}
	return 0, 0, false
}

// fastCompound specializes `local += operand` and `local -= operand`.
func (c *compiler) fastCompound(slot int, op syntax.Op, rhs syntax.Expr, pos Pos) expr {
	rs, k, ok := c.simpleOperand(rhs)
	if !ok {
		return nil
	}
	sub := op == syntax.OpSub
	slow := func(fr *frame, a, b Value) Value {
		if b.k >= ArrayKind && b.k <= BlobKind {
			b = fr.m.cloneValue(b, pos)
		}
		fr.slots[slot] = fr.m.compound(op, a, b, pos)
		return Value{}
	}
	if rs < 0 {
		if sub {
			if k == math.MinInt64 {
				return nil
			}
			k = -k
		}
		kv := Int(k)
		if sub {
			kv = Int(-k)
		}
		return func(fr *frame) Value {
			a := fr.slots[slot]
			if a.k == IntKind {
				if s := a.n + k; (a.n^s)&(k^s) >= 0 {
					fr.slots[slot].n = s
					return Value{}
				}
			}
			return slow(fr, a, kv)
		}
	}
	return func(fr *frame) Value {
		a, b := fr.slots[slot], fr.slots[rs]
		if a.k == IntKind && b.k == IntKind {
			if sub {
				if s := a.n - b.n; (a.n^b.n)&(a.n^s) >= 0 {
					fr.slots[slot].n = s
					return Value{}
				}
			} else if s := a.n + b.n; (a.n^s)&(b.n^s) >= 0 {
				fr.slots[slot].n = s
				return Value{}
			}
		} else if a.k == FloatKind && b.k == FloatKind {
			if sub {
				fr.slots[slot] = Float(a.Float() - b.Float())
			} else {
				fr.slots[slot] = Float(a.Float() + b.Float())
			}
			return Value{}
		}
		return slow(fr, a, b)
	}
}

func (c *compiler) assign(s *syntax.AssignStmt) expr {
	rhs := c.value(s.RHS)
	op, pos := s.Op, s.Pos
	kind := opAssign
	if op != syntax.OpNone {
		kind = opCompound
	}
	switch lhs := s.LHS.(type) {
	case *syntax.Ident:
		ref := c.lookup(lhs.Name)
		name := lhs.Name
		if ref.isConst {
			return func(fr *frame) Value {
				rhs(fr)
				fr.m.fail(ErrorAssignmentToConstant, pos, "Cannot modify constant %s", name)
				return Value{}
			}
		}
		slot := ref.slot
		if ref.kind == refSlot && (op == syntax.OpAdd || op == syntax.OpSub) {
			if f := c.fastCompound(slot, op, s.RHS, pos); f != nil {
				return f
			}
		}
		if ref.kind == refSlot {
			if kind == opAssign {
				return func(fr *frame) Value {
					fr.slots[slot] = rhs(fr)
					return Value{}
				}
			}
			switch op {
			case syntax.OpAdd:
				return func(fr *frame) Value {
					b := rhs(fr)
					a := fr.slots[slot]
					if a.k == IntKind && b.k == IntKind {
						if s := a.n + b.n; (a.n^s)&(b.n^s) >= 0 {
							fr.slots[slot] = Value{k: IntKind, n: s}
							return Value{}
						}
					} else if a.k == FloatKind && b.k == FloatKind {
						fr.slots[slot] = Float(a.Float() + b.Float())
						return Value{}
					}
					fr.slots[slot] = fr.m.compound(op, a, b, pos)
					return Value{}
				}
			case syntax.OpSub:
				return func(fr *frame) Value {
					b := rhs(fr)
					a := fr.slots[slot]
					if a.k == IntKind && b.k == IntKind {
						if s := a.n - b.n; (a.n^b.n)&(a.n^s) >= 0 {
							fr.slots[slot] = Value{k: IntKind, n: s}
							return Value{}
						}
					}
					fr.slots[slot] = fr.m.compound(op, a, b, pos)
					return Value{}
				}
			}
			return func(fr *frame) Value {
				b := rhs(fr)
				fr.slots[slot] = fr.m.compound(op, fr.slots[slot], b, pos)
				return Value{}
			}
		}
		return func(fr *frame) Value {
			b := rhs(fr)
			m := fr.m
			var p *Value
			switch ref.kind {
			case refCell:
				p = &(*cell)(fr.slots[slot].p).v
			case refCap:
				p = &fr.caps[slot].v
				if p.k == undefKind {
					p = nil
				}
			case refFree:
				if fr.freeRO != nil && fr.freeRO[slot] {
					m.fail(ErrorAssignmentToConstant, pos, "Cannot modify constant %s", name)
				}
				p = m.freePtr(fr, slot)
			default:
				p = m.lookupName(fr, name)
			}
			if p == nil {
				m.varNotFound(name, lhs.Pos)
			}
			if kind == opAssign {
				*p = b
			} else {
				*p = m.compound(op, *p, b, pos)
			}
			return Value{}
		}
	case *syntax.ThisExpr:
		return func(fr *frame) Value {
			b := rhs(fr)
			m := fr.m
			if fr.this == nil {
				m.fail(ErrorUnboundThis, lhs.Pos, "'this' not bound")
			}
			if fr.thisRO {
				m.fail(ErrorAssignmentToConstant, pos, "Cannot modify constant this")
			}
			if kind == opAssign {
				*fr.this = b
			} else {
				*fr.this = m.compound(op, *fr.this, b, pos)
			}
			return Value{}
		}
	}
	path, ok := c.lvalue(s.LHS)
	if !ok {
		return func(fr *frame) Value {
			rhs(fr)
			fr.m.fail(ErrorAssignmentToConstant, pos, "Cannot assign to this expression")
			return Value{}
		}
	}
	// fast path: local[i] = v / local[i] op= v on arrays (and maps)
	if len(path.steps) == 1 && path.steps[0].isIndex && !path.isThis && path.root.kind == refSlot && !path.root.isConst && !path.steps[0].elvis {
		slot := path.root.slot
		idx := path.steps[0].idx
		ipos := path.steps[0].pos
		is, ik, simple := -1, int64(0), false
		if ix, ok := s.LHS.(*syntax.IndexExpr); ok {
			is, ik, simple = c.simpleOperand(ix.Index)
		}
		return func(fr *frame) Value {
			b := rhs(fr)
			base := fr.slots[slot]
			var i Value
			switch {
			case simple && is >= 0:
				i = fr.slots[is]
			case simple:
				i = Value{k: IntKind, n: ik}
			default:
				i = idx(fr)
			}
			if base.k == ArrayKind {
				el := (*Array)(base.p).Elems
				if i.k == IntKind && i.n >= 0 && i.n < int64(len(el)) {
					if kind == opAssign {
						el[i.n] = b
						return Value{}
					}
					a := el[i.n]
					if op == syntax.OpAdd && a.k == IntKind && b.k == IntKind {
						if s := a.n + b.n; (a.n^s)&(b.n^s) >= 0 {
							el[i.n].n = s
							return Value{}
						}
					}
					el[i.n] = fr.m.compound(op, a, b, pos)
					return Value{}
				}
			} else if base.k == MapKind && kind == opAssign && i.k == StringKind {
				fr.m.mapSet(base.Map(), i.Str(), b, ipos)
				return Value{}
			}
			p := lpath{root: path.root, pos: path.pos, steps: []lstep{{isIndex: true, idx: constExpr(i), pos: ipos}}}
			o := pathOp{kind: kind, op: op, rhs: b, pos: pos}
			fr.m.modifyPath(fr, &p, &o)
			return Value{}
		}
	}
	return func(fr *frame) Value {
		b := rhs(fr)
		o := pathOp{kind: kind, op: op, rhs: b, pos: pos}
		fr.m.modifyPath(fr, path, &o)
		return Value{}
	}
}
