package eval

import (
	"math"
	"strings"
	"unsafe"

	"github.com/picloud/picloud/guest/syntax"
)

// Integer arithmetic, checked as Rhai does. Each returns ok=false on
// overflow (or division by zero); the caller raises ErrorArithmetic.

func addInt(a, b int64) (int64, bool) {
	s := a + b
	return s, (a^s)&(b^s) >= 0
}

func subInt(a, b int64) (int64, bool) {
	s := a - b
	return s, (a^b)&(a^s) >= 0
}

func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	s := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || s/b != a {
		return 0, false
	}
	return s, true
}

func powInt(x, y int64) (int64, bool) {
	r := int64(1)
	for y > 0 {
		if y&1 == 1 {
			var ok bool
			if r, ok = mulInt(r, x); !ok {
				return 0, false
			}
		}
		y >>= 1
		if y > 0 {
			var ok bool
			if x, ok = mulInt(x, x); !ok {
				return 0, false
			}
		}
	}
	return r, true
}

func shl(x, y int64) int64 {
	switch {
	case y < 0:
		if y == math.MinInt64 {
			return shr(x, math.MaxInt64)
		}
		return shr(x, -y)
	case y >= 64:
		return 0
	}
	return x << uint(y)
}

func shr(x, y int64) int64 {
	switch {
	case y < 0:
		if y == math.MinInt64 {
			return shl(x, math.MaxInt64)
		}
		return shl(x, -y)
	case y >= 64:
		return x >> 63
	}
	return x >> uint(y)
}

const floatEpsilon = 2.220446049250313e-16

// Float comparisons use Rhai's relative-epsilon rule.
func floatEq(x, y float64) bool {
	max := 1.0
	if x*y != 0 {
		max = math.Max(math.Abs(x), math.Abs(y))
	}
	if max == 0 {
		return true
	}
	return math.Abs(x-y)/max <= floatEpsilon
}

func floatNe(x, y float64) bool {
	max := 1.0
	if x*y != 0 {
		max = math.Max(math.Abs(x), math.Abs(y))
	}
	if max == 0 {
		return false
	}
	return math.Abs(x-y)/max > floatEpsilon
}

func floatCmp(op syntax.Op, x, y float64) bool {
	max := 1.0
	if x*y != 0 {
		max = math.Max(math.Abs(x), math.Abs(y))
	}
	switch op {
	case syntax.OpEq:
		return floatEq(x, y)
	case syntax.OpNe:
		return floatNe(x, y)
	case syntax.OpGt:
		if max == 0 {
			return false
		}
		return (x-y)/max > floatEpsilon
	case syntax.OpGe:
		if max == 0 {
			return true
		}
		return (x-y)/max > -floatEpsilon
	case syntax.OpLt:
		if max == 0 {
			return false
		}
		return (y-x)/max > floatEpsilon
	case syntax.OpLe:
		if max == 0 {
			return true
		}
		return (y-x)/max > -floatEpsilon
	}
	return false
}

func (m *machine) arith(msg string, a, b int64, op string, pos Pos) {
	m.fail(ErrorArithmetic, pos, "%s: %d %s %d", msg, a, op, b)
}

// intOp applies a binary operator to two integers.
func (m *machine) intOp(op syntax.Op, a, b int64, pos Pos) Value {
	switch op {
	case syntax.OpAdd:
		if s, ok := addInt(a, b); ok {
			return Value{k: IntKind, n: s}
		}
		m.arith("Addition overflow", a, b, "+", pos)
	case syntax.OpSub:
		if s, ok := subInt(a, b); ok {
			return Value{k: IntKind, n: s}
		}
		m.arith("Subtraction overflow", a, b, "-", pos)
	case syntax.OpMul:
		if s, ok := mulInt(a, b); ok {
			return Value{k: IntKind, n: s}
		}
		m.arith("Multiplication overflow", a, b, "*", pos)
	case syntax.OpDiv:
		if b == 0 {
			m.arith("Division by zero", a, b, "/", pos)
		}
		if a == math.MinInt64 && b == -1 {
			m.arith("Division overflow", a, b, "/", pos)
		}
		return Value{k: IntKind, n: a / b}
	case syntax.OpMod:
		if b == 0 || (a == math.MinInt64 && b == -1) {
			m.arith("Modulo division by zero or overflow", a, b, "%", pos)
		}
		return Value{k: IntKind, n: a % b}
	case syntax.OpPow:
		if b < 0 {
			m.arith("Integer raised to a negative power", a, b, "**", pos)
		}
		if b > math.MaxUint32 {
			m.arith("Exponential overflow", a, b, "**", pos)
		}
		if r, ok := powInt(a, b); ok {
			return Value{k: IntKind, n: r}
		}
		m.arith("Exponential overflow", a, b, "**", pos)
	case syntax.OpShl:
		return Value{k: IntKind, n: shl(a, b)}
	case syntax.OpShr:
		return Value{k: IntKind, n: shr(a, b)}
	case syntax.OpBitAnd:
		return Value{k: IntKind, n: a & b}
	case syntax.OpBitOr:
		return Value{k: IntKind, n: a | b}
	case syntax.OpBitXor:
		return Value{k: IntKind, n: a ^ b}
	case syntax.OpEq:
		return Bool(a == b)
	case syntax.OpNe:
		return Bool(a != b)
	case syntax.OpLt:
		return Bool(a < b)
	case syntax.OpLe:
		return Bool(a <= b)
	case syntax.OpGt:
		return Bool(a > b)
	case syntax.OpGe:
		return Bool(a >= b)
	case syntax.OpRange:
		return NewRange(a, b, false)
	case syntax.OpRangeIncl:
		return NewRange(a, b, true)
	}
	m.opNotFound(op, Int(a), Int(b), pos)
	return Value{}
}

func (m *machine) floatOp(op syntax.Op, x, y float64, yInt bool, yi int64, pos Pos) (Value, bool) {
	switch op {
	case syntax.OpAdd:
		return Float(x + y), true
	case syntax.OpSub:
		return Float(x - y), true
	case syntax.OpMul:
		return Float(x * y), true
	case syntax.OpDiv:
		return Float(x / y), true
	case syntax.OpMod:
		return Float(math.Mod(x, y)), true
	case syntax.OpPow:
		if yInt {
			if yi > math.MaxInt32 {
				m.fail(ErrorArithmetic, pos, "Number raised to too large an index: %s ** %d", FormatFloat(x), yi)
			}
			return Float(powi(x, int(yi))), true
		}
		return Float(math.Pow(x, y)), true
	case syntax.OpEq, syntax.OpNe, syntax.OpLt, syntax.OpLe, syntax.OpGt, syntax.OpGe:
		return Bool(floatCmp(op, x, y)), true
	}
	return Value{}, false
}

// powi is Rust's f64::powi: repeated multiplication (so it matches Rhai's
// results bit for bit on small exponents).
func powi(x float64, n int) float64 {
	if n < 0 {
		if n == math.MinInt32 {
			return 1 / (powi(x, -(n+1)) * x)
		}
		return 1 / powi(x, -n)
	}
	r := 1.0
	for n > 0 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
		n >>= 1
	}
	return r
}

func isCmp(op syntax.Op) bool {
	switch op {
	case syntax.OpEq, syntax.OpNe, syntax.OpLt, syntax.OpLe, syntax.OpGt, syntax.OpGe:
		return true
	}
	return false
}

func cmpResult(op syntax.Op, c int) bool {
	switch op {
	case syntax.OpEq:
		return c == 0
	case syntax.OpNe:
		return c != 0
	case syntax.OpLt:
		return c < 0
	case syntax.OpLe:
		return c <= 0
	case syntax.OpGt:
		return c > 0
	case syntax.OpGe:
		return c >= 0
	}
	return false
}

func isNumeric(k Kind) bool { return k == IntKind || k == FloatKind }

// binop applies a binary operator with Rhai's built-in semantics, falling
// back to registered operator functions.
func (m *machine) binop(op syntax.Op, a, b Value, pos Pos) Value {
	if a.k == IntKind && b.k == IntKind {
		return m.intOp(op, a.n, b.n, pos)
	}
	switch {
	case a.k == FloatKind && b.k == FloatKind:
		if v, ok := m.floatOp(op, a.Float(), b.Float(), false, 0, pos); ok {
			return v
		}
	case a.k == FloatKind && b.k == IntKind:
		if v, ok := m.floatOp(op, a.Float(), float64(b.n), true, b.n, pos); ok {
			return v
		}
	case a.k == IntKind && b.k == FloatKind:
		if v, ok := m.floatOp(op, float64(a.n), b.Float(), false, 0, pos); ok {
			return v
		}
	case a.k == StringKind && b.k == StringKind:
		switch op {
		case syntax.OpAdd:
			return m.addStrings(a, b.Str(), pos)
		case syntax.OpSub:
			m.burn(a.n/64, pos)
			return m.newString(strings.ReplaceAll(a.Str(), b.Str(), ""), pos)
		}
		if isCmp(op) {
			m.burn(min(a.n, b.n)/64, pos)
			return Bool(cmpResult(op, strings.Compare(a.Str(), b.Str())))
		}
	case a.k == CharKind && b.k == CharKind:
		if op == syntax.OpAdd {
			return m.newString(string(a.Char())+string(b.Char()), pos)
		}
		if isCmp(op) {
			return Bool(cmpResult(op, cmpInt(a.n, b.n)))
		}
	case a.k == BoolKind && b.k == BoolKind:
		switch op {
		case syntax.OpBitAnd:
			return Bool(a.n&b.n != 0)
		case syntax.OpBitOr:
			return Bool(a.n|b.n != 0)
		case syntax.OpBitXor:
			return Bool(a.n != b.n)
		}
		if isCmp(op) {
			return Bool(cmpResult(op, cmpInt(a.n, b.n)))
		}
	case a.k == StringKind && b.k == CharKind:
		switch op {
		case syntax.OpAdd:
			return m.addStrings(a, string(b.Char()), pos)
		case syntax.OpSub:
			return m.newString(strings.ReplaceAll(a.Str(), string(b.Char()), ""), pos)
		}
		if isCmp(op) {
			return Bool(cmpResult(op, cmpPrefix2(a.Str(), string(b.Char()))))
		}
	case a.k == CharKind && b.k == StringKind:
		if op == syntax.OpAdd {
			return m.newString(string(a.Char())+b.Str(), pos)
		}
		if isCmp(op) {
			return Bool(cmpResult(op, cmpPrefix2(string(a.Char()), b.Str())))
		}
	case a.k == UnitKind && b.k == UnitKind:
		if isCmp(op) {
			return Bool(op == syntax.OpEq || op == syntax.OpLe || op == syntax.OpGe)
		}
	}
	if op == syntax.OpAdd && ((a.k == StringKind && (b.k == ArrayKind || b.k == MapKind)) || (b.k == StringKind && (a.k == ArrayKind || a.k == MapKind))) {
		// string + anything: the other side's display text (bounded)
		if a.k == StringKind {
			if b.k == UnitKind {
				return a
			}
			return m.addStrings(a, m.display(b, false, pos), pos)
		}
		if a.k == UnitKind {
			return b
		}
		return m.newString(m.display(a, false, pos)+b.Str(), pos)
	}
	if fs := m.builtins.lookup(op.String()); fs != nil {
		base := len(m.args)
		m.args = append(m.args, a, b)
		args := m.args[base : base+2 : base+2]
		if fn := findBuiltin(fs, args); fn != nil {
			v := m.invoke(fn, fs.name, args, pos)
			m.args = m.args[:base]
			return v
		}
		m.args = m.args[:base]
	}
	switch {
	case op == syntax.OpAdd && a.k == StringKind:
		if b.k == UnitKind {
			return a
		}
		return m.addStrings(a, m.display(b, false, pos), pos)
	case op == syntax.OpAdd && b.k == StringKind:
		if a.k == UnitKind {
			return b
		}
		return m.newString(m.display(a, false, pos)+b.Str(), pos)
	case op == syntax.OpAdd && a.k == ArrayKind && b.k == ArrayKind:
		x, y := a.Array().Elems, b.Array().Elems
		m.checkLenP(ArrayKind, len(x)+len(y), pos)
		m.allocP(int64(len(x)+len(y))*ValueSize, pos)
		out := make([]Value, 0, len(x)+len(y))
		for _, e := range x {
			out = append(out, e.Clone())
		}
		for _, e := range y {
			out = append(out, e.Clone())
		}
		return NewArray(out)
	case op == syntax.OpAdd && a.k == BlobKind && b.k == BlobKind:
		x, y := a.Blob().B, b.Blob().B
		m.checkLenP(BlobKind, len(x)+len(y), pos)
		m.allocP(int64(len(x)+len(y)), pos)
		out := make([]byte, 0, len(x)+len(y))
		return NewBlob(append(append(out, x...), y...))
	case op == syntax.OpAdd && a.k == BlobKind && b.k == CharKind:
		x := a.Blob().B
		s := string(b.Char())
		m.checkLenP(BlobKind, len(x)+len(s), pos)
		m.allocP(int64(len(x)+len(s)), pos)
		return NewBlob(append(append([]byte(nil), x...), s...))
	case op == syntax.OpAdd && a.k == MapKind && b.k == MapKind:
		out := a.Map().Clone()
		b.Map().Range(func(k string, v Value) bool {
			out.Set(k, v.Clone())
			return true
		})
		m.checkLenP(MapKind, out.Len(), pos)
		m.allocP(Value{k: MapKind, p: unsafe.Pointer(out)}.Size(), pos)
		return Value{k: MapKind, p: unsafe.Pointer(out)}
	case (op == syntax.OpEq || op == syntax.OpNe) && a.k == b.k:
		switch a.k {
		case ArrayKind, MapKind, BlobKind, RangeKind, FnPtrKind, TimestampKind:
			m.burn(workSize(a)/16, pos)
			return Bool(Equal(a, b) == (op == syntax.OpEq))
		}
	case isCmp(op) && a.k == TimestampKind && b.k == TimestampKind:
		return Bool(cmpResult(op, cmpInt(a.n, b.n)))
	case isCmp(op) && a.k != b.k && !(isNumeric(a.k) && isNumeric(b.k)):
		return Bool(op == syntax.OpNe)
	case op == syntax.OpRange || op == syntax.OpRangeIncl:
		if a.k == IntKind && b.k == UnitKind {
			return NewRange(a.n, math.MaxInt64, op == syntax.OpRangeIncl)
		}
		if a.k == UnitKind && b.k == IntKind {
			return NewRange(0, b.n, op == syntax.OpRangeIncl)
		}
	}
	m.opNotFound(op, a, b, pos)
	return Value{}
}

func (m *machine) opNotFound(op syntax.Op, a, b Value, pos Pos) {
	m.fail(ErrorFunctionNotFound, pos, "Function not found: %s (%s, %s)", op, a.TypeName(), b.TypeName())
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpPrefix2 compares the first two characters of a and b (Rhai's rule for
// comparing a char with a string).
func cmpPrefix2(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < 2; i++ {
		ha, hb := i < len(ra), i < len(rb)
		switch {
		case !ha && !hb:
			return 0
		case !ha:
			return -1
		case !hb:
			return 1
		case ra[i] != rb[i]:
			return cmpInt(int64(ra[i]), int64(rb[i]))
		}
	}
	return 0
}

// newString makes a string value, enforcing the size limit and accounting
// its bytes.
func (m *machine) newString(s string, pos Pos) Value {
	if m.limits.MaxStringLen > 0 && len(s) > m.limits.MaxStringLen {
		m.fail(ErrorDataTooLarge, pos, "Length of string too large")
	}
	m.allocP(int64(len(s)), pos)
	return Str(s)
}

// addStrings returns a + b. When a is the string most recently grown by this
// function and its buffer has room, b is appended in place (the bytes a
// already covers never change, so every older string stays valid): building
// a string in a loop costs amortized O(1) per step instead of O(n).
func (m *machine) addStrings(a Value, b string, pos Pos) Value {
	if len(b) == 0 {
		return a
	}
	n := int(a.n) + len(b)
	if m.limits.MaxStringLen > 0 && n > m.limits.MaxStringLen {
		m.fail(ErrorDataTooLarge, pos, "Length of string too large")
	}
	buf := m.appendBuf
	if a.n > 0 && len(buf) == int(a.n) && a.p == unsafe.Pointer(unsafe.SliceData(buf)) && cap(buf)-len(buf) >= len(b) {
		buf = append(buf, b...)
	} else {
		if a.n == 0 && n < 32 {
			return m.newString(b, pos)
		}
		c := 2 * n
		if c < 32 {
			c = 32
		}
		m.allocP(int64(c), pos)
		nb := make([]byte, n, c)
		copy(nb, a.Str())
		copy(nb[a.n:], b)
		buf = nb
	}
	m.appendBuf = buf
	return Value{k: StringKind, n: int64(n), p: unsafe.Pointer(unsafe.SliceData(buf))}
}

// unop applies a unary operator.
func (m *machine) unop(op syntax.Op, a Value, pos Pos) Value {
	switch op {
	case syntax.OpNeg:
		switch a.k {
		case IntKind:
			if a.n == math.MinInt64 {
				m.fail(ErrorArithmetic, pos, "Negation overflow: -%d", a.n)
			}
			return Int(-a.n)
		case FloatKind:
			return Float(-a.Float())
		}
	case syntax.OpPlus:
		if a.k == IntKind || a.k == FloatKind {
			return a
		}
	case syntax.OpNot:
		if a.k == BoolKind {
			return Bool(a.n == 0)
		}
	}
	if fs := m.builtins.lookup(op.String()); fs != nil {
		base := len(m.args)
		m.args = append(m.args, a)
		args := m.args[base : base+1 : base+1]
		if fn := findBuiltin(fs, args); fn != nil {
			v := m.invoke(fn, fs.name, args, pos)
			m.args = m.args[:base]
			return v
		}
		m.args = m.args[:base]
	}
	m.fail(ErrorFunctionNotFound, pos, "Function not found: %s (%s)", op, a.TypeName())
	return Value{}
}

// workSize is a cheap measure of the work a walk over v takes: its length
// (nested containers count as one element each).
func workSize(v Value) int64 {
	switch v.k {
	case ArrayKind:
		return int64(len((*Array)(v.p).Elems))
	case MapKind:
		return int64((*Map)(v.p).Len())
	case BlobKind:
		return int64(len((*Blob)(v.p).B)) / 8
	case StringKind:
		return v.n / 4
	}
	return 0
}

// contains implements `x in y`.
func (m *machine) contains(x, y Value, pos Pos) bool {
	m.burn(workSize(y)/16, pos)
	switch y.k {
	case ArrayKind:
		for _, e := range y.Array().Elems {
			if Equal(e, x) {
				return true
			}
		}
		return false
	case StringKind:
		switch x.k {
		case StringKind:
			return strings.Contains(y.Str(), x.Str())
		case CharKind:
			return strings.ContainsRune(y.Str(), x.Char())
		}
	case MapKind:
		switch x.k {
		case StringKind:
			_, ok := y.Map().Get(x.Str())
			return ok
		case CharKind:
			_, ok := y.Map().Get(string(x.Char()))
			return ok
		}
	case RangeKind:
		if x.k == IntKind {
			return y.Range().Contains(x.n)
		}
	case BlobKind:
		if x.k == IntKind {
			for _, c := range y.Blob().B {
				if int64(c) == x.n {
					return true
				}
			}
			return false
		}
	}
	if fs := m.builtins.lookup("contains"); fs != nil {
		base := len(m.args)
		m.args = append(m.args, y, x)
		args := m.args[base : base+2 : base+2]
		if fn := findBuiltin(fs, args); fn != nil {
			v := m.invoke(fn, "contains", args, pos)
			m.args = m.args[:base]
			if v.k != BoolKind {
				m.fail(ErrorMismatchOutputType, pos, "Output type incorrect: %s (expecting bool)", v.TypeName())
			}
			return v.Bool()
		}
		m.args = m.args[:base]
	}
	m.fail(ErrorFunctionNotFound, pos, "Function not found: contains (%s, %s)", y.TypeName(), x.TypeName())
	return false
}
