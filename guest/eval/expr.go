package eval

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/picloud/picloud/guest/syntax"
)

func constExpr(v Value) expr { return func(*frame) Value { return v } }

func (c *compiler) expr(e syntax.Expr) expr {
	switch e := e.(type) {
	case *syntax.IntLit:
		return constExpr(Int(e.Value))
	case *syntax.FloatLit:
		return constExpr(Float(e.Value))
	case *syntax.BoolLit:
		return constExpr(Bool(e.Value))
	case *syntax.CharLit:
		return constExpr(Char(e.Value))
	case *syntax.StringLit:
		return constExpr(Str(e.Value))
	case *syntax.UnitLit:
		return constExpr(Value{})
	case *syntax.InterpString:
		return c.interp(e)
	case *syntax.ArrayLit:
		return c.arrayLit(e)
	case *syntax.MapLit:
		return c.mapLit(e)
	case *syntax.Ident:
		return c.ident(e)
	case *syntax.NsIdent:
		return c.nsIdent(e)
	case *syntax.ThisExpr:
		pos := e.Pos
		return func(fr *frame) Value {
			if fr.this == nil {
				fr.m.fail(ErrorUnboundThis, pos, "'this' not bound")
			}
			return *fr.this
		}
	case *syntax.UnaryExpr:
		return c.unary(e)
	case *syntax.BinaryExpr:
		return c.binary(e)
	case *syntax.IndexExpr, *syntax.DotExpr, *syntax.MethodCallExpr:
		return c.chain(e, false)
	case *syntax.CallExpr:
		return c.call(e)
	case *syntax.ClosureExpr:
		return c.closure(e)
	case *syntax.Block:
		return c.block(e)
	case *syntax.IfExpr:
		return c.ifExpr(e)
	case *syntax.SwitchExpr:
		return c.switchExpr(e)
	case *syntax.WhileExpr:
		return c.whileExpr(e)
	case *syntax.LoopExpr:
		return c.loopExpr(e)
	case *syntax.DoExpr:
		return c.doExpr(e)
	case *syntax.ForExpr:
		return c.forExpr(e)
	}
	panic(fmt.Sprintf("eval: unknown expression %T", e))
}

func (c *compiler) interp(e *syntax.InterpString) expr {
	parts := make([]expr, len(e.Parts))
	lits := make([]string, len(e.Parts))
	isLit := make([]bool, len(e.Parts))
	for i, p := range e.Parts {
		if s, ok := p.(*syntax.StringLit); ok {
			lits[i], isLit[i] = s.Value, true
			continue
		}
		parts[i] = c.sub(p)
	}
	pos := e.Pos
	return func(fr *frame) Value {
		m := fr.m
		buf := m.sbuf[:0]
		m.sbuf = nil // a nested interpolation builds in its own buffer
		for i, p := range parts {
			if isLit[i] {
				buf = append(buf, lits[i]...)
				continue
			}
			buf = m.appendDisplay(buf, p(fr), pos)
		}
		v := m.newString(string(buf), pos)
		m.sbuf = buf[:0]
		return v
	}
}

// appendDisplay appends v as to_string shows it.
func (m *machine) appendDisplay(buf []byte, v Value, pos Pos) []byte {
	switch v.k {
	case StringKind:
		return append(buf, v.Str()...)
	case IntKind:
		return strconv.AppendInt(buf, v.n, 10)
	case CharKind:
		return utf8.AppendRune(buf, v.Char())
	case BoolKind:
		return strconv.AppendBool(buf, v.n != 0)
	case UnitKind:
		return buf
	}
	return append(buf, m.display(v, false, pos)...)
}

// display formats a value for print, debug, interpolation and string
// concatenation, bounded by the string size limit (or maxDisplay) and paid
// for in fuel and memory.
func (m *machine) display(v Value, debug bool, pos Pos) string {
	limit := m.limits.MaxStringLen
	if limit <= 0 {
		limit = maxDisplay
	}
	s, ok := v.Format(debug, limit)
	if !ok {
		m.fail(ErrorDataTooLarge, pos, "Length of string too large")
	}
	if len(s) > 64 {
		m.fuel -= int64(len(s) / 64)
		m.allocP(int64(len(s)), pos)
	}
	return s
}

// maxDisplay caps the text of one value when the host sets no string limit;
// maxMessage caps a thrown value's text in an error message.
const (
	maxDisplay = 64 << 20
	maxMessage = 4096
)

func (c *compiler) arrayLit(e *syntax.ArrayLit) expr {
	elems := make([]expr, len(e.Elems))
	for i, x := range e.Elems {
		elems[i] = c.value(x)
	}
	pos := e.Pos
	n := len(elems)
	return func(fr *frame) Value {
		m := fr.m
		m.checkLenP(ArrayKind, n, pos)
		m.allocP(int64(n)*ValueSize+24, pos)
		out := make([]Value, n)
		for i, x := range elems {
			out[i] = x(fr)
		}
		return NewArray(out)
	}
}

func (c *compiler) mapLit(e *syntax.MapLit) expr {
	keys := make([]string, len(e.Entries))
	vals := make([]expr, len(e.Entries))
	var bytes int64
	for i, en := range e.Entries {
		keys[i] = en.Key
		vals[i] = c.value(en.Value)
		bytes += int64(len(en.Key)) + MapEntrySize
	}
	pos := e.Pos
	return func(fr *frame) Value {
		m := fr.m
		m.checkLenP(MapKind, len(keys), pos)
		m.allocP(bytes+48, pos)
		mp := NewMapCap(len(keys))
		for i, k := range keys {
			mp.Set(k, vals[i](fr))
		}
		return MapOf(mp)
	}
}

// readVar compiles a read of a resolved variable.
func (c *compiler) readVar(ref varRef, pos Pos) expr {
	slot, name := ref.slot, ref.name
	switch ref.kind {
	case refSlot:
		return func(fr *frame) Value { return fr.slots[slot] }
	case refCell:
		return func(fr *frame) Value { return (*cell)(fr.slots[slot].p).v }
	case refCap:
		return func(fr *frame) Value {
			v := fr.caps[slot].v
			if v.k == undefKind {
				return fr.m.missingVar(fr, name, pos)
			}
			return v
		}
	case refFree:
		return func(fr *frame) Value {
			if v := fr.free[slot]; v.k != undefKind {
				if v.k == cellKind {
					return (*cell)(v.p).v
				}
				return v
			}
			if p := fr.m.freePtr(fr, slot); p != nil {
				return *p
			}
			return fr.m.missingVar(fr, name, pos)
		}
	default:
		return func(fr *frame) Value {
			if p := fr.m.lookupName(fr, name); p != nil {
				return *p
			}
			return fr.m.missingVar(fr, name, pos)
		}
	}
}

// missingVar handles a name that is no variable: a script function's name
// reads as a function pointer to it; anything else is an error.
func (m *machine) missingVar(fr *frame, name string, pos Pos) Value {
	if fr.mod != nil {
		if _, ok := fr.mod.prog.funcs[name]; ok {
			return NewFnPtr(name)
		}
	}
	m.varNotFound(name, pos)
	return Value{}
}

func (c *compiler) ident(e *syntax.Ident) expr {
	return c.readVar(c.lookup(e.Name), e.Pos)
}

func (c *compiler) nsIdent(e *syntax.NsIdent) expr {
	ns, name, pos := e.Namespace, e.Name, e.Pos
	full := strings.Join(ns, "::") + "::" + name
	return func(fr *frame) Value {
		m := fr.m
		if len(ns) == 1 && ns[0] == "global" {
			if fr.mod.imports == nil || fr.mod.imports["global"] == nil {
				if v, ok := fr.mod.consts[name]; ok {
					return v
				}
				m.varNotFound(full, pos)
			}
		}
		inst := m.resolveNs(fr, ns, pos)
		if v, ok := inst.exports[name]; ok {
			return v
		}
		m.varNotFound(full, pos)
		return Value{}
	}
}

// resolveNs finds the module instance a namespace path names.
func (m *machine) resolveNs(fr *frame, ns []string, pos Pos) *modInst {
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
			m.fail(ErrorModuleNotFound, pos, "Module not found: %s", strings.Join(ns[:i+1], "::"))
		}
		inst = next
	}
	return inst
}

func (c *compiler) unary(e *syntax.UnaryExpr) expr {
	x := c.sub(e.X)
	op, pos := e.Op, e.Pos
	switch op {
	case syntax.OpNot:
		return func(fr *frame) Value {
			v := x(fr)
			if v.k == BoolKind {
				return Value{k: BoolKind, n: v.n ^ 1}
			}
			return fr.m.unop(op, v, pos)
		}
	case syntax.OpNeg:
		return func(fr *frame) Value {
			v := x(fr)
			if v.k == IntKind && v.n != math.MinInt64 {
				return Value{k: IntKind, n: -v.n}
			}
			return fr.m.unop(op, v, pos)
		}
	}
	return func(fr *frame) Value { return fr.m.unop(op, x(fr), pos) }
}

func (c *compiler) binary(e *syntax.BinaryExpr) expr {
	op, pos := e.Op, e.Pos
	switch op {
	case syntax.OpAnd, syntax.OpOr:
		x, y := c.sub(e.X), c.sub(e.Y)
		isAnd := op == syntax.OpAnd
		return func(fr *frame) Value {
			a := x(fr)
			if a.k != BoolKind {
				fr.m.fail(ErrorMismatchDataType, e.X.Position(), "Data type incorrect: %s (expecting bool)", a.TypeName())
			}
			if (a.n != 0) != isAnd {
				return a
			}
			b := y(fr)
			if b.k != BoolKind {
				fr.m.fail(ErrorMismatchDataType, e.Y.Position(), "Data type incorrect: %s (expecting bool)", b.TypeName())
			}
			return b
		}
	case syntax.OpCoalesce:
		x, y := c.sub(e.X), c.sub(e.Y)
		return func(fr *frame) Value {
			if a := x(fr); a.k != UnitKind {
				return a
			}
			return y(fr)
		}
	case syntax.OpIn, syntax.OpNotIn:
		x, y := c.sub(e.X), c.sub(e.Y)
		neg := op == syntax.OpNotIn
		return func(fr *frame) Value {
			a := x(fr)
			b := y(fr)
			return Bool(fr.m.contains(a, b, pos) != neg)
		}
	}
	if f := c.fastBinary(e); f != nil {
		return f
	}
	x := c.sub(e.X)
	// Specializations for an integer constant on the right (n - 1, i < n…).
	if lit, ok := e.Y.(*syntax.IntLit); ok {
		k := lit.Value
		kv := Int(k)
		switch op {
		case syntax.OpAdd:
			return func(fr *frame) Value {
				a := x(fr)
				if a.k == IntKind {
					if s := a.n + k; (a.n^s)&(k^s) >= 0 {
						return Value{k: IntKind, n: s}
					}
				}
				return fr.m.binop(op, a, kv, pos)
			}
		case syntax.OpSub:
			return func(fr *frame) Value {
				a := x(fr)
				if a.k == IntKind {
					if s := a.n - k; (a.n^k)&(a.n^s) >= 0 {
						return Value{k: IntKind, n: s}
					}
				}
				return fr.m.binop(op, a, kv, pos)
			}
		case syntax.OpLt:
			return func(fr *frame) Value {
				if a := x(fr); a.k == IntKind {
					return Bool(a.n < k)
				} else {
					return fr.m.binop(op, a, kv, pos)
				}
			}
		case syntax.OpLe:
			return func(fr *frame) Value {
				if a := x(fr); a.k == IntKind {
					return Bool(a.n <= k)
				} else {
					return fr.m.binop(op, a, kv, pos)
				}
			}
		case syntax.OpGt:
			return func(fr *frame) Value {
				if a := x(fr); a.k == IntKind {
					return Bool(a.n > k)
				} else {
					return fr.m.binop(op, a, kv, pos)
				}
			}
		case syntax.OpGe:
			return func(fr *frame) Value {
				if a := x(fr); a.k == IntKind {
					return Bool(a.n >= k)
				} else {
					return fr.m.binop(op, a, kv, pos)
				}
			}
		case syntax.OpEq:
			return func(fr *frame) Value {
				if a := x(fr); a.k == IntKind {
					return Bool(a.n == k)
				} else {
					return fr.m.binop(op, a, kv, pos)
				}
			}
		case syntax.OpNe:
			return func(fr *frame) Value {
				if a := x(fr); a.k == IntKind {
					return Bool(a.n != k)
				} else {
					return fr.m.binop(op, a, kv, pos)
				}
			}
		case syntax.OpMod:
			if k > 0 {
				return func(fr *frame) Value {
					if a := x(fr); a.k == IntKind {
						return Value{k: IntKind, n: a.n % k}
					} else {
						return fr.m.binop(op, a, kv, pos)
					}
				}
			}
		}
	}
	y := c.sub(e.Y)
	switch op {
	case syntax.OpAdd:
		return func(fr *frame) Value {
			a, b := x(fr), y(fr)
			if a.k == IntKind && b.k == IntKind {
				if s := a.n + b.n; (a.n^s)&(b.n^s) >= 0 {
					return Value{k: IntKind, n: s}
				}
			} else if a.k == FloatKind && b.k == FloatKind {
				return Float(a.Float() + b.Float())
			} else if a.k == StringKind && b.k == StringKind {
				return fr.m.addStrings(a, b.Str(), pos)
			}
			return fr.m.binop(op, a, b, pos)
		}
	case syntax.OpSub:
		return func(fr *frame) Value {
			a, b := x(fr), y(fr)
			if a.k == IntKind && b.k == IntKind {
				if s := a.n - b.n; (a.n^b.n)&(a.n^s) >= 0 {
					return Value{k: IntKind, n: s}
				}
			} else if a.k == FloatKind && b.k == FloatKind {
				return Float(a.Float() - b.Float())
			}
			return fr.m.binop(op, a, b, pos)
		}
	case syntax.OpMul:
		return func(fr *frame) Value {
			a, b := x(fr), y(fr)
			if a.k == FloatKind && b.k == FloatKind {
				return Float(a.Float() * b.Float())
			}
			return fr.m.binop(op, a, b, pos)
		}
	case syntax.OpLt, syntax.OpLe, syntax.OpGt, syntax.OpGe, syntax.OpEq, syntax.OpNe:
		return func(fr *frame) Value {
			a, b := x(fr), y(fr)
			if a.k == IntKind && b.k == IntKind {
				var r bool
				switch op {
				case syntax.OpLt:
					r = a.n < b.n
				case syntax.OpLe:
					r = a.n <= b.n
				case syntax.OpGt:
					r = a.n > b.n
				case syntax.OpGe:
					r = a.n >= b.n
				case syntax.OpEq:
					r = a.n == b.n
				default:
					r = a.n != b.n
				}
				return Bool(r)
			}
			return fr.m.binop(op, a, b, pos)
		}
	}
	return func(fr *frame) Value {
		a, b := x(fr), y(fr)
		return fr.m.binop(op, a, b, pos)
	}
}

// operand shapes for the specialized operators
type operand struct {
	slot int   // >= 0: a plain local variable
	isK  bool  // an integer constant
	k    int64 // the constant
	x    expr
}

func (c *compiler) operand(e syntax.Expr) operand {
	switch e := e.(type) {
	case *syntax.Ident:
		if ref := c.lookup(e.Name); ref.kind == refSlot {
			return operand{slot: ref.slot}
		}
	case *syntax.IntLit:
		return operand{slot: -1, isK: true, k: e.Value}
	}
	return operand{slot: -1, x: c.sub(e)}
}

// fastBinary returns a closure specialized for the operand shapes of an
// arithmetic or comparison operator, or nil.
func (c *compiler) fastBinary(e *syntax.BinaryExpr) expr {
	switch e.Op {
	case syntax.OpAdd, syntax.OpSub, syntax.OpMul, syntax.OpLt, syntax.OpLe, syntax.OpGt, syntax.OpGe, syntax.OpEq, syntax.OpNe:
	default:
		return nil
	}
	l, r := c.operand(e.X), c.operand(e.Y)
	op, pos := e.Op, e.Pos
	if l.isK {
		l = operand{slot: -1, x: constExpr(Int(l.k))}
	}
	switch {
	case l.slot >= 0 && r.isK:
		return binSlotConstFor(op, l.slot, r.k, Int(r.k), pos)
	case l.slot >= 0 && r.slot >= 0:
		return binSlotSlotFor(op, l.slot, r.slot, pos)
	case l.slot >= 0:
		return binSlotExprFor(op, l.slot, r.x, pos)
	case r.isK:
		return binExprConstFor(op, l.x, r.k, Int(r.k), pos)
	case r.slot >= 0:
		return binExprSlotFor(op, l.x, r.slot, pos)
	}
	return binExprExprFor(op, l.x, r.x, pos)
}

// truth checks that a condition's value is a bool.
func (m *machine) truth(v Value, pos Pos) bool {
	if v.k != BoolKind {
		m.fail(ErrorMismatchDataType, pos, "Data type incorrect: %s (expecting bool)", v.TypeName())
	}
	return v.n != 0
}

// cond compiles a condition that must be a bool.
func (c *compiler) cond(e syntax.Expr) func(fr *frame) bool {
	if b, ok := e.(*syntax.BinaryExpr); ok {
		switch b.Op {
		case syntax.OpLt, syntax.OpLe, syntax.OpGt, syntax.OpGe, syntax.OpEq, syntax.OpNe:
			l, r := c.operand(b.X), c.operand(b.Y)
			op, pos := b.Op, b.Pos
			if l.isK {
				l = operand{slot: -1, x: constExpr(Int(l.k))}
			}
			switch {
			case l.slot >= 0 && r.isK:
				return condSlotConstFor(op, l.slot, r.k, Int(r.k), pos)
			case l.slot >= 0 && r.slot >= 0:
				return condSlotSlotFor(op, l.slot, r.slot, pos)
			case l.slot >= 0:
				return condSlotExprFor(op, l.slot, r.x, pos)
			case r.isK:
				return condExprConstFor(op, l.x, r.k, Int(r.k), pos)
			case r.slot >= 0:
				return condExprSlotFor(op, l.x, r.slot, pos)
			}
			return condExprExprFor(op, l.x, r.x, pos)
		}
	}
	if id, ok := e.(*syntax.Ident); ok {
		if ref := c.lookup(id.Name); ref.kind == refSlot {
			slot, pos := ref.slot, id.Pos
			return func(fr *frame) bool {
				v := fr.slots[slot]
				if v.k == BoolKind {
					return v.n != 0
				}
				return fr.m.truth(v, pos)
			}
		}
	}
	x := c.sub(e)
	pos := e.Position()
	return func(fr *frame) bool {
		v := x(fr)
		if v.k != BoolKind {
			fr.m.fail(ErrorMismatchDataType, pos, "Data type incorrect: %s (expecting bool)", v.TypeName())
		}
		return v.n != 0
	}
}

func (c *compiler) ifExpr(e *syntax.IfExpr) expr {
	cond := c.cond(e.Cond)
	then := c.block(e.Then)
	var els expr
	if e.Else != nil {
		els = c.expr(e.Else)
	}
	if els == nil {
		return func(fr *frame) Value {
			if cond(fr) {
				return then(fr)
			}
			return Value{}
		}
	}
	return func(fr *frame) Value {
		if cond(fr) {
			return then(fr)
		}
		return els(fr)
	}
}

type switchCase struct {
	vals  []Value
	rng   []*Range
	guard func(fr *frame) bool
	body  expr
}

func (c *compiler) switchExpr(e *syntax.SwitchExpr) expr {
	x := c.sub(e.X)
	cases := make([]switchCase, len(e.Cases))
	for i, sc := range e.Cases {
		var cs switchCase
		for _, v := range sc.Values {
			if b, ok := v.(*syntax.BinaryExpr); ok && (b.Op == syntax.OpRange || b.Op == syntax.OpRangeIncl) {
				lo, _ := b.X.(*syntax.IntLit)
				hi, _ := b.Y.(*syntax.IntLit)
				if lo != nil && hi != nil {
					cs.rng = append(cs.rng, &Range{Start: lo.Value, End: hi.Value, Inclusive: b.Op == syntax.OpRangeIncl})
					continue
				}
			}
			cs.vals = append(cs.vals, c.constValue(v))
		}
		if sc.Guard != nil {
			cs.guard = c.cond(sc.Guard)
		}
		cs.body = c.expr(sc.Body)
		cases[i] = cs
	}
	var def expr
	if e.Default != nil {
		def = c.expr(e.Default)
	}
	return func(fr *frame) Value {
		v := x(fr)
		for i := range cases {
			cs := &cases[i]
			hit := false
			for _, cv := range cs.vals {
				if switchEq(cv, v) {
					hit = true
					break
				}
			}
			if !hit && v.k == IntKind {
				for _, r := range cs.rng {
					if r.Contains(v.n) {
						hit = true
						break
					}
				}
			}
			if hit && (cs.guard == nil || cs.guard(fr)) {
				return cs.body(fr)
			}
		}
		if def != nil {
			return def(fr)
		}
		return Value{}
	}
}

// switchEq matches a switch value: same type and equal (Rhai hashes the
// value, so 1 does not match 1.0).
func switchEq(a, b Value) bool {
	if a.k != b.k {
		return false
	}
	if a.k == FloatKind {
		return a.n == b.n
	}
	return Equal(a, b)
}

// constValue evaluates a constant expression (switch case values) at compile
// time.
func (c *compiler) constValue(e syntax.Expr) Value {
	switch e := e.(type) {
	case *syntax.IntLit:
		return Int(e.Value)
	case *syntax.FloatLit:
		return Float(e.Value)
	case *syntax.BoolLit:
		return Bool(e.Value)
	case *syntax.CharLit:
		return Char(e.Value)
	case *syntax.StringLit:
		return Str(e.Value)
	case *syntax.UnitLit:
		return Value{}
	case *syntax.UnaryExpr:
		v := c.constValue(e.X)
		if e.Op == syntax.OpNeg {
			if v.k == IntKind {
				return Int(-v.n)
			}
			if v.k == FloatKind {
				return Float(-v.Float())
			}
		}
		return v
	case *syntax.ArrayLit:
		out := make([]Value, len(e.Elems))
		for i, x := range e.Elems {
			out[i] = c.constValue(x)
		}
		return NewArray(out)
	case *syntax.MapLit:
		mp := NewMapCap(len(e.Entries))
		for _, en := range e.Entries {
			mp.Set(en.Key, c.constValue(en.Value))
		}
		return MapOf(mp)
	case *syntax.BinaryExpr:
		if e.Op == syntax.OpRange || e.Op == syntax.OpRangeIncl {
			a, b := c.constValue(e.X), c.constValue(e.Y)
			return NewRange(a.n, b.n, e.Op == syntax.OpRangeIncl)
		}
	}
	return Value{}
}

// Loops. A loop body runs with brkNonTail reset; break and continue set
// frame.ctl (or panic when inside an expression, in which case the loop
// recovers them per iteration).

func (c *compiler) loopBody(b *syntax.Block) (expr, int64) {
	lc := &loopCtx{}
	fc := c.fc
	fc.loops = append(fc.loops, lc)
	saved := fc.brkNonTail
	fc.brkNonTail = 0
	w0 := fc.weight
	body := c.block(b)
	weight := fc.weight - w0 + 1
	fc.weight = w0
	fc.brkNonTail = saved
	fc.loops = fc.loops[:len(fc.loops)-1]
	if lc.panics {
		inner := body
		body = func(fr *frame) (v Value) {
			defer func() {
				if r := recover(); r != nil {
					if cp, ok := r.(*ctlPanic); ok && cp.kind != ctlReturn {
						fr.ctl = cp.kind
						fr.ret = cp.val
						return
					}
					panic(r)
				}
			}()
			return inner(fr)
		}
	}
	return body, weight
}

// loopCtl handles frame.ctl after a loop body: done reports whether the
// loop ends, with its value.
func loopCtl(fr *frame) (done bool, v Value) {
	switch fr.ctl {
	case ctlBreak:
		fr.ctl = ctlNone
		v = fr.ret
		fr.ret = Value{}
		return true, v
	case ctlContinue:
		fr.ctl = ctlNone
		fr.ret = Value{}
		return false, Value{}
	}
	return true, Value{} // return: leave ctl set
}

func (c *compiler) whileExpr(e *syntax.WhileExpr) expr {
	cond := c.cond(e.Cond)
	body, weight := c.loopBody(e.Body)
	pos := e.Pos
	return func(fr *frame) Value {
		m := fr.m
		for {
			m.fuel -= weight
			if m.fuel < m.check {
				m.slow(pos)
			}
			if !cond(fr) {
				return Value{}
			}
			body(fr)
			if fr.ctl != ctlNone {
				if done, v := loopCtl(fr); done {
					return v
				}
			}
		}
	}
}

func (c *compiler) loopExpr(e *syntax.LoopExpr) expr {
	body, weight := c.loopBody(e.Body)
	pos := e.Pos
	return func(fr *frame) Value {
		m := fr.m
		for {
			m.fuel -= weight
			if m.fuel < m.check {
				m.slow(pos)
			}
			body(fr)
			if fr.ctl != ctlNone {
				if done, v := loopCtl(fr); done {
					return v
				}
			}
		}
	}
}

func (c *compiler) doExpr(e *syntax.DoExpr) expr {
	body, weight := c.loopBody(e.Body)
	cond := c.cond(e.Cond)
	until := e.Until
	pos := e.Pos
	return func(fr *frame) Value {
		m := fr.m
		for {
			m.fuel -= weight
			if m.fuel < m.check {
				m.slow(pos)
			}
			body(fr)
			if fr.ctl != ctlNone {
				if done, v := loopCtl(fr); done {
					return v
				}
			}
			if cond(fr) == until {
				return Value{}
			}
		}
	}
}

// forLoop is a compiled for loop.
type forLoop struct {
	vref, cref varRef
	hasCounter bool
	body       expr
	weight     int64
	pos        Pos
}

// set stores a loop variable (one shared cell for the whole loop when a
// closure captures it, as Rhai's loop variable is one variable).
func (l *forLoop) set(fr *frame, ref *varRef, v Value) {
	if ref.kind == refCell {
		if fr.slots[ref.slot].k == cellKind {
			(*cell)(fr.slots[ref.slot].p).v = v
			return
		}
		fr.slots[ref.slot] = Value{k: cellKind, p: unsafe.Pointer(&cell{v: v})}
		return
	}
	fr.slots[ref.slot] = v
}

// step runs one iteration; done reports that the loop ends, with its value.
func (l *forLoop) step(fr *frame, i int64, v Value) (bool, Value) {
	m := fr.m
	m.fuel -= l.weight
	if m.fuel < m.check {
		m.slow(l.pos)
	}
	if l.vref.kind == refSlot {
		fr.slots[l.vref.slot] = v
	} else {
		l.set(fr, &l.vref, v)
	}
	if l.hasCounter {
		l.set(fr, &l.cref, Int(i))
	}
	l.body(fr)
	if fr.ctl != ctlNone {
		return loopCtl(fr)
	}
	return false, Value{}
}

func (c *compiler) forExpr(e *syntax.ForExpr) expr {
	// Range literal: iterate without building a range value.
	var lo, hi expr
	incl := false
	if b, ok := e.Iter.(*syntax.BinaryExpr); ok && (b.Op == syntax.OpRange || b.Op == syntax.OpRangeIncl) {
		lo, hi = c.sub(b.X), c.sub(b.Y)
		incl = b.Op == syntax.OpRangeIncl
	}
	var iter expr
	if lo == nil {
		iter = c.sub(e.Iter)
	}
	nv, next := c.openScope()
	l := &forLoop{pos: e.Pos}
	l.vref = c.declare(e.Var, false)
	l.hasCounter = e.Counter != nil
	if l.hasCounter {
		l.cref = c.declare(e.Counter, false)
	}
	l.body, l.weight = c.loopBody(e.Body)
	c.closeScope(nv, next)
	pos := e.Pos
	iterPos := e.Iter.Position()
	body := l.body
	weight := l.weight
	vslot := l.vref.slot
	plain := l.vref.kind == refSlot && !l.hasCounter
	rangeOp := syntax.OpRange
	if incl {
		rangeOp = syntax.OpRangeIncl
	}
	return func(fr *frame) Value {
		m := fr.m
		if l.vref.kind == refCell {
			fr.slots[vslot] = Value{}
		}
		if l.hasCounter && l.cref.kind == refCell {
			fr.slots[l.cref.slot] = Value{}
		}
		if lo == nil {
			return m.forEach(fr, l, iter(fr), iterPos)
		}
		a, b := lo(fr), hi(fr)
		if a.k != IntKind || b.k != IntKind {
			return m.forEach(fr, l, m.binop(rangeOp, a, b, iterPos), iterPos)
		}
		from, to := a.n, b.n
		if !incl {
			if to <= from {
				return Value{}
			}
			to--
		}
		if to < from {
			return Value{}
		}
		if plain {
			for i := from; ; i++ {
				m.fuel -= weight
				if m.fuel < m.check {
					m.slow(pos)
				}
				fr.slots[vslot] = Value{k: IntKind, n: i}
				body(fr)
				if fr.ctl != ctlNone {
					if done, v := loopCtl(fr); done {
						return v
					}
				}
				if i == to {
					return Value{}
				}
			}
		}
		var n int64
		for i := from; ; i++ {
			if done, v := l.step(fr, n, Int(i)); done {
				return v
			}
			n++
			if i == to {
				return Value{}
			}
		}
	}
}

// forEach iterates over a value: arrays (elements copied; the loop runs over
// the elements present when it starts), strings (chars), blobs (bytes) and
// ranges. Maps are not iterable (use keys() or values()).
func (m *machine) forEach(fr *frame, l *forLoop, v Value, pos Pos) Value {
	switch v.k {
	case ArrayKind:
		arr := v.Array()
		n := len(arr.Elems)
		if l.vref.kind == refSlot && !l.hasCounter {
			slot := l.vref.slot
			for i := 0; i < n && i < len(arr.Elems); i++ {
				m.fuel -= l.weight
				if m.fuel < m.check {
					m.slow(l.pos)
				}
				e := arr.Elems[i]
				if e.k >= ArrayKind && e.k <= BlobKind {
					e = m.cloneValue(e, pos)
				}
				fr.slots[slot] = e
				l.body(fr)
				if fr.ctl != ctlNone {
					if done, r := loopCtl(fr); done {
						return r
					}
				}
			}
			return Value{}
		}
		for i := 0; i < n && i < len(arr.Elems); i++ {
			e := arr.Elems[i]
			if e.k >= ArrayKind && e.k <= BlobKind {
				e = m.cloneValue(e, pos)
			}
			if done, r := l.step(fr, int64(i), e); done {
				return r
			}
		}
	case StringKind:
		var i int64
		for _, r := range v.Str() {
			if done, x := l.step(fr, i, Char(r)); done {
				return x
			}
			i++
		}
	case BlobKind:
		b := v.Blob()
		n := len(b.B)
		for i := 0; i < n && i < len(b.B); i++ {
			if done, r := l.step(fr, int64(i), Int(int64(b.B[i]))); done {
				return r
			}
		}
	case IterKind:
		next := v.Iter().Start()
		for n := int64(0); ; n++ {
			x, ok := next()
			if !ok {
				break
			}
			if done, r := l.step(fr, n, x); done {
				return r
			}
		}
	case RangeKind:
		r := v.Range()
		from, to := r.Start, r.End
		if !r.Inclusive {
			if to <= from {
				return Value{}
			}
			to--
		}
		if to < from {
			return Value{}
		}
		var n int64
		for i := from; ; i++ {
			if done, x := l.step(fr, n, Int(i)); done {
				return x
			}
			n++
			if i == to {
				break
			}
		}
	default:
		if fs := m.builtins.lookup("$iter"); fs != nil {
			base := len(m.args)
			m.args = append(m.args, v)
			args := m.args[base : base+1 : base+1]
			if fn := findBuiltin(fs, args); fn != nil {
				it := m.invoke(fn, "$iter", args, pos)
				m.args = m.args[:base]
				if it.k == ArrayKind {
					return m.forEach(fr, l, it, pos)
				}
			}
			m.args = m.args[:base]
		}
		m.fail(ErrorFor, pos, "For loop expects iterable type")
	}
	return Value{}
}

func (c *compiler) closure(e *syntax.ClosureExpr) expr { return c.closureAt(e, -1) }

// closureAt compiles a closure expression; pool >= 0 is the slot of the
// variable its value is stored in, when poolableVars proved the closure never
// escapes it: a closure of this site still in that slot is dead and reused.
func (c *compiler) closureAt(e *syntax.ClosureExpr, pool int) expr {
	c.anonSeq++
	fd := &funcDef{
		name:    fmt.Sprintf("anon$%d_%d", e.Pos.Line, e.Pos.Col),
		nparams: len(e.Params),
		prog:    c.prog,
		anon:    true,
		pos:     e.Pos,
	}
	var body []syntax.Stmt
	if b, ok := e.Body.(*syntax.Block); ok {
		body = b.Stmts
	} else {
		body = []syntax.Stmt{&syntax.ExprStmt{X: e.Body}}
	}
	fc := c.compileFn(fd, c.fc, e.Params, body)
	caps := fc.capList
	pos := e.Pos
	bytes := int64(64 + 8*len(caps))
	return func(fr *frame) Value {
		m := fr.m
		var fp *FnPtr
		if pool >= 0 {
			if v := fr.slots[pool]; v.k == FnPtrKind && (*FnPtr)(v.p).fn == fd {
				fp = (*FnPtr)(v.p)
				*fp = FnPtr{}
			}
		}
		if fp == nil {
			m.allocP(bytes, pos)
			fp = m.newFnPtr()
		}
		fp.Name, fp.fn, fp.mod = fd.name, fd, fr.mod
		if len(caps) > 0 {
			if len(caps) <= len(fp.cap2) {
				fp.caps = fp.cap2[:len(caps):len(caps)]
			} else {
				fp.caps = make([]*cell, len(caps))
			}
			for i := range caps {
				fp.caps[i] = m.captureCell(fr, &caps[i].from)
			}
		}
		return Value{k: FnPtrKind, p: unsafe.Pointer(fp)}
	}
}

// captureCell returns the shared cell of a captured variable.
func (m *machine) captureCell(fr *frame, r *varRef) *cell {
	switch r.kind {
	case refCell:
		v := fr.slots[r.slot]
		if v.k == cellKind {
			cl := (*cell)(v.p)
			cl.shared = true
			return cl
		}
		cl := &cell{v: v, shared: true}
		fr.slots[r.slot] = Value{k: cellKind, p: unsafe.Pointer(cl)}
		return cl
	case refCap:
		cl := fr.caps[r.slot]
		cl.shared = true
		return cl
	case refSlot:
		// only in pass 1
		return &cell{v: fr.slots[r.slot]}
	case refFree:
		p := &fr.free[r.slot]
		if p.k == cellKind {
			cl := (*cell)(p.p)
			cl.shared = true
			return cl
		}
		if p.k != undefKind {
			cl := &cell{v: *p, shared: true}
			*p = Value{k: cellKind, p: unsafe.Pointer(cl)}
			return cl
		}
		if q := m.freePtr(fr, r.slot); q != nil {
			return &cell{v: *q, shared: true}
		}
		return &cell{v: Value{k: undefKind}}
	default:
		if q := m.lookupName(fr, r.name); q != nil {
			return &cell{v: *q, shared: true}
		}
		return &cell{v: Value{k: undefKind}}
	}
}
