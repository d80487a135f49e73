package eval

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/picloud/picloud/guest/syntax"
)

// Resolution: every variable reference is resolved at compile time to a slot
// of its function's frame (refSlot), a slot holding a shared cell because a
// closure captures it (refCell), a closure's captured cell (refCap), or a
// free name (refFree: host variables at top level, names defined by eval,
// the caller's variables in f!() calls) looked up by name only when the slot
// is unset.

type refKind uint8

const (
	refSlot refKind = iota
	refCell
	refCap
	refFree
	refDyn // a variable eval's top level defines in its caller: by name
)

type varRef struct {
	kind    refKind
	slot    int
	name    string
	isConst bool
}

// capSpec says where a closure's captured variable comes from in the frame
// that creates the closure.
type capSpec struct {
	from varRef
}

// snapshot lists the variables visible at an eval, is_def_var or f!() call.
type snapshot struct {
	vars []snapVar
	free map[string]int
}

type snapVar struct {
	name string
	ref  varRef
}

type scopeVar struct {
	name string
	ref  varRef
	decl *syntax.Ident
}

type loopCtx struct {
	panics bool // a break/continue inside an expression unwinds by panic
}

// fnComp is the compile-time state of one function.
type fnComp struct {
	pool       map[string]bool // variables whose closures never escape (see poolableVars)
	parent     *fnComp
	def        *funcDef
	vars       []scopeVar
	next, max  int
	caps       map[string]int
	capList    []capSpec
	free       map[string]int
	freeNames  []string
	evalTop    bool // eval'd code: top-level lets define variables in the caller
	depth      int  // block nesting (0 = the function's own top level)
	loops      []*loopCtx
	retNonTail int // > 0: a return here sits inside an expression
	brkNonTail int // > 0: a break/continue here sits inside an expression
	panicRet   bool
	weight     int64 // statements compiled so far outside loops and closures
	catchSlots []int // hidden slots holding the errors of enclosing catch blocks
	exports    []exportSpec
}

type exportSpec struct {
	alias string
	ref   varRef
}

type compiler struct {
	prog     *Program
	builtins *Registry
	captured map[*syntax.Ident]bool // pass 1 result: declarations closures capture
	collect  bool                   // pass 1
	fc       *fnComp
	anonSeq  int
}

func (c *compiler) newFn(parent *fnComp, def *funcDef) *fnComp {
	return &fnComp{parent: parent, def: def, caps: map[string]int{}, free: map[string]int{}}
}

// declare adds a variable to the current scope (after its initializer has
// been compiled).
func (c *compiler) declare(id *syntax.Ident, isConst bool) varRef {
	fc := c.fc
	if fc.evalTop && fc.depth == 0 {
		ref := varRef{kind: refDyn, name: id.Name, isConst: isConst}
		fc.vars = append(fc.vars, scopeVar{name: id.Name, ref: ref, decl: id})
		return ref
	}
	slot := c.newSlot()
	kind := refSlot
	if c.captured[id] {
		kind = refCell
	}
	ref := varRef{kind: kind, slot: slot, name: id.Name, isConst: isConst}
	fc.vars = append(fc.vars, scopeVar{name: id.Name, ref: ref, decl: id})
	return ref
}

func (c *compiler) newSlot() int {
	fc := c.fc
	s := fc.next
	fc.next++
	if fc.next > fc.max {
		fc.max = fc.next
	}
	return s
}

// lookup resolves a variable name at the current position.
func (c *compiler) lookup(name string) varRef {
	return c.lookupIn(c.fc, name)
}

func (c *compiler) lookupIn(fc *fnComp, name string) varRef {
	for i := len(fc.vars) - 1; i >= 0; i-- {
		if fc.vars[i].name == name {
			return fc.vars[i].ref
		}
	}
	if fc.parent != nil {
		if i, ok := fc.caps[name]; ok {
			return varRef{kind: refCap, slot: i, name: name, isConst: fc.capList[i].from.isConst}
		}
		outer := c.lookupIn(fc.parent, name)
		if outer.kind == refSlot || outer.kind == refCell {
			// mark the declaration as captured (pass 1)
			for i := len(fc.parent.vars) - 1; i >= 0; i-- {
				if fc.parent.vars[i].name == name {
					c.captured[fc.parent.vars[i].decl] = true
					break
				}
			}
		}
		i := len(fc.capList)
		fc.capList = append(fc.capList, capSpec{from: outer})
		fc.caps[name] = i
		return varRef{kind: refCap, slot: i, name: name, isConst: outer.isConst}
	}
	if i, ok := fc.free[name]; ok {
		return varRef{kind: refFree, slot: i, name: name}
	}
	i := len(fc.freeNames)
	fc.freeNames = append(fc.freeNames, name)
	fc.free[name] = i
	return varRef{kind: refFree, slot: i, name: name}
}

func (c *compiler) snapshot() *snapshot {
	fc := c.fc
	s := &snapshot{free: map[string]int{}}
	for _, v := range fc.vars {
		s.vars = append(s.vars, snapVar{name: v.name, ref: v.ref})
	}
	// Free slots are shared with the function; names used later still
	// resolve, since the map is filled as compilation proceeds.
	s.free = fc.free
	return s
}

// openScope / closeScope bracket a block: slots of its variables are reused
// after it.
func (c *compiler) openScope() (int, int) {
	c.fc.depth++
	return len(c.fc.vars), c.fc.next
}

func (c *compiler) closeScope(nv, next int) {
	c.fc.depth--
	c.fc.vars = c.fc.vars[:nv]
	c.fc.next = next
}

// compileProgram compiles a parsed script.
func compileProgram(script *syntax.Script, builtins *Registry) (p *Program, err error) {
	p = &Program{name: script.Name, funcs: map[string][]*funcDef{}, builtins: builtins}
	for _, f := range script.Funcs {
		fd := &funcDef{name: f.Name, nparams: len(f.Params), prog: p, private: f.Private, thisType: f.ThisType, pos: f.Pos}
		p.funcs[f.Name] = append(p.funcs[f.Name], fd)
		p.fnList = append(p.fnList, fd)
	}
	captured := map[*syntax.Ident]bool{}
	for pass := 0; pass < 2; pass++ {
		c := &compiler{prog: p, builtins: builtins, captured: captured, collect: pass == 0}
		main := &funcDef{name: "", prog: p, main: true}
		fc := c.newFn(nil, main)
		fc.pool = poolableVars(script.Stmts)
		c.fc = fc
		main.body = c.funcBody(script.Stmts, nil)
		main.weight = fc.weight + 1
		main.nslots = fc.max
		main.freeNames = fc.freeNames
		p.main = main
		p.exports = fc.exports
		for i, f := range script.Funcs {
			fd := p.fnList[i]
			c.compileFn(fd, nil, f.Params, f.Body.Stmts)
		}
	}
	return p, nil
}

// compileFn compiles a named function or closure body into fd.
func (c *compiler) compileFn(fd *funcDef, parent *fnComp, params []*syntax.Ident, body []syntax.Stmt) *fnComp {
	saved := c.fc
	fc := c.newFn(parent, fd)
	fc.pool = poolableVars(body)
	c.fc = fc
	fd.cellParams = nil
	for i, p := range params {
		ref := c.declare(p, false)
		if ref.kind == refCell {
			fd.cellParams = append(fd.cellParams, i)
		}
	}
	fd.body = c.funcBody(body, params)
	fd.weight = fc.weight + 1
	fd.nslots = fc.max
	fd.simple = len(fc.freeNames) == 0
	fd.freeNames = fc.freeNames
	fd.caps = fc.capList
	c.fc = saved
	return fc
}

// funcBody compiles a function's statements; return may unwind by panic
// when it sits inside an expression.
func (c *compiler) funcBody(stmts []syntax.Stmt, params []*syntax.Ident) expr {
	body := c.topStmts(stmts)
	if !c.fc.panicRet {
		return body
	}
	return func(fr *frame) (v Value) {
		defer func() {
			if r := recover(); r != nil {
				if cp, ok := r.(*ctlPanic); ok && cp.kind == ctlReturn {
					fr.ctl = ctlReturn
					fr.ret = cp.val
					return
				}
				panic(r)
			}
		}()
		return body(fr)
	}
}

// stmts compiles a statement list whose value is that of the last
// statement. Blocks do not charge fuel themselves: loops charge their body's
// static weight (its statements, nested blocks included) per iteration and
// calls charge the function's weight, so fuel stays proportional to the work
// with one decrement per iteration or call.
func (c *compiler) stmts(list []syntax.Stmt) expr {
	code := make([]expr, 0, len(list))
	for _, s := range list {
		c.fc.weight++
		if e := c.stmt(s); e != nil {
			code = append(code, e)
		}
	}
	switch len(code) {
	case 0:
		return func(fr *frame) Value { return Value{} }
	case 1:
		return code[0]
	case 2:
		s0, s1 := code[0], code[1]
		return func(fr *frame) Value {
			v := s0(fr)
			if fr.ctl != ctlNone {
				return v
			}
			return s1(fr)
		}
	}
	return func(fr *frame) Value {
		var v Value
		for _, s := range code {
			v = s(fr)
			if fr.ctl != ctlNone {
				return v
			}
		}
		return v
	}
}

// guardReturn matches `if cond { …; return x; }` without an else.
func guardReturn(s syntax.Stmt) (*syntax.IfExpr, *syntax.ReturnStmt) {
	es, ok := s.(*syntax.ExprStmt)
	if !ok {
		return nil, nil
	}
	ife, ok := es.X.(*syntax.IfExpr)
	if !ok || ife.Else != nil || len(ife.Then.Stmts) == 0 {
		return nil, nil
	}
	ret, ok := ife.Then.Stmts[len(ife.Then.Stmts)-1].(*syntax.ReturnStmt)
	if !ok {
		return nil, nil
	}
	return ife, ret
}

// topStmts compiles a function body's statements. An early-return guard
// `if c { …; return x; } rest` is the same as `if c { …; x } else { rest }`
// at this level, where the block's value is the function's result: compiled
// that way, the common guard costs no return flag at all.
func (c *compiler) topStmts(list []syntax.Stmt) expr {
	for i, st := range list {
		ife, ret := guardReturn(st)
		if ife == nil {
			continue
		}
		prefix := c.stmts(list[:i])
		c.fc.weight++
		cond := c.cond(ife.Cond)
		nv, next := c.openScope()
		pre := c.stmts(ife.Then.Stmts[:len(ife.Then.Stmts)-1])
		val := func(*frame) Value { return Value{} }
		if ret.Value != nil {
			val = c.value(ret.Value)
			if id, ok := ret.Value.(*syntax.Ident); ok {
				if ref := c.lookup(id.Name); ref.kind == refSlot {
					val = c.sub(ret.Value)
				}
			}
		}
		c.closeScope(nv, next)
		rest := c.topStmts(list[i+1:])
		hasPre := len(ife.Then.Stmts) > 1
		guard := func(fr *frame) Value {
			if cond(fr) {
				if hasPre {
					if v := pre(fr); fr.ctl != ctlNone {
						return v
					}
				}
				return val(fr)
			}
			return rest(fr)
		}
		if i == 0 {
			return guard
		}
		return func(fr *frame) Value {
			if v := prefix(fr); fr.ctl != ctlNone {
				return v
			}
			return guard(fr)
		}
	}
	return c.stmts(list)
}

// block compiles { stmts } with its own scope.
func (c *compiler) block(b *syntax.Block) expr {
	nv, next := c.openScope()
	e := c.stmts(b.Stmts)
	c.closeScope(nv, next)
	return e
}

// sub compiles an operand: break/continue/return inside it must unwind by
// panic, since the enclosing expression would otherwise go on evaluating.
func (c *compiler) sub(e syntax.Expr) expr {
	c.fc.retNonTail++
	c.fc.brkNonTail++
	x := c.expr(e)
	c.fc.retNonTail--
	c.fc.brkNonTail--
	return x
}

// value compiles an operand whose value is stored (let, assignment,
// argument, element): a container read from a variable, index or property
// is cloned, as Rhai's values are copied on assignment.
func (c *compiler) value(e syntax.Expr) expr {
	x := c.sub(e)
	if !borrows(e) {
		return x
	}
	return func(fr *frame) Value {
		v := x(fr)
		if v.k >= ArrayKind && v.k <= BlobKind {
			return fr.m.cloneValue(v, e.Position())
		}
		return v
	}
}

// borrows reports whether e evaluates to a value that still lives in a
// variable or container.
func borrows(e syntax.Expr) bool {
	switch e.(type) {
	case *syntax.Ident, *syntax.NsIdent, *syntax.ThisExpr, *syntax.IndexExpr, *syntax.DotExpr:
		return true
	}
	return false
}

func (m *machine) cloneValue(v Value, pos Pos) Value {
	c := cloner{m: m, pos: pos}
	return c.clone(v)
}

// cloner deep-copies a value, charging fuel per element copied and
// accounting the bytes as it goes, so a copy of a big (or deeply nested)
// value is paid for and stops at the limits like a loop would.
type cloner struct {
	m   *machine
	pos Pos
}

func (c *cloner) pay(items int, bytes int64) {
	m := c.m
	m.fuel -= int64(items)/16 + 1
	m.allocP(bytes, c.pos)
	if m.fuel < m.check {
		m.slow(c.pos)
	}
}

func (c *cloner) clone(v Value) Value {
	switch v.k {
	case ArrayKind:
		a := (*Array)(v.p)
		c.pay(len(a.Elems), int64(len(a.Elems))*ValueSize+24)
		out := make([]Value, len(a.Elems))
		for i, e := range a.Elems {
			if e.k >= ArrayKind && e.k <= BlobKind {
				e = c.clone(e)
			}
			out[i] = e
		}
		return Value{k: ArrayKind, tag: v.tag, p: unsafe.Pointer(&Array{Elems: out})}
	case MapKind:
		mp := (*Map)(v.p)
		c.pay(mp.Len(), int64(mp.Len())*MapEntrySize+48)
		out := &Map{m: make(map[string]Value, len(mp.m)), keys: mp.keys, fns: mp.fns}
		for k, e := range mp.m {
			if e.k >= ArrayKind && e.k <= BlobKind {
				e = c.clone(e)
			}
			out.m[k] = e
		}
		return Value{k: MapKind, tag: v.tag, p: unsafe.Pointer(out)}
	case BlobKind:
		b := (*Blob)(v.p)
		c.pay(len(b.B)/8, int64(len(b.B))+24)
		return Value{k: BlobKind, tag: v.tag, p: unsafe.Pointer(&Blob{B: append([]byte(nil), b.B...)})}
	}
	return v
}

func (c *compiler) stmt(s syntax.Stmt) expr {
	switch s := s.(type) {
	case *syntax.ExprStmt:
		return c.expr(s.X)
	case *syntax.LetStmt:
		return c.let(s)
	case *syntax.AssignStmt:
		return c.assign(s)
	case *syntax.BreakStmt:
		return c.breakStmt(s.Value, ctlBreak, s.Pos)
	case *syntax.ContinueStmt:
		return c.breakStmt(nil, ctlContinue, s.Pos)
	case *syntax.ReturnStmt:
		return c.returnStmt(s)
	case *syntax.ThrowStmt:
		return c.throwStmt(s)
	case *syntax.TryStmt:
		return c.tryStmt(s)
	case *syntax.ImportStmt:
		return c.importStmt(s)
	case *syntax.ExportStmt:
		return c.exportStmt(s)
	}
	panic(fmt.Sprintf("eval: unknown statement %T", s))
}

func (c *compiler) let(s *syntax.LetStmt) expr {
	var val expr
	if cl, ok := s.Value.(*syntax.ClosureExpr); ok && !s.Const && !s.Export && !c.captured[s.Name] && c.fc.pool[s.Name.Name] && !c.fc.evalTop {
		// the variable's slot is the next one (declare runs after its value)
		val = c.closureAt(cl, c.fc.next)
	} else if s.Value != nil {
		val = c.value(s.Value)
	} else {
		val = func(*frame) Value { return Value{} }
	}
	ref := c.declare(s.Name, s.Const)
	topConst := s.Const && c.fc.def.main && c.fc.depth == 0 && !c.fc.evalTop
	if s.Export && c.fc.def.main && c.fc.depth == 0 {
		c.fc.exports = append(c.fc.exports, exportSpec{alias: s.Name.Name, ref: ref})
	}
	name := s.Name.Name
	slot := ref.slot
	switch ref.kind {
	case refSlot:
		if topConst {
			return func(fr *frame) Value {
				v := val(fr)
				fr.slots[slot] = v
				fr.mod.consts[name] = v
				return Value{}
			}
		}
		return func(fr *frame) Value {
			fr.slots[slot] = val(fr)
			return Value{}
		}
	case refCell:
		pos := s.Pos
		return func(fr *frame) Value {
			v := val(fr)
			fr.m.allocP(cellSize, pos)
			fr.slots[slot] = Value{k: cellKind, p: unsafe.Pointer(&cell{v: v})}
			if topConst {
				fr.mod.consts[name] = v
			}
			return Value{}
		}
	default: // refDyn
		return func(fr *frame) Value {
			fr.m.defineOuter(fr, name, val(fr))
			return Value{}
		}
	}
}

// poolableVars returns the names that body (a function's statements) only
// declares with `let` and uses as the receiver of `.call(…)`, when body never
// calls eval or shares its scope (f!()): a closure stored in such a variable
// never escapes it, so when the `let` runs again (the next iteration, the next
// call at this depth) the closure it stored before is garbage and is reused.
func poolableVars(body []syntax.Stmt) map[string]bool {
	uses, calls := map[string]int{}, map[string]int{}
	shared := false
	for _, st := range body {
		syntax.Inspect(st, func(n syntax.Node) bool {
			switch x := n.(type) {
			case *syntax.Ident:
				uses[x.Name]++
			case *syntax.LetStmt:
				if !x.Const && !x.Export && x.Name != nil {
					calls[x.Name.Name]++
				}
			case *syntax.MethodCallExpr:
				if id, ok := x.Recv.(*syntax.Ident); ok && x.Name == "call" {
					calls[id.Name]++
				}
			case *syntax.CallExpr:
				if x.Bang || len(x.Namespace) == 0 && x.Name == "eval" {
					shared = true
				}
			}
			return true
		})
	}
	if shared {
		return nil
	}
	var pool map[string]bool
	for name, n := range uses {
		if calls[name] == n {
			if pool == nil {
				pool = map[string]bool{}
			}
			pool[name] = true
		}
	}
	return pool
}

func (c *compiler) breakStmt(value syntax.Expr, kind ctlKind, pos Pos) expr {
	var val expr
	if value != nil {
		val = c.value(value)
	}
	fc := c.fc
	if len(fc.loops) == 0 {
		what := "break"
		if kind == ctlContinue {
			what = "continue"
		}
		return func(fr *frame) Value {
			fr.m.fail(ErrorRuntime, pos, "'%s' must be within a loop", what)
			return Value{}
		}
	}
	if fc.brkNonTail > 0 {
		fc.loops[len(fc.loops)-1].panics = true
		return func(fr *frame) Value {
			var v Value
			if val != nil {
				v = val(fr)
			}
			panic(&ctlPanic{kind: kind, val: v})
		}
	}
	return func(fr *frame) Value {
		if val != nil {
			fr.ret = val(fr)
		} else {
			fr.ret = Value{}
		}
		fr.ctl = kind
		return Value{}
	}
}

func (c *compiler) returnStmt(s *syntax.ReturnStmt) expr {
	var val expr
	if s.Value != nil {
		val = c.value(s.Value)
		if id, ok := s.Value.(*syntax.Ident); ok {
			// returning a local variable needs no copy: its frame dies
			if ref := c.lookup(id.Name); ref.kind == refSlot {
				val = c.sub(s.Value)
			}
		}
	}
	if c.fc.retNonTail > 0 {
		c.fc.panicRet = true
		return func(fr *frame) Value {
			var v Value
			if val != nil {
				v = val(fr)
			}
			panic(&ctlPanic{kind: ctlReturn, val: v})
		}
	}
	if val == nil {
		return func(fr *frame) Value {
			fr.ret = Value{}
			fr.ctl = ctlReturn
			return Value{}
		}
	}
	return func(fr *frame) Value {
		fr.ret = val(fr)
		fr.ctl = ctlReturn
		return Value{}
	}
}

func (c *compiler) throwStmt(s *syntax.ThrowStmt) expr {
	pos := s.Pos
	if s.Value == nil {
		if n := len(c.fc.catchSlots); n > 0 {
			slot := c.fc.catchSlots[n-1]
			return func(fr *frame) Value {
				if fr.slots[slot].k == undefKind && fr.slots[slot].p != nil {
					e := (*Error)(fr.slots[slot].p)
					cp := *e
					fr.m.raise(&cp)
				}
				fr.m.raise(&Error{Kind: ErrorRuntime, Msg: "Runtime error", Pos: pos})
				return Value{}
			}
		}
		return func(fr *frame) Value {
			fr.m.raise(&Error{Kind: ErrorRuntime, Msg: "Runtime error", Pos: pos})
			return Value{}
		}
	}
	val := c.value(s.Value)
	return func(fr *frame) Value {
		v := val(fr)
		fr.m.raise(runtimeError(v, pos))
		return Value{}
	}
}

func runtimeError(v Value, pos Pos) *Error {
	msg := "Runtime error"
	s, ok := v.Format(false, maxMessage)
	if !ok {
		s = "<" + v.TypeName() + " too large to show>"
	}
	if v.k != UnitKind && s != "" {
		msg = "Runtime error: " + s
	}
	return &Error{Kind: ErrorRuntime, Msg: msg, Pos: pos, Value: v}
}

func (c *compiler) tryStmt(s *syntax.TryStmt) expr {
	body := c.block(s.Body)
	nv, next := c.openScope()
	errSlot := c.newSlot()
	var varRef *varRef
	if s.ErrVar != nil {
		r := c.declare(s.ErrVar, false)
		varRef = &r
	}
	c.fc.catchSlots = append(c.fc.catchSlots, errSlot)
	catch := c.stmts(s.Catch.Stmts)
	c.fc.catchSlots = c.fc.catchSlots[:len(c.fc.catchSlots)-1]
	c.closeScope(nv, next)
	return func(fr *frame) Value {
		m := fr.m
		v, err := m.try(fr, body)
		if err == nil {
			return v
		}
		fr.slots[errSlot] = Value{k: undefKind, p: unsafe.Pointer(err)}
		if varRef != nil {
			ev := errorValue(err, m.depth, m.main.prog.name)
			if varRef.kind == refCell {
				fr.slots[varRef.slot] = Value{k: cellKind, p: unsafe.Pointer(&cell{v: ev})}
			} else if varRef.kind == refSlot {
				fr.slots[varRef.slot] = ev
			} else {
				m.defineOuter(fr, varRef.name, ev)
			}
		}
		catch(fr)
		fr.slots[errSlot] = Value{}
		return Value{}
	}
}

// try runs body and returns the catchable error it raised, if any.
func (m *machine) try(fr *frame, body expr) (v Value, err *Error) {
	depth := m.depth
	nargs := len(m.args)
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			if e = e.at(depth); !e.Kind.Catchable() {
				panic(r)
			}
			m.abandon(depth)
			m.depth = depth
			m.args = m.args[:nargs]
			err = e
		}
	}()
	return body(fr), nil
}

// errorValue is what `catch (e)` binds, for code at call depth depth: the
// thrown value (also when it left function calls: Rhai's unwrap_inner), or
// for other errors a map as Rhai builds it: message, error (the outer kind),
// line and position (of the outermost call the error left, if any), and the
// fields of its kind (function and source of ErrorInFunctionCall, module of
// ErrorInModule). The main script has no source, as in Rhai.
func errorValue(e *Error, depth int, mainName string) Value {
	if e.cause() == ErrorRuntime {
		return e.Value
	}
	mp := NewMapCap(6)
	pos := e.Pos
	msg := e.Msg
	if frames := e.outer(depth); len(frames) > 0 && e.Kind != e.cause() {
		msg = wrappedMessage(e, frames, mainName)
		top := frames[len(frames)-1]
		pos = top.Pos
		switch e.Kind {
		case ErrorInModule:
			mp.Set("module", Str(top.Fn))
		case ErrorInFunctionCall:
			mp.Set("function", Str(top.Fn))
			src := top.home // Rhai: the source of the module defining the function
			if src == mainName {
				src = ""
			}
			mp.Set("source", Str(src))
		}
	} else {
		if e.Source != "" && e.Source != mainName {
			mp.Set("source", Str(e.Source))
		}
		errorFields(mp, e.Kind, e.Msg)
	}
	mp.Set("message", Str(msg))
	if pos.IsValid() {
		mp.Set("line", Int(int64(pos.Line)))
		mp.Set("position", Int(int64(pos.Col)))
	}
	mp.Set("error", Str(string(e.Kind)))
	return MapOf(mp)
}

// errorFields adds the fields Rhai's dump_fields gives the catch map of an
// error of kind k with message msg: function, variable, index and length,
// requested and actual, module, type, property.
func errorFields(mp *Map, k ErrorKind, msg string) {
	after := func(prefix string) (string, bool) {
		if strings.HasPrefix(msg, prefix) {
			return msg[len(prefix):], true
		}
		return "", false
	}
	switch k {
	case ErrorFunctionNotFound:
		if f, ok := after("Function not found: "); ok {
			mp.Set("function", Str(f))
		}
	case ErrorNonPureMethodCallOnConstant:
		if f, ok := after("Non-pure method '"); ok {
			if f, ok = strings.CutSuffix(f, "' cannot be called on constant"); ok {
				mp.Set("function", Str(f))
			}
		}
	case ErrorMismatchDataType, ErrorMismatchOutputType:
		// "Data type incorrect: <actual> (expecting <requested>)"
		if _, rest, ok := strings.Cut(msg, " type incorrect: "); ok {
			if actual, req, ok := strings.Cut(rest, " (expecting "); ok {
				mp.Set("requested", Str(strings.TrimSuffix(req, ")")))
				mp.Set("actual", Str(actual))
			}
		}
	case ErrorArrayBounds, ErrorStringBounds, ErrorBitFieldBounds:
		// "<What> index <i> out of bounds: only <n> …" or "…: array is empty"
		if _, rest, ok := strings.Cut(msg, " index "); ok {
			if idx, rest, ok := strings.Cut(rest, " out of bounds: "); ok {
				i, err := strconv.ParseInt(idx, 10, 64)
				var n int64
				if only, ok := strings.CutPrefix(rest, "only "); ok {
					num, _, _ := strings.Cut(only, " ")
					n, _ = strconv.ParseInt(num, 10, 64)
				}
				if err == nil {
					mp.Set("index", Int(i))
					mp.Set("length", Int(n))
				}
			}
		}
	case ErrorVariableNotFound:
		if v, ok := after("Variable not found: "); ok {
			mp.Set("variable", Str(v))
		}
	case ErrorPropertyNotFound:
		if v, ok := after("Property not found: "); ok {
			mp.Set("variable", Str(v))
		}
	case ErrorAssignmentToConstant:
		if v, ok := after("Cannot modify constant "); ok {
			mp.Set("variable", Str(v))
		}
	case ErrorModuleNotFound:
		if v, ok := after("Module not found: "); ok {
			mp.Set("module", Str(v))
		}
	case ErrorIndexingType:
		if v, ok := after("Indexer unavailable: "); ok {
			mp.Set("type", Str(v))
		}
	case ErrorDotExpr:
		mp.Set("property", Str(msg))
	}
}

// wrappedMessage is Rhai's text of an error that left the calls frames
// (innermost first), without the outermost call's position: the inner
// message and position, then one line per call.
func wrappedMessage(e *Error, frames []Frame, mainName string) string {
	// Rhai's display: each wrapped error shows the one inside it, followed by
	// " @ 'source'" when the function it left is from a module, then its
	// position; then "in call to function 'f'" and " (from 'source')".
	src := func(f Frame) string {
		if f.kind == frameEval || f.home == mainName {
			return ""
		}
		return f.home
	}
	var b strings.Builder
	b.WriteString(e.Msg)
	if s := src(frames[0]); s != "" {
		fmt.Fprintf(&b, " @ '%s'", s)
	}
	if e.Pos.IsValid() && e.cause() != ErrorParsing { // a syntax error's message has its position
		fmt.Fprintf(&b, " (line %d, position %d)", e.Pos.Line, e.Pos.Col)
	}
	for i, f := range frames {
		switch f.kind {
		case frameModule:
			fmt.Fprintf(&b, "\nin module '%s'", f.Fn)
		case frameClosure:
			b.WriteString("\nin closure call")
		default:
			fmt.Fprintf(&b, "\nin call to function '%s'", f.Fn)
		}
		if s := src(f); s != "" && f.kind != frameModule {
			fmt.Fprintf(&b, " (from '%s')", s)
		}
		if i < len(frames)-1 {
			if s := src(frames[i+1]); s != "" {
				fmt.Fprintf(&b, " @ '%s'", s)
			}
			if f.Pos.IsValid() {
				fmt.Fprintf(&b, " (line %d, position %d)", f.Pos.Line, f.Pos.Col)
			}
		}
	}
	return b.String()
}

func (c *compiler) importStmt(s *syntax.ImportStmt) expr {
	path := c.sub(s.Path)
	alias := ""
	if s.Alias != nil {
		alias = s.Alias.Name
	}
	pos := s.Pos
	if lit, ok := s.Path.(*syntax.StringLit); ok {
		pos = lit.Pos // Rhai reports import errors at the path
	}
	return func(fr *frame) Value {
		p := path(fr)
		if p.k != StringKind {
			typeMismatch(fr.m, pos, "string", p)
		}
		inst := fr.m.importModule(p.Str(), pos)
		if alias != "" {
			if fr.mod.imports == nil {
				fr.mod.imports = map[string]*modInst{}
			}
			fr.mod.imports[alias] = inst
		}
		return Value{}
	}
}

func (c *compiler) exportStmt(s *syntax.ExportStmt) expr {
	for _, it := range s.Items {
		ref := c.lookup(it.Name.Name)
		if c.fc.def.main {
			c.fc.exports = append(c.fc.exports, exportSpec{alias: it.Alias, ref: ref})
		}
	}
	return nil
}
