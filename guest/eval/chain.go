package eval

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/picloud/picloud/guest/syntax"
)

// elvisKind marks a postfix chain cut short by ?. or ?[ on (): every later
// link passes it on and the chain as a whole yields ().
const elvisKind Kind = numKinds + 10

func chainHasElvis(e syntax.Expr) bool {
	for {
		switch x := e.(type) {
		case *syntax.IndexExpr:
			if x.Elvis {
				return true
			}
			e = x.X
		case *syntax.DotExpr:
			if x.Elvis {
				return true
			}
			e = x.X
		case *syntax.MethodCallExpr:
			if x.Elvis {
				return true
			}
			e = x.Recv
		default:
			return false
		}
	}
}

func isChainNode(e syntax.Expr) bool {
	switch e.(type) {
	case *syntax.IndexExpr, *syntax.DotExpr, *syntax.MethodCallExpr:
		return true
	}
	return false
}

// chain compiles an index, property or method-call expression.
func (c *compiler) chain(e syntax.Expr, inChain bool) expr {
	x := c.chainNode(e)
	if inChain || !chainHasElvis(e) {
		return x
	}
	return func(fr *frame) Value {
		v := x(fr)
		if v.k == elvisKind {
			return Value{}
		}
		return v
	}
}

func (c *compiler) chainBase(e syntax.Expr) expr {
	if isChainNode(e) {
		return c.chain(e, true)
	}
	return c.sub(e)
}

func (c *compiler) chainNode(e syntax.Expr) expr {
	switch e := e.(type) {
	case *syntax.IndexExpr:
		if !e.Elvis {
			if f := c.fastIndex(e); f != nil {
				return f
			}
		}
		base := c.chainBase(e.X)
		pos, elvis := e.Pos, e.Elvis
		io := c.operand(e.Index)
		if io.slot >= 0 && !elvis {
			// x[…][local]: matrices, nested lists
			is := io.slot
			return func(fr *frame) Value {
				b := base(fr)
				i := fr.slots[is]
				if b.k == ArrayKind && i.k == IntKind {
					if el := (*Array)(b.p).Elems; i.n >= 0 && i.n < int64(len(el)) {
						return el[i.n]
					}
				}
				if b.k == elvisKind {
					return b
				}
				return fr.m.index(b, i, pos)
			}
		}
		idx := io.x
		if idx == nil {
			if io.isK {
				idx = constExpr(Int(io.k))
			} else {
				idx = c.readVar(varRef{kind: refSlot, slot: io.slot}, e.Index.Position())
			}
		}
		return func(fr *frame) Value {
			b := base(fr)
			if b.k == ArrayKind {
				i := idx(fr)
				if i.k == IntKind {
					el := b.Array().Elems
					j := i.n
					if j < 0 {
						j += int64(len(el))
					}
					if j >= 0 && j < int64(len(el)) {
						return el[j]
					}
				}
				return fr.m.index(b, i, pos)
			}
			if b.k == elvisKind {
				return b
			}
			if elvis && b.k == UnitKind {
				return Value{k: elvisKind}
			}
			return fr.m.index(b, idx(fr), pos)
		}
	case *syntax.DotExpr:
		base := c.chainBase(e.X)
		name, pos, elvis := e.Name, e.Pos, e.Elvis
		return func(fr *frame) Value {
			b := base(fr)
			if b.k == MapKind {
				v, _ := b.Map().Get(name)
				return v
			}
			if b.k == elvisKind {
				return b
			}
			if elvis && b.k == UnitKind {
				return Value{k: elvisKind}
			}
			return fr.m.getProp(b, name, pos)
		}
	case *syntax.MethodCallExpr:
		return c.methodCall(e)
	}
	panic("eval: not a chain")
}

// fastIndex specializes local[local] and local[const] reads.
func (c *compiler) fastIndex(e *syntax.IndexExpr) expr {
	id, ok := e.X.(*syntax.Ident)
	if !ok {
		return nil
	}
	ref := c.lookup(id.Name)
	if ref.kind != refSlot {
		return nil
	}
	bs, pos := ref.slot, e.Pos
	idx := c.operand(e.Index)
	switch {
	case idx.slot >= 0:
		is := idx.slot
		return func(fr *frame) Value {
			b, i := fr.slots[bs], fr.slots[is]
			if b.k == ArrayKind && i.k == IntKind {
				if el := (*Array)(b.p).Elems; i.n >= 0 && i.n < int64(len(el)) {
					return el[i.n]
				}
			} else if b.k == MapKind && i.k == StringKind {
				v, _ := (*Map)(b.p).Get(i.Str())
				return v
			}
			return fr.m.index(b, i, pos)
		}
	case idx.isK:
		k := idx.k
		kv := Int(k)
		return func(fr *frame) Value {
			b := fr.slots[bs]
			if b.k == ArrayKind && k >= 0 {
				if el := (*Array)(b.p).Elems; k < int64(len(el)) {
					return el[k]
				}
			}
			return fr.m.index(b, kv, pos)
		}
	}
	ix := idx.x
	return func(fr *frame) Value {
		b := fr.slots[bs]
		i := ix(fr)
		if b.k == ArrayKind && i.k == IntKind {
			if el := (*Array)(b.p).Elems; i.n >= 0 && i.n < int64(len(el)) {
				return el[i.n]
			}
		}
		return fr.m.index(b, i, pos)
	}
}

// index implements x[i] reads.
func (m *machine) index(b, i Value, pos Pos) Value {
	switch b.k {
	case ArrayKind:
		el := b.Array().Elems
		if i.k == IntKind {
			j := i.n
			if j < 0 {
				j += int64(len(el))
			}
			if j < 0 || j >= int64(len(el)) {
				m.boundsErr(ErrorArrayBounds, "Array", "element", len(el), i.n, pos)
			}
			return el[j]
		}
		if i.k == RangeKind {
			lo, hi := rangeBounds(i.Range(), len(el))
			out := make([]Value, hi-lo)
			for k := range out {
				out[k] = el[lo+k].Clone()
			}
			m.allocP(int64(len(out))*ValueSize, pos)
			return NewArray(out)
		}
	case MapKind:
		switch i.k {
		case StringKind:
			v, _ := b.Map().Get(i.Str())
			return v
		case CharKind:
			v, _ := b.Map().Get(string(i.Char()))
			return v
		}
	case StringKind:
		s := b.Str()
		if i.k == IntKind {
			m.burn(int64(len(s))/64, pos) // finding a character scans the string
			r, ok := charAt(s, i.n)
			if !ok {
				m.boundsErr(ErrorStringBounds, "String", "character", utf8.RuneCountInString(s), i.n, pos)
			}
			return Char(r)
		}
		if i.k == RangeKind {
			rs := []rune(s)
			lo, hi := rangeBounds(i.Range(), len(rs))
			return m.newString(string(rs[lo:hi]), pos)
		}
	case IntKind:
		if i.k == IntKind {
			bit := i.n
			if bit < 0 {
				bit += 64
			}
			if bit < 0 || bit >= 64 {
				m.fail(ErrorBitFieldBounds, pos, "Bit-field index %d out of bounds: only 64 bits in bit-field", i.n)
			}
			return Bool(b.n&(1<<uint(bit)) != 0)
		}
		if i.k == RangeKind {
			lo, n := m.bitRange(i.Range(), pos)
			return Int(int64(uint64(b.n) >> uint(lo) & mask(n)))
		}
	case BlobKind:
		if i.k == IntKind {
			bs := b.Blob().B
			j := i.n
			if j < 0 {
				j += int64(len(bs))
			}
			if j < 0 || j >= int64(len(bs)) {
				m.boundsErr(ErrorArrayBounds, "Blob", "byte", len(bs), i.n, pos)
			}
			return Int(int64(bs[j]))
		}
		if i.k == RangeKind {
			bs := b.Blob().B
			lo, hi := rangeBounds(i.Range(), len(bs))
			m.allocP(int64(hi-lo), pos)
			return NewBlob(append([]byte(nil), bs[lo:hi]...))
		}
	}
	if fs := m.builtins.lookup("index$get"); fs != nil {
		base := len(m.args)
		m.args = append(m.args, b, i)
		args := m.args[base : base+2 : base+2]
		if fn := findBuiltin(fs, args); fn != nil {
			v := m.invoke(fn, "index$get", args, pos)
			m.args = m.args[:base]
			return v
		}
		m.args = m.args[:base]
	}
	if b.k == ArrayKind || b.k == StringKind || b.k == BlobKind || b.k == IntKind || b.k == MapKind {
		m.fail(ErrorMismatchDataType, pos, "Data type incorrect: %s (expecting %s)", i.TypeName(), indexType(b.k))
	}
	m.fail(ErrorIndexingType, pos, "Indexer unavailable: %s", b.TypeName())
	return Value{}
}

func indexType(k Kind) string {
	if k == MapKind {
		return "string"
	}
	return "i64"
}

func (m *machine) boundsErr(kind ErrorKind, what, unit string, n int, idx int64, pos Pos) {
	plural := unit + "s"
	if what == "String" {
		unit, plural = "character", "characters"
	}
	switch n {
	case 0:
		m.fail(kind, pos, "%s index %d out of bounds: %s is empty", what, idx, strings.ToLower(what))
	case 1:
		m.fail(kind, pos, "%s index %d out of bounds: only 1 %s in %s", what, idx, unit, strings.ToLower(what))
	}
	m.fail(kind, pos, "%s index %d out of bounds: only %d %s in %s", what, idx, n, plural, strings.ToLower(what))
}

// charAt returns the i-th character of s (negative counts from the end).
func charAt(s string, i int64) (rune, bool) {
	if i < 0 {
		n := int64(utf8.RuneCountInString(s))
		i += n
		if i < 0 {
			return 0, false
		}
	}
	ascii := true
	if i < int64(len(s)) {
		for k := int64(0); k <= i; k++ {
			if s[k] >= utf8.RuneSelf {
				ascii = false
				break
			}
		}
		if ascii {
			return rune(s[i]), true
		}
	}
	var k int64
	for _, r := range s {
		if k == i {
			return r, true
		}
		k++
	}
	return 0, false
}

// rangeBounds clamps a range to [0, n].
func rangeBounds(r *Range, n int) (int, int) {
	lo, hi := r.Start, r.End
	if r.Inclusive {
		if hi < math.MaxInt64 {
			hi++
		}
	}
	if lo < 0 {
		lo = 0
	}
	if hi > int64(n) {
		hi = int64(n)
	}
	if lo > hi {
		lo = hi
	}
	return int(lo), int(hi)
}

func mask(n int) uint64 {
	if n >= 64 {
		return math.MaxUint64
	}
	return 1<<uint(n) - 1
}

// bitRange returns the first bit and the number of bits of a bit-field range.
func (m *machine) bitRange(r *Range, pos Pos) (int, int) {
	lo, hi := r.Start, r.End
	if r.Inclusive {
		hi++
	}
	if lo < 0 || lo >= 64 {
		m.fail(ErrorBitFieldBounds, pos, "Bit-field index %d out of bounds: only 64 bits in bit-field", lo)
	}
	if hi > 64 {
		hi = 64
	}
	if hi < lo {
		hi = lo
	}
	return int(lo), int(hi - lo)
}

// getProp implements x.name reads on values other than maps.
func (m *machine) getProp(b Value, name string, pos Pos) Value {
	if b.k == MapKind {
		v, _ := b.Map().Get(name)
		return v
	}
	base := len(m.args)
	m.args = append(m.args, b)
	args := m.args[base : base+1 : base+1]
	defer func() { m.args = m.args[:base] }()
	if fn := findBuiltin(m.builtins.lookup("get$"+name), args); fn != nil {
		return m.invoke(fn, "get$"+name, args, pos)
	}
	if fn := findBuiltin(m.builtins.lookup(name), args); fn != nil {
		return m.invoke(fn, name, args, pos)
	}
	switch name {
	case "type_of":
		return Str(b.TypeName())
	}
	if b.k == FnPtrKind {
		switch name {
		case "name":
			return Str(b.FnPtr().Name)
		case "is_anonymous":
			return Bool(b.FnPtr().fn != nil && b.FnPtr().fn.anon)
		}
	}
	m.fail(ErrorDotExpr, pos, "Unknown property '%s' - a getter is not registered for type '%s'", name, b.TypeName())
	return Value{}
}

// ---- Places: assignment targets and method receivers ----

type lstep struct {
	isIndex bool
	idx     expr
	name    string
	pos     Pos
	elvis   bool
}

type lpath struct {
	root   varRef
	isThis bool
	pos    Pos
	steps  []lstep
}

// lvalue compiles an assignable chain rooted at a variable or `this`.
func (c *compiler) lvalue(e syntax.Expr) (*lpath, bool) {
	var steps []lstep
	for {
		switch x := e.(type) {
		case *syntax.IndexExpr:
			steps = append(steps, lstep{isIndex: true, idx: c.sub(x.Index), pos: x.Pos, elvis: x.Elvis})
			e = x.X
			continue
		case *syntax.DotExpr:
			steps = append(steps, lstep{name: x.Name, pos: x.Pos, elvis: x.Elvis})
			e = x.X
			continue
		case *syntax.Ident:
			reverse(steps)
			return &lpath{root: c.lookup(x.Name), pos: x.Pos, steps: steps}, true
		case *syntax.ThisExpr:
			reverse(steps)
			return &lpath{isThis: true, pos: x.Pos, steps: steps}, true
		}
		return nil, false
	}
}

func reverse(s []lstep) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

const (
	opAssign uint8 = iota
	opCompound
	opMethod
)

type pathOp struct {
	kind   uint8
	op     syntax.Op
	rhs    Value
	site   *methodSite
	args   []Value
	result Value
	pos    Pos
}

// rootPtr returns the storage of a path's root and whether it is read-only.
func (m *machine) rootPtr(fr *frame, p *lpath) (*Value, bool) {
	if p.isThis {
		if fr.this == nil {
			m.fail(ErrorUnboundThis, p.pos, "'this' not bound")
		}
		return fr.this, fr.thisRO
	}
	ptr := fr.refPtr(&p.root)
	if ptr == nil {
		m.varNotFound(p.root.name, p.pos)
	}
	ro := p.root.isConst
	if p.root.kind == refFree && fr.freeRO != nil && p.root.slot < len(fr.freeRO) && fr.freeRO[p.root.slot] {
		ro = true
	}
	return ptr, ro
}

func (m *machine) modifyPath(fr *frame, p *lpath, op *pathOp) {
	ptr, ro := m.rootPtr(fr, p)
	if ro && op.kind != opMethod {
		name := p.root.name
		if p.isThis {
			name = "this"
		}
		m.fail(ErrorAssignmentToConstant, op.pos, "Cannot modify constant %s", name)
	}
	m.modifyAt(fr, ptr, ro, p.steps, op)
}

func (m *machine) apply(fr *frame, ptr *Value, ro bool, op *pathOp) {
	switch op.kind {
	case opAssign:
		*ptr = op.rhs
	case opCompound:
		*ptr = m.compound(op.op, *ptr, op.rhs, op.pos)
	case opMethod:
		op.result = m.callMethod(fr, op.site, ptr, ro, op.args)
	}
}

func (m *machine) modifyAt(fr *frame, ptr *Value, ro bool, steps []lstep, op *pathOp) {
	if len(steps) == 0 {
		m.apply(fr, ptr, ro, op)
		return
	}
	st := &steps[0]
	rest := steps[1:]
	var key Value
	if st.isIndex {
		key = st.idx(fr)
	}
	if ptr.k == UnitKind && st.elvis {
		return
	}
	last := len(rest) == 0
	switch ptr.k {
	case MapKind:
		var k string
		if st.isIndex {
			switch key.k {
			case StringKind:
				k = key.Str()
			case CharKind:
				k = string(key.Char())
			default:
				m.fail(ErrorMismatchDataType, st.pos, "Data type incorrect: %s (expecting string)", key.TypeName())
			}
		} else {
			k = st.name
		}
		mp := ptr.Map()
		if last && op.kind == opAssign {
			m.mapSet(mp, k, op.rhs, st.pos)
			return
		}
		cur, exists := mp.Get(k)
		if !exists && !ro {
			m.checkLenP(MapKind, mp.Len()+1, st.pos)
			m.allocP(int64(len(k))+MapEntrySize, st.pos)
		}
		if !exists && !last && !st.elvis {
			if st.isIndex {
				m.fail(ErrorIndexNotFound, st.pos, "Invalid index: %s", key.DebugString())
			}
			m.fail(ErrorPropertyNotFound, st.pos, "Property not found: %s", k)
		}
		tp, tb := m.temp(cur)
		m.modifyAt(fr, tp, ro, rest, op)
		tmp := *tp
		m.args = m.args[:tb]
		if !ro && (exists || op.kind != opMethod) {
			mp.Set(k, tmp)
		}
		return
	case ArrayKind:
		if st.isIndex && key.k == IntKind {
			el := ptr.Array().Elems
			j := key.n
			if j < 0 {
				j += int64(len(el))
			}
			if j < 0 || j >= int64(len(el)) {
				m.boundsErr(ErrorArrayBounds, "Array", "element", len(el), key.n, st.pos)
			}
			if ro {
				tp, tb := m.temp(el[j])
				m.modifyAt(fr, tp, ro, rest, op)
				m.args = m.args[:tb]
				return
			}
			m.modifyAt(fr, &el[j], ro, rest, op)
			return
		}
	case BlobKind:
		if st.isIndex && key.k == IntKind && last {
			bs := ptr.Blob().B
			j := key.n
			if j < 0 {
				j += int64(len(bs))
			}
			if j < 0 || j >= int64(len(bs)) {
				m.boundsErr(ErrorArrayBounds, "Blob", "byte", len(bs), key.n, st.pos)
			}
			tp, tb := m.temp(Int(int64(bs[j])))
			m.apply(fr, tp, ro, op)
			tmp := *tp
			m.args = m.args[:tb]
			if tmp.k != IntKind {
				m.fail(ErrorMismatchDataType, st.pos, "Data type incorrect: %s (expecting i64)", tmp.TypeName())
			}
			if !ro {
				bs[j] = byte(tmp.n)
			}
			return
		}
	case StringKind:
		if st.isIndex && key.k == IntKind && last {
			s := ptr.Str()
			rs := []rune(s)
			j := key.n
			if j < 0 {
				j += int64(len(rs))
			}
			if j < 0 || j >= int64(len(rs)) {
				m.boundsErr(ErrorStringBounds, "String", "character", len(rs), key.n, st.pos)
			}
			tp, tb := m.temp(Char(rs[j]))
			m.apply(fr, tp, ro, op)
			tmp := *tp
			m.args = m.args[:tb]
			if op.kind == opMethod {
				return
			}
			if tmp.k != CharKind {
				m.fail(ErrorMismatchDataType, st.pos, "Data type incorrect: %s (expecting char)", tmp.TypeName())
			}
			rs[j] = tmp.Char()
			*ptr = m.newString(string(rs), st.pos)
			return
		}
	case IntKind:
		if st.isIndex && last {
			switch key.k {
			case IntKind:
				bit := key.n
				if bit < 0 {
					bit += 64
				}
				if bit < 0 || bit >= 64 {
					m.fail(ErrorBitFieldBounds, st.pos, "Bit-field index %d out of bounds: only 64 bits in bit-field", key.n)
				}
				tp, tb := m.temp(Bool(ptr.n&(1<<uint(bit)) != 0))
				m.apply(fr, tp, ro, op)
				tmp := *tp
				m.args = m.args[:tb]
				if op.kind == opMethod {
					return
				}
				if tmp.k != BoolKind {
					m.fail(ErrorMismatchDataType, st.pos, "Data type incorrect: %s (expecting bool)", tmp.TypeName())
				}
				if tmp.n != 0 {
					ptr.n |= 1 << uint(bit)
				} else {
					ptr.n &^= 1 << uint(bit)
				}
				return
			case RangeKind:
				lo, n := m.bitRange(key.Range(), st.pos)
				mk := mask(n)
				tp, tb := m.temp(Int(int64(uint64(ptr.n) >> uint(lo) & mk)))
				m.apply(fr, tp, ro, op)
				tmp := *tp
				m.args = m.args[:tb]
				if op.kind == opMethod {
					return
				}
				if tmp.k != IntKind {
					m.fail(ErrorMismatchDataType, st.pos, "Data type incorrect: %s (expecting i64)", tmp.TypeName())
				}
				ptr.n = int64(uint64(ptr.n)&^(mk<<uint(lo)) | (uint64(tmp.n)&mk)<<uint(lo))
				return
			}
		}
	}
	if !st.isIndex {
		// property of a non-map: getter, then setter
		tp, tb := m.temp(m.getProp(*ptr, st.name, st.pos))
		m.modifyAt(fr, tp, ro, rest, op)
		tmp := *tp
		m.args = m.args[:tb]
		if op.kind == opMethod && !last {
			m.setProp(ptr, st.name, tmp, st.pos, true)
			return
		}
		if op.kind != opMethod {
			m.setProp(ptr, st.name, tmp, st.pos, false)
		}
		return
	}
	// any other indexing: read, apply, and write back through index$set
	tp, tb := m.temp(m.index(*ptr, key, st.pos))
	m.modifyAt(fr, tp, ro, rest, op)
	tmp := *tp
	m.args = m.args[:tb]
	if op.kind == opMethod && last {
		return
	}
	if fs := m.builtins.lookup("index$set"); fs != nil {
		base := len(m.args)
		m.args = append(m.args, *ptr, key, tmp)
		args := m.args[base : base+3 : base+3]
		if fn := findBuiltin(fs, args); fn != nil {
			m.invoke(fn, "index$set", args, st.pos)
			*ptr = args[0]
			m.args = m.args[:base]
			return
		}
		m.args = m.args[:base]
	}
	m.fail(ErrorIndexingType, st.pos, "Indexer unavailable: %s", ptr.TypeName())
}

// mapSet stores v under k, enforcing the map size limit and accounting a
// new entry.
func (m *machine) mapSet(mp *Map, k string, v Value, pos Pos) {
	n := mp.Len()
	mp.Set(k, v)
	if mp.Len() > n {
		if m.limits.MaxMapLen > 0 && mp.Len() > m.limits.MaxMapLen {
			mp.Delete(k)
			m.fail(ErrorDataTooLarge, pos, "Size of object map too large")
		}
		m.allocP(int64(len(k))+MapEntrySize, pos)
	}
}

// temp parks v on the scratch stack and returns a pointer to it (valid,
// with the value the callee left, even if the stack grows meanwhile) and
// the stack height to restore. It keeps temporaries passed by reference off
// the Go heap.
func (m *machine) temp(v Value) (*Value, int) {
	base := len(m.args)
	m.args = append(m.args, v)
	return &m.args[base], base
}

func (m *machine) setProp(ptr *Value, name string, v Value, pos Pos, optional bool) {
	base := len(m.args)
	m.args = append(m.args, *ptr, v)
	args := m.args[base : base+2 : base+2]
	if fn := findBuiltin(m.builtins.lookup("set$"+name), args); fn != nil {
		m.invoke(fn, "set$"+name, args, pos)
		*ptr = args[0]
		m.args = m.args[:base]
		return
	}
	m.args = m.args[:base]
	if optional {
		return
	}
	m.fail(ErrorDotExpr, pos, "Cannot modify property '%s' of %s", name, ptr.TypeName())
}

// compound applies `a op= b`, growing strings, arrays, maps and blobs in place.
func (m *machine) compound(op syntax.Op, a, b Value, pos Pos) Value {
	if op == syntax.OpAdd {
		switch a.k {
		case StringKind:
			switch b.k {
			case StringKind:
				return m.addStrings(a, b.Str(), pos)
			case CharKind:
				return m.addStrings(a, string(b.Char()), pos)
			}
		case ArrayKind:
			arr := a.Array()
			if b.k == ArrayKind {
				add := b.Array().Elems
				m.checkLenP(ArrayKind, len(arr.Elems)+len(add), pos)
				m.growArray(arr, len(add), pos)
				for _, e := range add {
					arr.Elems = append(arr.Elems, e.Clone())
				}
				return a
			}
			m.checkLenP(ArrayKind, len(arr.Elems)+1, pos)
			m.growArray(arr, 1, pos)
			arr.Elems = append(arr.Elems, b)
			return a
		case MapKind:
			if b.k == MapKind {
				mp := a.Map()
				b.Map().Range(func(k string, v Value) bool {
					if _, ok := mp.Get(k); !ok {
						m.allocP(int64(len(k))+MapEntrySize, pos)
					}
					mp.Set(k, v.Clone())
					return true
				})
				m.checkLenP(MapKind, mp.Len(), pos)
				return a
			}
		case BlobKind:
			bl := a.Blob()
			switch b.k {
			case BlobKind:
				m.checkLenP(BlobKind, len(bl.B)+len(b.Blob().B), pos)
				m.allocP(int64(len(b.Blob().B)), pos)
				bl.B = append(bl.B, b.Blob().B...)
				return a
			case IntKind:
				m.checkLenP(BlobKind, len(bl.B)+1, pos)
				m.allocP(1, pos)
				bl.B = append(bl.B, byte(b.n))
				return a
			case CharKind:
				m.allocP(4, pos)
				bl.B = append(bl.B, string(b.Char())...)
				m.checkLenP(BlobKind, len(bl.B), pos)
				return a
			case StringKind:
				m.allocP(int64(len(b.Str())), pos)
				bl.B = append(bl.B, b.Str()...)
				m.checkLenP(BlobKind, len(bl.B), pos)
				return a
			}
		}
	}
	return m.binop(op, a, b, pos)
}

// growArray makes room for n more elements (doubling), accounting the
// reallocation.
func (m *machine) growArray(a *Array, n int, pos Pos) {
	if cost := a.ReserveCost(n); cost > 0 {
		m.allocP(cost, pos)
		a.Reserve(n)
	}
}
