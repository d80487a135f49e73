// Package eval holds the values of PiCloud's Rhai dialect, the builtin-function
// registry and its calling convention, and the evaluator that runs a resolved,
// compiled AST under fuel, call-depth, memory and size limits.
package eval

import (
	"math"
	"slices"
	"strings"
	"unsafe"
)

// Kind is the dynamic type of a Value.
type Kind uint8

// The kinds of values. Any is only used in builtin parameter lists, where it
// matches every kind.
const (
	UnitKind Kind = iota
	BoolKind
	IntKind
	FloatKind
	CharKind
	StringKind
	ArrayKind
	MapKind
	BlobKind
	FnPtrKind
	TimestampKind
	RangeKind
	IterKind // a lazy sequence for `for` loops: range with a step, chars(), bits()
	Any
	numKinds
)

var kindNames = [...]string{
	UnitKind: "()", BoolKind: "bool", IntKind: "i64", FloatKind: "f64", CharKind: "char",
	StringKind: "string", ArrayKind: "array", MapKind: "map", BlobKind: "blob", FnPtrKind: "Fn",
	TimestampKind: "timestamp", RangeKind: "range", IterKind: "iterator", Any: "any",
}

// String returns Rhai's type name of the kind (ranges give "range").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "?"
}

// Value is one Rhai value. It is a small struct, not an interface, so that
// integers, floats, booleans and chars never allocate. The zero Value is ().
type Value struct {
	k   Kind
	tag int32          // Rhai's value tag (0 unless a script sets it); fits in k's padding
	n   int64          // Int; Bool (0/1); Char (rune); Float (bits); Timestamp (nanos); String (byte length)
	p   unsafe.Pointer // String: the bytes; *Array, *Map, *Blob, *FnPtr, *Range; internal kinds: *cell, *Error
}

// Tag returns the value's tag: an i32 a script may attach to any value
// (x.tag = 42), copied with the value, 0 by default.
func (v Value) Tag() int32 { return v.tag }

// WithTag returns v carrying the tag t.
func (v Value) WithTag(t int32) Value {
	v.tag = t
	return v
}

// Unit returns () (the zero Value).
func Unit() Value { return Value{} }

// Constructors.

// Int returns an i64 value.
func Int(i int64) Value { return Value{k: IntKind, n: i} }

// Float returns an f64 value.
func Float(f float64) Value { return Value{k: FloatKind, n: int64(math.Float64bits(f))} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{k: BoolKind, n: 1}
	}
	return Value{k: BoolKind}
}

// Char returns a char value.
func Char(r rune) Value { return Value{k: CharKind, n: int64(r)} }

// Str returns a string value; the Go string is shared, never copied.
func Str(s string) Value {
	return Value{k: StringKind, n: int64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// Timestamp returns a timestamp value from nanoseconds on a monotonic clock.
func Timestamp(nanos int64) Value { return Value{k: TimestampKind, n: nanos} }

// NewArray returns an array value owning elems (not copied).
func NewArray(elems []Value) Value {
	return Value{k: ArrayKind, p: unsafe.Pointer(&Array{Elems: elems})}
}

// ArrayOf returns an array value for an existing *Array (shared, not copied).
func ArrayOf(a *Array) Value { return Value{k: ArrayKind, p: unsafe.Pointer(a)} }

// NewMap returns an empty map value.
func NewMap() Value { return Value{k: MapKind, p: unsafe.Pointer(&Map{})} }

// MapOf returns a map value for an existing *Map (shared, not copied).
func MapOf(m *Map) Value { return Value{k: MapKind, p: unsafe.Pointer(m)} }

// NewBlob returns a blob value owning b (not copied).
func NewBlob(b []byte) Value { return Value{k: BlobKind, p: unsafe.Pointer(&Blob{B: b})} }

// BlobOf returns a blob value for an existing *Blob (shared, not copied).
func BlobOf(b *Blob) Value { return Value{k: BlobKind, p: unsafe.Pointer(b)} }

// NewFnPtr returns a function pointer to the function called name.
func NewFnPtr(name string) Value { return Value{k: FnPtrKind, p: unsafe.Pointer(&FnPtr{Name: name})} }

// FnPtrOf returns a function-pointer value for an existing *FnPtr.
func FnPtrOf(f *FnPtr) Value { return Value{k: FnPtrKind, p: unsafe.Pointer(f)} }

// NewRange returns the range start..end, or start..=end when inclusive.
func NewRange(start, end int64, inclusive bool) Value {
	return Value{k: RangeKind, p: unsafe.Pointer(&Range{Start: start, End: end, Inclusive: inclusive})}
}

// Accessors. Each assumes the value has the matching kind (check Kind first);
// on another kind it returns the zero value of its result.

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.k }

// IsUnit reports whether v is ().
func (v Value) IsUnit() bool { return v.k == UnitKind }

// Int returns the integer of an Int value.
func (v Value) Int() int64 { return v.n }

// Float returns the float of a Float value.
func (v Value) Float() float64 { return math.Float64frombits(uint64(v.n)) }

// Bool returns the boolean of a Bool value.
func (v Value) Bool() bool { return v.n != 0 }

// Char returns the rune of a Char value.
func (v Value) Char() rune { return rune(v.n) }

// Timestamp returns the nanoseconds of a Timestamp value.
func (v Value) Timestamp() int64 { return v.n }

// Str returns the string of a String value ("" for other kinds).
func (v Value) Str() string {
	if v.k != StringKind || v.n == 0 {
		return ""
	}
	return unsafe.String((*byte)(v.p), int(v.n))
}

// Array returns the array of an Array value (nil for other kinds).
func (v Value) Array() *Array {
	if v.k != ArrayKind {
		return nil
	}
	return (*Array)(v.p)
}

// Map returns the map of a Map value (nil for other kinds).
func (v Value) Map() *Map {
	if v.k != MapKind {
		return nil
	}
	return (*Map)(v.p)
}

// Blob returns the blob of a Blob value (nil for other kinds).
func (v Value) Blob() *Blob {
	if v.k != BlobKind {
		return nil
	}
	return (*Blob)(v.p)
}

// FnPtr returns the function pointer of a FnPtr value (nil for other kinds).
func (v Value) FnPtr() *FnPtr {
	if v.k != FnPtrKind {
		return nil
	}
	return (*FnPtr)(v.p)
}

// Range returns the range of a Range value (nil for other kinds).
func (v Value) Range() *Range {
	if v.k != RangeKind {
		return nil
	}
	return (*Range)(v.p)
}

// AsFloat returns an Int or Float value as float64; ok is false for other kinds.
func (v Value) AsFloat() (f float64, ok bool) {
	switch v.k {
	case IntKind:
		return float64(v.n), true
	case FloatKind:
		return v.Float(), true
	}
	return 0, false
}

// TypeName returns Rhai's type_of name of the value.
func (v Value) TypeName() string {
	if v.k == RangeKind && v.Range().Inclusive {
		return "range="
	}
	return v.k.String()
}

// Clone returns a deep copy of arrays, maps and blobs; other values are
// immutable and returned as they are.
func (v Value) Clone() Value {
	switch v.k {
	case ArrayKind:
		return Value{k: ArrayKind, tag: v.tag, p: unsafe.Pointer(v.Array().Clone())}
	case MapKind:
		return Value{k: MapKind, tag: v.tag, p: unsafe.Pointer(v.Map().Clone())}
	case BlobKind:
		b := v.Blob()
		return Value{k: BlobKind, tag: v.tag, p: unsafe.Pointer(&Blob{B: append([]byte(nil), b.B...)})}
	}
	return v
}

// Size returns an estimate in bytes of the memory v holds beyond the Value
// itself, counting nested containers (used for memory accounting of copies).
func (v Value) Size() int64 {
	switch v.k {
	case StringKind:
		return v.n
	case ArrayKind:
		a := v.Array()
		n := int64(len(a.Elems)) * ValueSize
		for _, e := range a.Elems {
			if e.k >= StringKind && e.k <= BlobKind {
				n += e.Size()
			}
		}
		return n
	case MapKind:
		m := v.Map()
		var n int64
		for k, e := range m.m {
			n += int64(len(k)) + MapEntrySize + e.Size()
		}
		return n
	case BlobKind:
		return int64(len(v.Blob().B))
	case FnPtrKind:
		f := v.FnPtr()
		return int64(len(f.Curry)) * ValueSize
	}
	return 0
}

// ValueSize is the size of a Value in bytes; MapEntrySize the accounted
// overhead of one map entry besides its key bytes.
const (
	ValueSize    = int64(unsafe.Sizeof(Value{}))
	MapEntrySize = ValueSize + 24
)

// Array is the storage of an array. Arrays have value semantics: the
// evaluator clones them on let, assignment, argument passing and storing;
// builtins mutate the receiver in place through this pointer.
type Array struct {
	Elems []Value
}

// Clone returns a deep copy of the array.
func (a *Array) Clone() *Array {
	out := make([]Value, len(a.Elems))
	for i, e := range a.Elems {
		out[i] = e.Clone()
	}
	return &Array{Elems: out}
}

// Len returns the number of elements.
func (a *Array) Len() int { return len(a.Elems) }

// Append appends vs, doubling the backing array when it is full (Go's own
// append grows large slices by only 1.25×, which copies a pushed-to array
// several times over), and returns the bytes a growth allocated (0 when the
// values fit), for Call.Alloc.
func (a *Array) Append(vs ...Value) int64 {
	grown := a.Reserve(len(vs))
	a.Elems = append(a.Elems, vs...)
	return grown
}

// ReserveCost returns the bytes Reserve(add) will allocate: 0 when add more
// elements fit, else the doubled backing array's size.
func (a *Array) ReserveCost(add int) int64 {
	n := len(a.Elems) + add
	if n <= cap(a.Elems) {
		return 0
	}
	return int64(growCap(cap(a.Elems), n)) * ValueSize
}

// Reserve makes room for add more elements with the doubling growth of
// Append and returns the bytes the reallocation took (0 when they fit).
func (a *Array) Reserve(add int) int64 {
	n := len(a.Elems) + add
	if n <= cap(a.Elems) {
		return 0
	}
	c := growCap(cap(a.Elems), n)
	out := make([]Value, len(a.Elems), c)
	copy(out, a.Elems)
	a.Elems = out
	return int64(c) * ValueSize
}

func growCap(old, n int) int {
	c := 2 * old
	if c < n {
		c = n
	}
	if c < 4 {
		c = 4
	}
	return c
}

// Blob is the storage of a blob (byte array), with value semantics like arrays.
type Blob struct {
	B []byte
}

// Map is an object map. Keys iterate in sorted order, as Rhai's BTreeMap.
type Map struct {
	m    map[string]Value
	keys []string // sorted keys; nil when stale
	fns  int      // function pointers ever stored (0: no property can be a method)
}

// NewMapCap returns an empty map with room for n entries.
func NewMapCap(n int) *Map { return &Map{m: make(map[string]Value, n)} }

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.m) }

// Get returns the value under key.
func (m *Map) Get(key string) (Value, bool) {
	v, ok := m.m[key]
	return v, ok
}

// Set stores v under key.
func (m *Map) Set(key string, v Value) {
	if m.m == nil {
		m.m = make(map[string]Value)
	}
	if m.keys != nil {
		if _, ok := m.m[key]; !ok {
			m.keys = nil
		}
	}
	if v.k == FnPtrKind {
		m.fns++
	}
	m.m[key] = v
}

// Delete removes key and returns the value it held.
func (m *Map) Delete(key string) (Value, bool) {
	v, ok := m.m[key]
	if ok {
		delete(m.m, key)
		m.keys = nil
	}
	return v, ok
}

// Clear removes every entry.
func (m *Map) Clear() {
	clear(m.m)
	m.keys = nil
	m.fns = 0
}

// Keys returns the keys in sorted order. The slice is shared: do not modify it.
func (m *Map) Keys() []string {
	if m.keys == nil || len(m.keys) != len(m.m) {
		keys := make([]string, 0, len(m.m))
		for k := range m.m {
			keys = append(keys, k)
		}
		sortKeys(keys)
		m.keys = keys
	}
	return m.keys
}

// Range calls f for each entry in sorted key order until f returns false.
// f must not modify the map.
func (m *Map) Range(f func(key string, v Value) bool) {
	for _, k := range m.Keys() {
		if !f(k, m.m[k]) {
			return
		}
	}
}

// Clone returns a deep copy of the map.
func (m *Map) Clone() *Map {
	out := &Map{m: make(map[string]Value, len(m.m)), keys: m.keys, fns: m.fns}
	for k, v := range m.m {
		out.m[k] = v.Clone()
	}
	return out
}

// FnPtr is a function pointer: a function name, arguments curried into it,
// and for closures the compiled function with its captured cells.
type FnPtr struct {
	Name  string
	Curry []Value
	fn    *funcDef // the closure's function, or a cached lookup; nil = resolve by name
	caps  []*cell  // the closure's captured (shared) variables
	mod   *modInst // the module the closure was created in
	cap2  [2]*cell // storage for caps of closures that capture up to two variables
}

// IsAnonymous reports whether the pointer refers to a closure.
func (f *FnPtr) IsAnonymous() bool { return strings.HasPrefix(f.Name, "anon$") }

// Range is an integer range start..end or start..=end.
type Range struct {
	Start, End int64
	Inclusive  bool
}

// Len returns the number of integers in the range (0 when empty).
func (r *Range) Len() int64 {
	if r.Inclusive {
		if r.End < r.Start {
			return 0
		}
		d := uint64(r.End) - uint64(r.Start)
		if d >= math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(d + 1)
	}
	if r.End <= r.Start {
		return 0
	}
	d := uint64(r.End) - uint64(r.Start)
	if d > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(d)
}

// Contains reports whether i lies in the range.
func (r *Range) Contains(i int64) bool {
	if r.Inclusive {
		return i >= r.Start && i <= r.End
	}
	return i >= r.Start && i < r.End
}

// Equal reports whether a == b by Rhai's rules: ints and floats compare by
// value with Rhai's relative-epsilon float == (builtin.rs: |x-y|/max(|x|,|y|)
// <= f64::EPSILON, so NaN and infinities are equal to nothing), containers
// element-wise with that ==, values of different types are unequal. The
// operators, `in`, contains, index_of and dedup all use it.
func Equal(a, b Value) bool { return equal(a, b, false) }

// equal is Equal, or with exact set bit-for-bit equality of floats (to tell
// whether a value changed at all).
func equal(a, b Value, exact bool) bool {
	if a.k != b.k {
		switch {
		case exact:
			return false
		case a.k == IntKind && b.k == FloatKind:
			return floatEq(float64(a.n), b.Float())
		case a.k == FloatKind && b.k == IntKind:
			return floatEq(a.Float(), float64(b.n))
		}
		return false
	}
	switch a.k {
	case UnitKind:
		return true
	case BoolKind, IntKind, CharKind, TimestampKind:
		return a.n == b.n
	case FloatKind:
		if exact {
			return a.n == b.n
		}
		return floatEq(a.Float(), b.Float())
	case StringKind:
		return a.n == b.n && a.Str() == b.Str()
	case ArrayKind:
		x, y := a.Array().Elems, b.Array().Elems
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i], exact) {
				return false
			}
		}
		return true
	case MapKind:
		x, y := a.Map(), b.Map()
		if x.Len() != y.Len() {
			return false
		}
		for k, v := range x.m {
			w, ok := y.m[k]
			if !ok || !equal(v, w, exact) {
				return false
			}
		}
		return true
	case BlobKind:
		return string(a.Blob().B) == string(b.Blob().B)
	case FnPtrKind:
		x, y := a.FnPtr(), b.FnPtr()
		if x.Name != y.Name || len(x.Curry) != len(y.Curry) {
			return false
		}
		for i := range x.Curry {
			if !equal(x.Curry[i], y.Curry[i], exact) {
				return false
			}
		}
		return true
	case RangeKind:
		return *a.Range() == *b.Range()
	}
	return false
}

// Compare orders a and b: ints and floats by value (mixed allowed), strings,
// chars, booleans and timestamps among themselves. ok is false when the two
// values cannot be ordered (different types, containers, NaN).
func Compare(a, b Value) (c int, ok bool) {
	if a.k != b.k {
		x, okA := a.AsFloat()
		y, okB := b.AsFloat()
		if !okA || !okB {
			return 0, false
		}
		return cmpFloat(x, y)
	}
	switch a.k {
	case IntKind, CharKind, TimestampKind, BoolKind:
		switch {
		case a.n < b.n:
			return -1, true
		case a.n > b.n:
			return 1, true
		}
		return 0, true
	case FloatKind:
		return cmpFloat(a.Float(), b.Float())
	case StringKind:
		return strings.Compare(a.Str(), b.Str()), true
	case UnitKind:
		return 0, true
	}
	return 0, false
}

func cmpFloat(x, y float64) (int, bool) {
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	case x == y:
		return 0, true
	}
	return 0, false
}

// sortKeys sorts map keys in byte order (Rhai's BTreeMap order): an MSD radix
// sort on the byte at depth d, about twice as fast as a comparison sort on
// the many keys with a common prefix that scripts build.
func sortKeys(s []string) {
	if len(s) <= radixMin {
		slices.Sort(s)
		return
	}
	radixSort(s, make([]string, len(s)), 0)
}

const radixMin = 48

func radixSort(s, tmp []string, d int) {
	if len(s) <= radixMin {
		slices.Sort(s)
		return
	}
	var count, start [257]int
	for _, x := range s {
		count[keyByte(x, d)]++
	}
	sum := 0
	for i := range count {
		start[i] = sum
		sum += count[i]
	}
	pos := start
	for _, x := range s {
		k := keyByte(x, d)
		tmp[pos[k]] = x
		pos[k]++
	}
	copy(s, tmp[:len(s)])
	// bucket 0 holds the strings that end at d: all equal
	for b := 1; b < len(count); b++ {
		if n := count[b]; n > 1 {
			lo := start[b]
			radixSort(s[lo:lo+n], tmp[lo:lo+n], d+1)
		}
	}
}

// keyByte is the radix of x at depth d: 0 past its end, else its byte + 1.
func keyByte(x string, d int) int {
	if d < len(x) {
		return int(x[d]) + 1
	}
	return 0
}
