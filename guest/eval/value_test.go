package eval_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/picloud/picloud/guest/eval"
)

func TestFormatFloat(t *testing.T) {
	tenth, fifth := 0.1, 0.2
	for _, tc := range []struct {
		f           float64
		show, debug string
	}{
		{0, "0.0", "0.0"},
		{math.Copysign(0, -1), "0.0", "-0.0"},
		{1, "1.0", "1.0"},
		{-2.5, "-2.5", "-2.5"},
		{tenth + fifth, "0.30000000000000004", "0.30000000000000004"},
		{123456789012.0, "123456789012.0", "123456789012.0"},
		{1e13, "10000000000000.0", "10000000000000.0"},
		{1.5e13, "1.5e13", "15000000000000.0"},
		{1e16, "1e16", "1e16"},
		{1e-5, "0.00001", "1e-5"},
		{1.5e-14, "1.5e-14", "1.5e-14"},
		{math.NaN(), "NaN", "NaN"},
		{math.Inf(1), "inf", "inf"},
		{math.Inf(-1), "-inf", "-inf"},
	} {
		if got := eval.FormatFloat(tc.f); got != tc.show {
			t.Errorf("FormatFloat(%v) = %q, want %q", tc.f, got, tc.show)
		}
		if got := eval.FormatFloatDebug(tc.f); got != tc.debug {
			t.Errorf("FormatFloatDebug(%v) = %q, want %q", tc.f, got, tc.debug)
		}
	}
}

func TestDisplay(t *testing.T) {
	m := eval.NewMapCap(2)
	m.Set("b", eval.Str("x\"y"))
	m.Set("a", eval.Float(1))
	for _, tc := range []struct {
		v           eval.Value
		show, debug string
	}{
		{eval.Unit(), "", "()"},
		{eval.Str("hi\n"), "hi\n", `"hi\n"`},
		{eval.Char('c'), "c", "'c'"},
		{eval.Bool(true), "true", "true"},
		{eval.NewArray([]eval.Value{eval.Int(1), eval.Str("s"), eval.Char('c'), eval.Unit()}), `[1, "s", 'c', ()]`, `[1, "s", 'c', ()]`},
		{eval.MapOf(m), `#{"a": 1.0, "b": "x\"y"}`, `#{"a": 1.0, "b": "x\"y"}`},
		{eval.NewBlob([]byte{1, 0xab, 2, 3, 4, 5, 6, 7, 8}), "[01ab020304050607 08]", "[01ab020304050607 08]"},
		{eval.NewRange(1, 5, false), "1..5", "1..5"},
		{eval.NewRange(1, 5, true), "1..=5", "1..=5"},
		{eval.NewFnPtr("f"), "Fn(f)", "Fn(f)"},
	} {
		if got := tc.v.String(); got != tc.show {
			t.Errorf("String() = %q, want %q", got, tc.show)
		}
		if got := tc.v.DebugString(); got != tc.debug {
			t.Errorf("DebugString() = %q, want %q", got, tc.debug)
		}
	}
	big := eval.NewArray([]eval.Value{eval.Str(strings.Repeat("x", 100)), eval.Str(strings.Repeat("y", 100))})
	if _, ok := big.Format(false, 150); ok {
		t.Error("Format over its limit reported ok")
	}
	if s, ok := big.Format(false, 1000); !ok || len(s) != 208 {
		t.Errorf("Format within its limit: %d bytes, ok=%v", len(s), ok)
	}
}

func TestEqualAndCompare(t *testing.T) {
	arr := func(vs ...eval.Value) eval.Value { return eval.NewArray(vs) }
	for _, tc := range []struct {
		a, b eval.Value
		eq   bool
	}{
		{eval.Int(42), eval.Float(42), true},
		{eval.Int(1), eval.Str("1"), false},
		{eval.Unit(), eval.Unit(), true},
		{arr(eval.Int(1), eval.Str("a")), arr(eval.Int(1), eval.Str("a")), true},
		{arr(eval.Int(1)), arr(eval.Int(1), eval.Int(2)), false},
		{eval.NewRange(1, 2, false), eval.NewRange(1, 2, true), false},
	} {
		if got := eval.Equal(tc.a, tc.b); got != tc.eq {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.a.DebugString(), tc.b.DebugString(), got, tc.eq)
		}
	}
	if c, ok := eval.Compare(eval.Int(1), eval.Float(1.5)); !ok || c != -1 {
		t.Errorf("Compare(1, 1.5) = %d, %v; want -1, true", c, ok)
	}
	if _, ok := eval.Compare(eval.Int(1), eval.Str("x")); ok {
		t.Error("Compare(1, \"x\") ordered different types")
	}
}

func TestValueSemantics(t *testing.T) {
	inner := eval.NewArray([]eval.Value{eval.Int(1)})
	outer := eval.NewArray([]eval.Value{inner})
	c := outer.Clone()
	c.Array().Elems[0].Array().Elems[0] = eval.Int(9)
	if got := outer.DebugString(); got != "[[1]]" {
		t.Fatalf("Clone shares nested arrays: original is %s", got)
	}
	m := eval.NewMapCap(0)
	for _, k := range []string{"b", "c", "a"} {
		m.Set(k, eval.Int(1))
	}
	if got := strings.Join(m.Keys(), ","); got != "a,b,c" {
		t.Fatalf("Keys() = %s, want a,b,c", got)
	}
	m.Delete("b")
	m.Set("d", eval.Int(1))
	if got := strings.Join(m.Keys(), ","); got != "a,c,d" {
		t.Fatalf("Keys() after changes = %s, want a,c,d", got)
	}
	var a eval.Array
	var grown int64
	for i := 0; i < 1000; i++ {
		grown += a.Append(eval.Int(int64(i)))
	}
	if a.Len() != 1000 || grown == 0 || grown > 4*1024*eval.ValueSize {
		t.Fatalf("Append: len %d, accounted %d bytes", a.Len(), grown)
	}
}

func TestRegistry(t *testing.T) {
	r := eval.NewRegistry()
	noop := func(*eval.Call, []eval.Value) (eval.Value, error) { return eval.Unit(), nil }
	r.Register("f", []eval.Kind{eval.Any}, noop)
	r.RegisterModule("kv", "get", []eval.Kind{eval.StringKind}, noop)
	if !r.Has("f") || r.Has("g") || !r.Has("kv::get") || !r.HasModule("kv") || r.HasModule("k") {
		t.Fatal("Has/HasModule are wrong")
	}
	if merged := eval.MergeRegistries(eval.NewRegistry(), r); !merged.Has("f") || !merged.Has("kv::get") {
		t.Fatal("MergeRegistries lost functions")
	}
}

func TestErrorFormat(t *testing.T) {
	e := &eval.Error{
		Kind: eval.ErrorArithmetic, Msg: "Division by zero: 1 / 0", Source: "s.rhai",
		Pos:   eval.Pos{Line: 3, Col: 7},
		Stack: []eval.Frame{{Fn: "f", Source: "s.rhai", Pos: eval.Pos{Line: 9, Col: 1}}},
	}
	want := "s.rhai:3:7: Division by zero: 1 / 0\n  in call to function 'f' at s.rhai:9:1"
	if got := e.Error(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if !errors.Is(e, &eval.Error{Kind: eval.ErrorArithmetic}) || errors.Is(e, &eval.Error{Kind: eval.ErrorRuntime}) {
		t.Fatal("errors.Is does not match by kind")
	}
	if eval.ErrorTooManyOperations.Catchable() || !eval.ErrorArithmetic.Catchable() {
		t.Fatal("Catchable is wrong")
	}
}

func TestMapKeysSorted(t *testing.T) {
	m := eval.NewMapCap(0)
	want := []string{}
	for i := 0; i < 5000; i++ {
		k := fmt.Sprintf("k%d", (i*7919)%5000)
		if i%3 == 0 {
			k += "\x00é"
		}
		if i%11 == 0 {
			k = k[:1]
		}
		if _, ok := m.Get(k); !ok {
			want = append(want, k)
		}
		m.Set(k, eval.Int(int64(i)))
	}
	sort.Strings(want)
	if got := m.Keys(); !slices.Equal(got, want) {
		t.Fatalf("got %d keys out of order, want %d sorted", len(got), len(want))
	}
}
