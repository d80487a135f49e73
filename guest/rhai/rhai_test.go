package rhai_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
)

func mustCompile(t *testing.T, src string) *rhai.Program {
	t.Helper()
	p, err := rhai.Compile("test.rhai", src, rhai.Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p
}

func wantKind(t *testing.T, err error, kind eval.ErrorKind) {
	t.Helper()
	var ee *eval.Error
	if !errors.As(err, &ee) || ee.Kind != kind {
		t.Fatalf("got error %v, want %s", err, kind)
	}
	if !errors.Is(err, &eval.Error{Kind: kind}) {
		t.Fatalf("errors.Is(%v, %s) is false", err, kind)
	}
}

func TestVars(t *testing.T) {
	ctx := eval.NewMapCap(1)
	ctx.Set("name", eval.Str("world"))
	vars := []rhai.Var{
		{Name: "ctx", Value: eval.MapOf(ctx)},
		{Name: "LIMIT", Value: eval.Int(3), Const: true},
	}
	p := mustCompile(t, "let f = |s| s + ctx.name; ctx.count = LIMIT; f.call(\"hello \" + eval(\"LIMIT\") + \" \")")
	res, err := p.Run(rhai.Env{Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Value.Str(); got != "hello 3 world" {
		t.Fatalf("got %q, want %q", got, "hello 3 world")
	}
	if v, _ := ctx.Get("count"); v.Kind() != eval.UnitKind {
		t.Fatalf("the host's map changed: count = %v", v)
	}
	_, err = mustCompile(t, "LIMIT = 4;").Run(rhai.Env{Vars: vars})
	wantKind(t, err, eval.ErrorAssignmentToConstant)
	_, err = mustCompile(t, "fn f() { ctx } f()").Run(rhai.Env{Vars: vars})
	wantKind(t, err, eval.ErrorInFunctionCall)
	if !errors.Is(err, &eval.Error{Kind: eval.ErrorVariableNotFound}) {
		t.Fatalf("got %v, want a wrapped ErrorVariableNotFound", err)
	}
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		src    string
		limits rhai.Limits
		kind   eval.ErrorKind
	}{
		{`loop { }`, rhai.Limits{Fuel: 1000}, eval.ErrorTooManyOperations},
		{`fn f(n) { if n > 0 { f(n - 1) } } f(100)`, rhai.Limits{MaxCallDepth: 50}, eval.ErrorStackOverflow},
		{`let s = ""; loop { s += "xxxxxxxx"; }`, rhai.Limits{MaxStringLen: 1000}, eval.ErrorDataTooLarge},
		{`let a = []; loop { a.push(1); }`, rhai.Limits{MaxArrayLen: 1000}, eval.ErrorDataTooLarge},
		{`let a = []; loop { a += 1; }`, rhai.Limits{MaxArrayLen: 1000}, eval.ErrorDataTooLarge},
		{`let m = #{}; let i = 0; loop { m["k" + i] = i; i += 1; }`, rhai.Limits{MaxMapLen: 100}, eval.ErrorDataTooLarge},
		{`let m = #{}; let i = 0; loop { m.x = i; i += 1; if i > 10000 { break; } } throw "ok";`, rhai.Limits{MaxMapLen: 1}, eval.ErrorRuntime},
		{`let a = []; loop { a.push([1, 2, 3, 4]); }`, rhai.Limits{MaxMemory: 1 << 20}, eval.ErrorMemoryLimit},
		{`let s = "x"; loop { s = s + s; }`, rhai.Limits{MaxMemory: 1 << 20}, eval.ErrorMemoryLimit},
		{`try { loop { } } catch { }`, rhai.Limits{Fuel: 1000}, eval.ErrorTooManyOperations},
		// one big string shared many times displays far larger than it weighs
		{`let s = "x"; for i in 0..20 { s += s; } let a = []; for i in 0..1000 { a.push(s); } let t = "" + a;`, rhai.Limits{}, eval.ErrorDataTooLarge},
		{`let s = "x"; for i in 0..20 { s += s; } let a = []; for i in 0..1000 { a.push(s); } let t = a + "";`, rhai.Limits{MaxStringLen: 1 << 20}, eval.ErrorDataTooLarge},
		// copies of deep values are paid for
		{`let a = []; loop { a = [a, a]; }`, rhai.Limits{Fuel: 100000}, eval.ErrorTooManyOperations},
		{`let a = []; loop { a = [a]; }`, rhai.Limits{Fuel: 1000000, MaxMemory: 1 << 20}, eval.ErrorMemoryLimit},
	} {
		res, err := mustCompile(t, tc.src).Run(rhai.Env{Limits: tc.limits})
		wantKind(t, err, tc.kind)
		if tc.kind == eval.ErrorTooManyOperations && res.Fuel != tc.limits.Fuel {
			t.Errorf("%s: fuel %d, want %d", tc.src, res.Fuel, tc.limits.Fuel)
		}
	}
}

func TestCancelled(t *testing.T) {
	polls := 0
	_, err := mustCompile(t, `let i = 0; loop { i += 1; }`).Run(rhai.Env{Cancelled: func() bool {
		polls++
		return polls > 3
	}})
	wantKind(t, err, eval.ErrorTerminated)
}

func TestFuelIsDeterministic(t *testing.T) {
	p := mustCompile(t, `fn f(n) { if n < 2 { n } else { f(n - 1) + f(n - 2) } } let s = 0; for i in 0..10 { s += f(i); } s`)
	a, err := p.Run(rhai.Env{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Run(rhai.Env{Limits: rhai.Limits{Fuel: 1 << 40}})
	if a.Fuel != b.Fuel || a.Fuel == 0 {
		t.Fatalf("fuel %d and %d, want equal and non-zero", a.Fuel, b.Fuel)
	}
	_, err = p.Run(rhai.Env{Limits: rhai.Limits{Fuel: a.Fuel}})
	if err != nil {
		t.Fatalf("with exactly the fuel it uses: %v", err)
	}
	_, err = p.Run(rhai.Env{Limits: rhai.Limits{Fuel: a.Fuel - 1}})
	wantKind(t, err, eval.ErrorTooManyOperations)
}

func TestPrintDebug(t *testing.T) {
	var out []string
	_, err := mustCompile(t, `print("a"); print(1.0); debug("b"); debug([1, "x"])`).Run(rhai.Env{
		Print: func(s string) { out = append(out, "print:"+s) },
		Debug: func(s string) { out = append(out, "debug:"+s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `print:a|print:1.0|debug:"b"|debug:[1, "x"]`
	if got := strings.Join(out, "|"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestConcurrentRuns(t *testing.T) {
	p := mustCompile(t, `let m = #{}; for i in 0..200 { m["" + i] = [i]; } let s = 0; for k in m.keys() { s += m[k][0]; } s`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Run(rhai.Env{})
			if err != nil || res.Value.Int() != 19900 {
				t.Errorf("got %v, %v; want 19900", res.Value, err)
			}
		}()
	}
	wg.Wait()
}

func TestHostErrorsAndModules(t *testing.T) {
	mods := eval.NewRegistry()
	mods.RegisterModule("kv", "get", []eval.Kind{eval.StringKind}, func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		if a[0].Str() == "missing" {
			return eval.Value{}, errors.New("no such key")
		}
		return eval.Str("value of " + a[0].Str()), nil
	})
	p := mustCompile(t, `let r = kv::get("a"); let e = (); try { kv::get("missing"); } catch (err) { e = err; } [r, e]`)
	res, err := p.Run(rhai.Env{Modules: mods})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := rhai.ToJSON(res.Value)
	if want := `["value of a","no such key"]`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	_, err = mustCompile(t, `kv::nope()`).Run(rhai.Env{Modules: mods})
	wantKind(t, err, eval.ErrorFunctionNotFound)
}

func TestJSONRoundTrip(t *testing.T) {
	in := `{"a":[1,2.5,"s",null,true,{"b":-3}],"big":1e300,"u":"\u00e9\n"}`
	v, err := rhai.FromJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := rhai.ToJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1,2.5,"s",null,true,{"b":-3}],"big":1e300,"u":"é\n"}`; string(out) != want {
		t.Fatalf("got %s, want %s", out, want)
	}
	if _, err := rhai.FromJSON([]byte(`{"a":1} x`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := rhai.Compile("bad.rhai", "let x = ;", rhai.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.rhai:1:9:") {
		t.Fatalf("got %v, want a positioned parse error", err)
	}
}

func TestResultValue(t *testing.T) {
	for src, want := range map[string]string{
		`40 + 2`:                             `42`,
		`let x = 1; x + 1;`:                  `2`,
		`return 5; 6`:                        `5`,
		`if true { return "early"; } "late"`: `"early"`,
		`exit(7); 8`:                         `7`,
		`fn f() { exit([9]) } f(); 1`:        `[9]`,
		`let x = 3;`:                         `null`,
		`{ 1; 2 }`:                           `2`,
		`for i in 0..3 { }`:                  `null`,
	} {
		res, err := mustCompile(t, src).Run(rhai.Env{})
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got, _ := rhai.ToJSON(res.Value); string(got) != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
}
