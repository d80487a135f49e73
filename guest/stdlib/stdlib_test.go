package stdlib_test

import (
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
)

// run runs src under limits and returns its value.
func run(t *testing.T, src string, lim rhai.Limits) (rhai.Result, error) {
	t.Helper()
	p, err := rhai.Compile("test.rhai", src, rhai.Options{})
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src)
	}
	return p.Run(rhai.Env{Limits: lim})
}

// value runs src (with a generous fuel budget) and returns its value.
func value(t *testing.T, src string) eval.Value {
	t.Helper()
	res, err := run(t, src, rhai.Limits{Fuel: 100_000_000})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, src)
	}
	return res.Value
}

// kindOf returns the kind of err's *eval.Error ("" when it is not one).
func kindOf(err error) eval.ErrorKind {
	var e *eval.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func ints(v eval.Value) []int64 {
	var out []int64
	for _, e := range v.Array().Elems {
		out = append(out, e.Int())
	}
	return out
}

func rhaiInts(xs []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, x)
	}
	b.WriteByte(']')
	return b.String()
}

func TestSortBuiltin(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, 11, 12, 13, 25, 100, 1000} {
		xs := make([]int64, n)
		for i := range xs {
			xs[i] = rng.Int63n(50) - 25
		}
		got := ints(value(t, "let a = "+rhaiInts(xs)+"; a.sort(); a"))
		want := append([]int64(nil), xs...)
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		if fmt.Sprint(got) != fmt.Sprint(want) && n > 0 {
			t.Errorf("n=%d: sort() = %v, want %v", n, got, want)
		}
	}
	v := value(t, `let a = ["pear", "apple", "Fig", "fig", ""]; a.sort(); a`)
	if got := v.String(); got != `["", "Fig", "apple", "fig", "pear"]` {
		t.Errorf("sort of strings = %s", got)
	}
}

// TestSortStable checks that a comparer sort keeps equal elements in order,
// like Rust's stable sort_by.
func TestSortStable(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, n := range []int{5, 12, 13, 24, 25, 200, 777} {
		keys := make([]int64, n)
		for i := range keys {
			keys[i] = rng.Int63n(5)
		}
		src := fmt.Sprintf(`
			let keys = %s;
			let recs = [];
			for (k, i) in keys { recs.push(#{k: k, i: i}); }
			recs.sort(|x, y| x.k - y.k);
			recs.map(|r| r.i)`, rhaiInts(keys))
		got := ints(value(t, src))
		want := make([]int64, n)
		for i := range want {
			want[i] = int64(i)
		}
		sort.SliceStable(want, func(i, j int) bool { return keys[want[i]] < keys[want[j]] })
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("n=%d: stable sort order = %v, want %v", n, got, want)
		}
	}
}

// TestSortComparerErrors: as in Rhai, a comparison that fails or returns a
// non-integer counts as "equal" and the sort goes on; an error that ends
// the run (fuel) ends the sort.
func TestSortComparerErrors(t *testing.T) {
	got := ints(value(t, `
		let a = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0, 11, 10, 13, 12, 15, 14];
		a.sort(|x, y| if x == 9 || y == 9 { throw "no nines" } else { x - y });
		a`))
	if len(got) != 16 {
		t.Fatalf("sort lost elements: %v", got)
	}
	seen := map[int64]bool{}
	for _, x := range got {
		seen[x] = true
	}
	if len(seen) != 16 {
		t.Errorf("sort is not a permutation: %v", got)
	}
	v := value(t, `let a = [3, 1, 2]; a.sort(|x, y| "not a number"); a`)
	if got := v.String(); got != "[3, 1, 2]" {
		t.Errorf("sort with a non-integer comparer = %s, want [3, 1, 2]", got)
	}

	_, err := run(t, `
		let a = [];
		for i in 0..2000 { a.push(2000 - i); }
		a.sort(|x, y| x - y);
		a`, rhai.Limits{Fuel: 20_000})
	if kindOf(err) != eval.ErrorTooManyOperations {
		t.Errorf("sort out of fuel: got %v, want ErrorTooManyOperations", err)
	}
	_, err = run(t, `let a = [1, 2.0]; a.sort();`, rhai.Limits{})
	if kindOf(err) != eval.ErrorFunctionNotFound {
		t.Errorf("sort of mixed types: got %v, want ErrorFunctionNotFound", err)
	}
}

// stepRef is an independent model of Rhai's StepRange<i64>, using wide
// arithmetic: it yields v while v + step does not overflow, from < to for a
// positive step, from > to for a negative one.
func stepRef(from, to, step int64) []int64 {
	var out []int64
	if step == 0 {
		return nil
	}
	if !((from < to && step > 0) || (from > to && step < 0)) {
		return nil
	}
	const lim = 1 << 63
	for v := from; ; {
		next := int64(0)
		// overflow check in float-free wide form
		if (step > 0 && v > (lim-1)-step) || (step < 0 && v < -lim-step) {
			return out
		}
		next = v + step
		out = append(out, v)
		if (step > 0 && next >= to) || (step < 0 && next <= to) {
			return out
		}
		v = next
	}
}

func TestRangeStepping(t *testing.T) {
	const max, min = int64(1<<63 - 1), int64(-1 << 63)
	cases := [][3]int64{
		{0, 10, 3}, {10, 0, -3}, {0, 10, -1}, {10, 0, 1}, {5, 5, 1}, {-3, 3, 2},
		{0, 3, 100}, {max - 1, max, 1}, {max - 7, max, 3}, {max - 2, max, 5},
		{min + 1, min, -1}, {min + 7, min, -3}, {min + 2, min, -5}, {0, max, max},
		{0, min, min}, {min, max, max}, {max, min, min}, {-1, max, max}, {1, min, min},
		{min, min + 10, 4}, {max, max - 10, -4},
	}
	for _, c := range cases {
		src := fmt.Sprintf("let out = []; for v in range(%d, %d, %d) { out.push(v); } out", c[0], c[1], c[2])
		if c[0] == min || c[1] == min || c[2] == min {
			src = strings.ReplaceAll(src, fmt.Sprint(min), "(-9223372036854775807 - 1)")
		}
		got := ints(value(t, src))
		want := stepRef(c[0], c[1], c[2])
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("range(%d, %d, %d) = %v, want %v", c[0], c[1], c[2], got, want)
		}
	}
	if _, err := run(t, "range(1, 5, 0)", rhai.Limits{}); kindOf(err) != eval.ErrorArithmetic {
		t.Errorf("range with a zero step: got %v, want ErrorArithmetic", err)
	}
}

func TestBlobNumbers(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 50; i++ {
		x := rng.Int63() - rng.Int63()
		src := fmt.Sprintf(`
			let b = blob(12, 0xaa);
			b.write_le(2, 8, %d);
			let le = b.parse_le_int(2, 8);
			let c = blob(12, 0xaa);
			c.write_be(1..9, %d);
			[le, c.parse_be_int(1..9), b[0], b[10], c[0], c[9], b.parse_le_int(2, 3), c.parse_be_int(1, 2)]`, x, x)
		got := ints(value(t, src))
		u := uint64(x)
		want := []int64{x, x, 0xaa, 0xaa, 0xaa, 0xaa, int64(u & 0xffffff), int64(u>>48) << 48}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("x=%d: got %v, want %v", x, got, want)
		}
	}
	v := value(t, `let b = blob(8); b.write_be(0, 8, -1.5e300); b.parse_be_float(0, 8)`)
	if v.Float() != -1.5e300 {
		t.Errorf("float round trip = %v", v.Float())
	}
	v = value(t, `let b = blob(4); b.write_le(0, 8, 1.0); b.to_array()`)
	if got := fmt.Sprint(ints(v)); got != "[0 0 0 0]" { // 1.0 = 0x3ff0000000000000, low bytes first
		t.Errorf("partial write = %s", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	v := value(t, `
		let data = #{
			i: 42, neg: -7, big: 9223372036854775807, f: 2.5, tiny: 1.5e-7, huge: 1e300,
			s: "q\"\\/\n\t\u0001é😀", t: true, n: (), a: [1, [2, [3, #{}]], []], m: #{x: #{y: #{}}}
		};
		let text = data.to_json();
		[parse_json(text) == data, text, parse_json(text).to_json() == text]`)
	el := v.Array().Elems
	if !el[0].Bool() || !el[2].Bool() {
		t.Errorf("round trip failed: %s", el[1].Str())
	}
	want := `{"a":[1,[2,[3,{}]],[]],"big":9223372036854775807,"f":2.5,"huge":1e300,"i":42,"m":{"x":{"y":{}}},"n":null,"neg":-7,"s":"q\"\\/\n\t\u0001é😀","t":true,"tiny":1.5e-7}`
	if el[1].Str() != want {
		t.Errorf("to_json =\n%s\nwant\n%s", el[1].Str(), want)
	}

	v = value(t, `#{nan: sqrt(-1.0), inf: 1.0 / 0.0, ninf: -1.0 / 0.0}.to_json()`)
	if got := v.Str(); got != `{"inf":null,"nan":null,"ninf":null}` {
		t.Errorf("non-finite floats = %s", got)
	}
}

func TestJSONDepth(t *testing.T) {
	for _, c := range []struct {
		depth int
		ok    bool
	}{{1, true}, {100, true}, {127, true}, {128, false}, {10000, false}} {
		src := fmt.Sprintf("parse_json(%q)", strings.Repeat("[", c.depth)+strings.Repeat("]", c.depth))
		_, err := run(t, src, rhai.Limits{})
		if (err == nil) != c.ok {
			t.Errorf("depth %d: err = %v, want ok=%v", c.depth, err, c.ok)
		}
		if err != nil && kindOf(err) != eval.ErrorRuntime {
			t.Errorf("depth %d: got %v, want ErrorRuntime", c.depth, err)
		}
	}
	// A parse error is catchable and its value is the message.
	v := value(t, `let r = (); try { parse_json("{\"a\": }"); } catch (e) { r = e; } r`)
	if v.Kind() != eval.StringKind || !strings.Contains(v.Str(), "line 1 column") {
		t.Errorf("caught JSON error = %s", v.DebugString())
	}
}

// TestLimits: a call that would build a huge value fails with the host's
// size or memory limit before allocating it.
func TestLimits(t *testing.T) {
	cases := []struct {
		name string
		src  string
		lim  rhai.Limits
		want eval.ErrorKind
	}{
		{"string pad over max string", `"x".pad(1000000000, 'y')`, rhai.Limits{MaxStringLen: 1 << 20}, eval.ErrorDataTooLarge},
		{"string pad over memory", `"x".pad(1000000000, "ab")`, rhai.Limits{MaxMemory: 1 << 24}, eval.ErrorMemoryLimit},
		{"string pad of i64 max", `"x".pad(9223372036854775807, "ab")`, rhai.Limits{}, eval.ErrorDataTooLarge},
		{"array pad over max array", `[].pad(1000000000, 0)`, rhai.Limits{MaxArrayLen: 1 << 16}, eval.ErrorDataTooLarge},
		{"array pad over memory", `[].pad(100000000, 0)`, rhai.Limits{MaxMemory: 1 << 24}, eval.ErrorMemoryLimit},
		{"array pad of i64 max", `[].pad(9223372036854775807, 0)`, rhai.Limits{}, eval.ErrorDataTooLarge},
		{"array pad of big items", `let big = blob(100000); [].pad(1000, big)`, rhai.Limits{MaxMemory: 1 << 24}, eval.ErrorMemoryLimit},
		{"blob over max array", `blob(1000000000)`, rhai.Limits{MaxArrayLen: 1 << 16}, eval.ErrorDataTooLarge},
		{"blob over memory", `blob(1000000000, 1)`, rhai.Limits{MaxMemory: 1 << 24}, eval.ErrorMemoryLimit},
		{"blob of i64 max", `blob(9223372036854775807)`, rhai.Limits{}, eval.ErrorDataTooLarge},
		{"blob pad", `blob().pad(1000000000, 1)`, rhai.Limits{MaxMemory: 1 << 24}, eval.ErrorMemoryLimit},
		{"replace growing", `let s = "x"; s.pad(1000, 'x'); let y = "y"; y.pad(10000, 'y'); s.replace("x", y); s`, rhai.Limits{MaxStringLen: 1 << 20}, eval.ErrorDataTooLarge},
		{"replace of empty", `let s = "x"; s.pad(100000, 'x'); s.replace("", "0123456789"); s`, rhai.Limits{MaxStringLen: 1 << 20}, eval.ErrorDataTooLarge},
		{"doubling append", `let s = "ab"; loop { s.append(s); }`, rhai.Limits{MaxStringLen: 1 << 20}, eval.ErrorDataTooLarge},
		{"doubling array", `let a = [1]; loop { a.append(a); }`, rhai.Limits{MaxArrayLen: 1 << 16}, eval.ErrorDataTooLarge},
		{"doubling blob", `let b = blob(1); loop { b.append(b); }`, rhai.Limits{MaxMemory: 1 << 24}, eval.ErrorMemoryLimit},
		{"split into chars", `let s = "x"; s.pad(100000, 'x'); s.split("")`, rhai.Limits{MaxArrayLen: 1000}, eval.ErrorDataTooLarge},
		{"to_chars", `let s = "x"; s.pad(100000, 'x'); s.to_chars()`, rhai.Limits{MaxArrayLen: 1000}, eval.ErrorDataTooLarge},
		{"map grows", `let m = #{}; for i in 0..100000 { m.set(i.to_string(), i); }`, rhai.Limits{MaxMapLen: 1000}, eval.ErrorDataTooLarge},
		{"json array", `let s = "1,"; s.pad(200000, "1,"); parse_json("[" + s + "1]")`, rhai.Limits{MaxArrayLen: 1000}, eval.ErrorDataTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			if c.lim.Fuel == 0 {
				c.lim.Fuel = 10_000_000
			}
			_, err := run(t, c.src, c.lim)
			if kindOf(err) != c.want {
				t.Fatalf("got %v, want %s", err, c.want)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grew := int64(after.TotalAlloc) - int64(before.TotalAlloc); grew > 1<<28 {
				t.Errorf("allocated %d bytes before failing", grew)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestFuel: a builtin charges fuel in proportion to its work.
func TestFuel(t *testing.T) {
	fuel := func(src string) int64 {
		res, err := run(t, src, rhai.Limits{Fuel: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		return res.Fuel
	}
	for _, c := range []struct{ name, small, big string }{
		{"index_of", `let s = "x"; s.index_of('z')`, `let s = "x"; s.pad(1000000, 'x'); s.index_of('z')`},
		{"sort", `let a = [2, 1]; a.sort()`, `let a = []; a.pad(100000, 1); a.sort()`},
		{"to_json", `#{a: 1}.to_json()`, `let a = []; a.pad(100000, 1); a.to_json()`},
		{"blob", `blob(1)`, `blob(1000000)`},
	} {
		small, big := fuel(c.small), fuel(c.big)
		if big-small < 10_000 {
			t.Errorf("%s: fuel %d for the big case, %d for the small one", c.name, big, small)
		}
	}
}

// TestCallbackErrors: an error in a callback reaches the caller wrapped in
// ErrorInFunctionCall, as a closure call wraps it in Rhai.
func TestCallbackErrors(t *testing.T) {
	for _, src := range []string{
		`[1, 2, 3].map(|v| v / 0)`,
		`[1, 2, 3].filter(|v| v / 0)`,
		`[1, 2, 3].reduce(|r, v| v / 0, 0)`,
		`#{a: 1}.map(|k, v| v / 0)`,
		`[1, 2].zip([3], |a, b| a / 0)`,
		`let a = [1, 2]; a.for_each(|| this / 0)`,
	} {
		if _, err := run(t, src, rhai.Limits{}); kindOf(err) != eval.ErrorInFunctionCall || !errors.Is(err, &eval.Error{Kind: eval.ErrorArithmetic}) {
			t.Errorf("%s: got %v, want ErrorInFunctionCall of ErrorArithmetic", src, err)
		}
	}
	// Running out of fuel inside a callback ends the run even in dedup,
	// which otherwise treats a failed comparison as "not equal".
	_, err := run(t, `let a = []; a.pad(1000, 1); a.dedup(|x, y| { let s = 0; for i in 0..100 { s += i; } true })`, rhai.Limits{Fuel: 10_000})
	if kindOf(err) != eval.ErrorTooManyOperations {
		t.Errorf("dedup out of fuel: got %v", err)
	}
}

// TestSleepCancelled: sleep stops when the host cancels the run.
func TestSleepCancelled(t *testing.T) {
	p, err := rhai.Compile("sleep.rhai", `sleep(100); 42`, rhai.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.Run(rhai.Env{Cancelled: func() bool { return time.Since(start) > 50*time.Millisecond }})
	if kindOf(err) != eval.ErrorTerminated {
		t.Errorf("got %v, want ErrorTerminated", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("sleep took %v after cancellation", d)
	}
}

func TestTake(t *testing.T) {
	v := value(t, `let x = [1, 2]; let y = x.take(); [x, y]`)
	if got := v.String(); got != "[(), [1, 2]]" {
		t.Errorf("take: %s", got)
	}
}

// TestLazyIterators: range with a step, chars() and bits() do not build
// their values up front.
func TestLazyIterators(t *testing.T) {
	res, err := run(t, `
		let n = 0;
		for i in range(0, 9223372036854775807, 2) { n += 1; if n == 1000 { break; } }
		for x in range(0.0, 1e300, 0.5) { n += 1; if n == 2000 { break; } }
		let s = "x"; s.pad(100000, 'y');
		for c in s.chars() { n += 1; if n == 3000 { break; } }
		let r = range(0, 10, 3);
		let twice = [];
		for i in r { twice.push(i); }
		for i in r { twice.push(i); }
		[n, twice]`, rhai.Limits{Fuel: 10_000_000, MaxMemory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Value.String(); got != "[3000, [0, 3, 6, 9, 0, 3, 6, 9]]" {
		t.Errorf("got %s", got)
	}
}
