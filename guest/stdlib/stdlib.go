// Package stdlib is Rhai's standard library for PiCloud's interpreter:
// strings and characters, arrays, object maps, ranges, numbers and math, bit
// fields, blobs, timestamps, number parsing, JSON, type names and text
// conversions, and the language-core functions (print, debug, sleep).
//
// Register adds every function to an eval.Registry. Each function follows
// what Rhai's own packages (rhai/src/packages/*.rs) do, including their edge
// cases: positions count characters (strings) or elements, a negative
// position counts from the end, and out-of-range counts are clamped rather
// than reported, exactly where Rhai clamps them.
//
// Every function pays for its work: it charges fuel in proportion to the
// bytes it scans or copies and the elements it visits (c.Charge), accounts
// the memory it allocates (c.Alloc) and checks the host's size limits
// (c.CheckString, c.CheckArray, c.CheckMap) before it allocates, so that a
// script cannot build a huge value in one call.
//
// Signatures are declared with one compact helper, lib.fn, whose signature
// string names the parameter kinds ("sii" = string, int, int). The registry
// picks the overload whose kinds match, so a builtin reads its arguments with
// the plain accessors (args[1].Int()) and never switches on types itself.
package stdlib

import (
	"fmt"

	"github.com/picloud/picloud/guest/eval"
)

// Register adds the whole standard library to r.
func Register(r *eval.Registry) {
	l := lib{r}
	registerStrings(l)
	registerChars(l)
	registerArrays(l)
	registerArrayCallbacks(l)
	registerMaps(l)
	registerRanges(l)
	registerMath(l)
	registerBits(l)
	registerBlobs(l)
	registerTime(l)
	registerJSON(l)
	registerConv(l)
}

// lib registers builtins with compact signatures.
type lib struct{ r *eval.Registry }

// kindOf maps a signature letter to the parameter kind it stands for.
var kindOf = [128]eval.Kind{
	'u': eval.UnitKind,
	'b': eval.BoolKind,
	'i': eval.IntKind,
	'f': eval.FloatKind,
	'c': eval.CharKind,
	's': eval.StringKind,
	'a': eval.ArrayKind,
	'm': eval.MapKind,
	'B': eval.BlobKind,
	'F': eval.FnPtrKind,
	't': eval.TimestampKind,
	'r': eval.RangeKind,
	'*': eval.Any,
}

// fn registers one overload of name. Each letter of sig is one parameter:
// u unit, b bool, i int, f float, c char, s string, a array, m map, B blob,
// F function pointer, t timestamp, r range, * any value.
func (l lib) fn(name, sig string, f eval.Builtin) {
	params := make([]eval.Kind, len(sig))
	for i := 0; i < len(sig); i++ {
		ch := sig[i]
		if ch >= 128 || (kindOf[ch] == 0 && ch != 'u') {
			panic(fmt.Sprintf("stdlib: bad signature %q for %s", sig, name))
		}
		params[i] = kindOf[ch]
	}
	l.r.Register(name, params, f)
}

// method registers f both as a method (name) and as a property getter
// (get$name), as Rhai's `#[rhai_fn(name = "x", get = "x")]` does.
func (l lib) method(name, sig string, f eval.Builtin) {
	l.fn(name, sig, f)
	l.fn("get$"+name, sig, f)
}

// callback registers f for a callback given as a function pointer and,
// as Rhai's deprecated-but-supported overloads do, as a function name.
// The callback is argument i of sig, which must be 'F' there.
func (l lib) callback(name, sig string, i int, f eval.Builtin) {
	l.fn(name, sig, f)
	byName := []byte(sig)
	byName[i] = 's'
	l.fn(name, string(byName), func(c *eval.Call, args []eval.Value) (eval.Value, error) {
		args[i] = eval.NewFnPtr(args[i].Str())
		return f(c, args)
	})
}

// Work and memory accounting.

// bytesPerFuel is how many bytes a builtin may scan or copy per unit of fuel.
const bytesPerFuel = 32

// maxAlloc caps any single allocation a builtin makes, whatever the host's
// limits: the guest runs in a 32-bit WebAssembly address space.
const maxAlloc = 1 << 32

// spend charges fuel for visiting n items.
func spend(c *eval.Call, n int) error { return c.Charge(int64(n)) }

// scan charges fuel for reading n bytes.
func scan(c *eval.Call, n int) error { return c.Charge(int64(n) / bytesPerFuel) }

// tooLarge is the error for a value over the hard allocation cap.
func tooLarge(c *eval.Call, what string) error {
	return c.Errorf(eval.ErrorDataTooLarge, "%s too large", what)
}

// newString checks and accounts a new string of n bytes about to be built.
func newString(c *eval.Call, n int) error {
	if n < 0 || n > maxAlloc {
		return tooLarge(c, "Length of string")
	}
	if err := c.CheckString(n); err != nil {
		return err
	}
	if err := c.Alloc(int64(n)); err != nil {
		return err
	}
	return scan(c, n)
}

// newArray checks and accounts an array of n elements about to be built
// (or grown to n elements, with add new ones).
func growArray(c *eval.Call, n, add int) error {
	if n < 0 || int64(n) > maxAlloc/eval.ValueSize {
		return tooLarge(c, "Size of array")
	}
	if err := c.CheckArray(n); err != nil {
		return err
	}
	if err := c.Alloc(int64(add) * eval.ValueSize); err != nil {
		return err
	}
	return spend(c, add)
}

// reserveArray checks and accounts arr growing in place by add elements and
// makes room for them with eval's doubling growth (Array.Reserve), accounting
// the bytes a reallocation takes.
func reserveArray(c *eval.Call, arr *eval.Array, add int) error {
	n := len(arr.Elems) + add
	if n < 0 || int64(n) > maxAlloc/eval.ValueSize {
		return tooLarge(c, "Size of array")
	}
	if err := c.CheckArray(n); err != nil {
		return err
	}
	if cost := arr.ReserveCost(add); cost > 0 {
		if err := c.Alloc(cost); err != nil {
			return err
		}
		arr.Reserve(add)
	}
	return spend(c, add)
}

// newArray checks and accounts a new array of n elements.
func newArray(c *eval.Call, n int) error { return growArray(c, n, n) }

// growBlob checks and accounts a blob growing to n bytes, add of them new.
func growBlob(c *eval.Call, n, add int) error {
	if n < 0 || n > maxAlloc {
		return tooLarge(c, "Size of BLOB")
	}
	if err := c.CheckArray(n); err != nil {
		return err
	}
	if err := c.Alloc(int64(add)); err != nil {
		return err
	}
	return scan(c, add)
}

// growMap checks and accounts a map growing to n entries, with one new
// entry whose key has keyLen bytes.
func growMap(c *eval.Call, n, keyLen int) error {
	if err := c.CheckMap(n); err != nil {
		return err
	}
	if err := c.Alloc(int64(keyLen) + eval.MapEntrySize); err != nil {
		return err
	}
	return spend(c, 1)
}

// copyOut returns a copy of v that shares nothing with the container it is
// read from: arrays, maps and blobs are deep-copied (and paid for); other
// values are immutable and returned as they are.
func copyOut(c *eval.Call, v eval.Value) (eval.Value, error) {
	switch v.Kind() {
	case eval.ArrayKind, eval.MapKind, eval.BlobKind:
		size := v.Size()
		if err := c.Alloc(size); err != nil {
			return eval.Value{}, err
		}
		if err := c.Charge(size / bytesPerFuel); err != nil {
			return eval.Value{}, err
		}
		return v.Clone(), nil
	}
	return v, nil
}

// Positions, as Rhai's eval::calc_offset_len and eval::calc_index.

// offsetLen turns a start position (negative counts from the end; before
// the start clamps to 0) and a count into an in-bounds start and length for
// a sequence of n items. A start at or past the end gives (n, 0); a count
// <= 0 gives length 0.
func offsetLen(n int, start, count int64) (int, int) {
	var s int
	switch {
	case start < 0:
		if -(start + 1) >= int64(n) { // |start| > n, without overflowing on MinInt64
			s = 0
		} else {
			s = n + int(start)
		}
	case start >= int64(n):
		return n, 0
	default:
		s = int(start)
	}
	switch {
	case count <= 0:
		return s, 0
	case count > int64(n-s):
		return s, n - s
	}
	return s, int(count)
}

// index resolves a single position in a sequence of n items: a negative
// position counts from the end and clamps to 0 before the start; ok is false
// for a position at or past the end (and for an empty sequence).
func index(n int, pos int64) (int, bool) {
	if pos < 0 {
		i, _ := offsetLen(n, pos, 0)
		return i, n > 0
	}
	if pos >= int64(n) {
		return 0, false
	}
	return int(pos), true
}

// span turns a range argument into (start, count) the way Rhai's range
// overloads do: start = max(start, 0), end = max(end, start), and an
// inclusive range counts one more.
func span(r *eval.Range) (int64, int64) {
	start := max(r.Start, 0)
	end := max(r.End, start)
	if r.Inclusive {
		if end == start && r.End < r.Start {
			return start, 1
		}
		return start, sat(end - start + 1)
	}
	return start, end - start
}

// sat clamps an overflowed count (which can only wrap negative here) to the
// largest int64.
func sat(n int64) int64 {
	if n < 0 {
		return 1<<63 - 1
	}
	return n
}
