package syntax

import (
	"errors"
	"strings"
	"testing"
)

type parseCase struct {
	src  string
	want string
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		s, err := Parse("test", c.src, Options{})
		if err != nil {
			t.Errorf("Parse(%q): unexpected error:\n%v", c.src, err)
			continue
		}
		if got := Sexpr(s); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

// TestParseOperators covers every binary operator, the precedence of each
// level against its neighbours (|| ^ | at 30, && & at 60, == != at 90, in
// !in at 110, < <= > >= at 130, ?? at 135, .. ..= at 140, + - at 150,
// * / % at 180, ** at 190, << >> at 210), associativity (all left but **),
// unary operators and the folding of negative literals.
func TestParseOperators(t *testing.T) {
	runParseCases(t, operatorCases())
}

func operatorCases() []parseCase {
	return []parseCase{
		{"a + b", "(+ a b)"},
		{"a - b", "(- a b)"},
		{"a * b", "(* a b)"},
		{"a / b", "(/ a b)"},
		{"a % b", "(% a b)"},
		{"a ** b", "(** a b)"},
		{"a << b", "(<< a b)"},
		{"a >> b", "(>> a b)"},
		{"a & b", "(& a b)"},
		{"a | b", "(| a b)"},
		{"a ^ b", "(^ a b)"},
		{"a == b", "(== a b)"},
		{"a != b", "(!= a b)"},
		{"a < b", "(< a b)"},
		{"a <= b", "(<= a b)"},
		{"a > b", "(> a b)"},
		{"a >= b", "(>= a b)"},
		{"a && b", "(&& a b)"},
		{"a || b", "(|| a b)"},
		{"a ?? b", "(?? a b)"},
		{"a in b", "(in a b)"},
		{"a !in b", "(!in a b)"},
		{"a..b", "(.. a b)"},
		{"a..=b", "(..= a b)"},

		{"a || b && c", "(|| a (&& b c))"},
		{"a && b || c", "(|| (&& a b) c)"},
		{"a | b & c", "(| a (& b c))"},
		{"a ^ b & c", "(^ a (& b c))"},
		{"a | b ^ c", "(^ (| a b) c)"},
		{"a || b | c", "(| (|| a b) c)"},
		{"a && b & c", "(& (&& a b) c)"},
		{"a & b == c", "(& a (== b c))"},
		{"a == b in c", "(== a (in b c))"},
		{"a != b !in c", "(!= a (!in b c))"},
		{"a in b < c", "(in a (< b c))"},
		{"a < b ?? c", "(< a (?? b c))"},
		{"a ?? b..c", "(?? a (.. b c))"},
		{"a..b + c", "(.. a (+ b c))"},
		{"a..=b - c", "(..= a (- b c))"},
		{"a + b * c", "(+ a (* b c))"},
		{"a - b / c", "(- a (/ b c))"},
		{"a + b % c", "(+ a (% b c))"},
		{"a * b ** c", "(* a (** b c))"},
		{"a ** b << c", "(** a (<< b c))"},
		{"a << b ** c", "(** (<< a b) c)"},
		{"a * b >> c", "(* a (>> b c))"},
		{"a >= b == c <= d", "(== (>= a b) (<= c d))"},
		{"a > b && c < d || e", "(|| (&& (> a b) (< c d)) e)"},
		{"x == 1 + 2 * 3 ** 2", "(== x (+ 1 (* 2 (** 3 2))))"},

		{"a - b - c", "(- (- a b) c)"},
		{"a / b / c", "(/ (/ a b) c)"},
		{"a % b * c", "(* (% a b) c)"},
		{"a << b >> c", "(>> (<< a b) c)"},
		{"a ** b ** c", "(** a (** b c))"},
		{"a ** b ** c ** d", "(** a (** b (** c d)))"},
		{"a == b != c", "(!= (== a b) c)"},
		{"a < b < c", "(< (< a b) c)"},
		{"a ?? b ?? c", "(?? (?? a b) c)"},
		{"a || b || c", "(|| (|| a b) c)"},
		{"a && b && c", "(&& (&& a b) c)"},
		{"a | b | c", "(| (| a b) c)"},
		{"a ^ b ^ c", "(^ (^ a b) c)"},
		{"a & b & c", "(& (& a b) c)"},
		{"a in b in c", "(in (in a b) c)"},
		{"a .. b .. c", "(.. (.. a b) c)"},

		{"-a", "(- a)"},
		{"+a", "(+ a)"},
		{"!a", "(! a)"},
		{"- -a", "(- (- a))"},
		{"!!a", "(! (! a))"},
		{"-a ** 2", "(** (- a) 2)"},
		{"!a == b", "(== (! a) b)"},
		{"-a.b", "(- (. a b))"},
		{"-f(x)[1]", "(- (index (call f x) 1))"},
		{"a - -b", "(- a (- b))"},
		{"a*-b", "(* a (- b))"},

		{"-1", "-1"},
		{"-1.5", "-1.5"},
		{"- 1", "-1"},
		{"-(1)", "-1"},
		{"+1", "1"},
		{"+-1", "-1"},
		{"a-1", "(- a 1)"},
		{"a -1", "(- a 1)"},
		{"f(-1)", "(call f -1)"},
		{"[1, -2]", "(array 1 -2)"},
		{"-9223372036854775808", "-9223372036854775808"},
		{"- 9223372036854775807", "-9223372036854775807"},
		{"-(-9223372036854775808)", "9.223372036854776e+18"},
		{"2 ** -1", "(** 2 -1)"},

		{"(a + b) * c", "(* (+ a b) c)"},
		{"a * (b + c)", "(* a (+ b c))"},
		{"((a))", "a"},
		{"(a ** b) ** c", "(** (** a b) c)"},
	}
}

func TestParseLiterals(t *testing.T) {
	runParseCases(t, []parseCase{
		{"42", "42"},
		{"0", "0"},
		{"1_000_000", "1000000"},
		{"0x1F", "31"},
		{"0XfF", "255"},
		{"0x_ff_ff", "65535"},
		{"0o17", "15"},
		{"0O7_7", "63"},
		{"0b1010", "10"},
		{"0B1111_0000", "240"},
		{"0xFFFFFFFFFFFFFFFF", "-1"},
		{"0x7FFFFFFFFFFFFFFF", "9223372036854775807"},
		{"9223372036854775807", "9223372036854775807"},
		{"1.5", "1.5"},
		{"0.25", "0.25"},
		{"1_000.000_1", "1000.0001"},
		{"1e3", "1000.0"},
		{"1E3", "1000.0"},
		{"1.5e3", "1500.0"},
		{"1.5e-3", "0.0015"},
		{"2e+2", "200.0"},
		{"1e400", "+Inf"},
		{"1. + 2", "(+ 1.0 2)"},
		{"(1.)", "1.0"},
		{"1.max(2)", "(method 1 max 2)"},
		{"1..2", "(.. 1 2)"},
		{"1.e5", "(. 1 e5)"},
		{"true", "true"},
		{"false", "false"},
		{"()", "()"},
		{"'a'", "'a'"},
		{"'\\n'", "'\\n'"},
		{"'\\''", `'\''`},
		{"'\"'", `'"'`},
		{"'\\x41'", "'A'"},
		{"'\\u00e9'", "'é'"},
		{"'\\U0001F600'", "'😀'"},
		{"'朝'", "'朝'"},
		{`"hello"`, `"hello"`},
		{`""`, `""`},
		{`"a\tb\nc\rd\\e\"f\'g\0h"`, `"a\tb\nc\rd\\e\"f'g\x00h"`},
		{`"\x41\u00e9\U0001F600"`, `"Aé😀"`},
		{`"say ""hi"""`, `"say \"hi\""`},
		{"\"ab\\\n   cd\"", `"ab  cd"`},
		{"\"ab\\\n cd\"", `"abcd"`},
		{"let s = \"ab\\\n         cd\";", `(let s "abcd")`},
		{"let s = \"ab\\\n           cd\";", `(let s "ab  cd")`},
		{"\"a\\\r\nb\"", `"ab"`},
		{"\"a\\\n\tb\"", `"ab"`},
		{`#"raw \n "quoted" "#`, `"raw \\n \"quoted\" "`},
		{`##"a "# b"##`, `"a \"# b"`},
		{"#\"multi\nline\"#", `"multi\nline"`},
		{"`literal \\n ${x}`", `(interp "literal \\n " (block x))`},
		{"`plain`", `"plain"`},
		{"``", `""`},
		{"`a``b`", "\"a`b\""},
		{"`\nfirst line\nsecond`", `"first line\nsecond"`},
		{"`a\r\nb`", `"a\nb"`},
		{"`\\${x}`", `"${x}"`},
		{"`$x $ {x}`", `"$x $ {x}"`},
		{"`${x}`", "(interp (block x))"},
		{"`${}`", "(interp (block))"},
		{"`a${x}b${y}c`", `(interp "a" (block x) "b" (block y) "c")`},
		{"`${ let y = 1; y + x }`", "(interp (block (let y 1) (+ y x)))"},
		{"`${ #{a: 1}.a }`", `(interp (block (. (map ("a" 1)) a)))`},
		{"`out ${ `in ${x}` } out`", `(interp "out " (block (interp "in " (block x))) " out")`},
		{"`${ if a { `${b}` } else { \"}\" } }`", `(interp (block (if a (block (interp (block b))) (block "}"))))`},
		{"[]", "(array)"},
		{"[1, 2, 3]", "(array 1 2 3)"},
		{"[1, 2, 3,]", "(array 1 2 3)"},
		{"[[1], []]", "(array (array 1) (array))"},
		{"#{}", "(map)"},
		{`#{a: 1, "b c": 2, d: [3],}`, `(map ("a" 1) ("b c" 2) ("d" (array 3)))`},
		{"#{type: 1, exit: 2}", `(map ("type" 1) ("exit" 2))`},
	})
}

func TestParseNames(t *testing.T) {
	runParseCases(t, []parseCase{
		{"x", "x"},
		{"_x1", "_x1"},
		{"global", "global"},
		{"m::x", "m::x"},
		{"a::b::c", "a::b::c"},
		{"global::CONST", "global::CONST"},
		{"f()", "(call f)"},
		{"f ()", "(call f)"},
		{"f( )", "(call f)"},
		{"f(1, 2,)", "(call f 1 2)"},
		{"f!(x)", "(call! f x)"},
		{"f!()", "(call! f)"},
		{"m::f(x)", "(call m::f x)"},
		{"a::b::f()", "(call a::b::f)"},
		{"log::debug(x)", "(call log::debug x)"},
		{`Fn("name")`, `(call Fn "name")`},
		{"Fn(\"f\").call(1)", `(method (call Fn "f") call 1)`},
		{"print(x)", "(call print x)"},
		{"type_of(x)", "(call type_of x)"},
		{"x.type_of()", "(method x type_of)"},
		{"f.curry(1).call(2)", "(method (method f curry 1) call 2)"},
		{"is_def_var(\"x\")", `(call is_def_var "x")`},
		{"x.len", "(. x len)"},
		{"x.len()", "(method x len)"},
		{"x.f(1, 2)", "(method x f 1 2)"},
		{"x?.p", "(?. x p)"},
		{"x?.f(1)", "(method? x f 1)"},
		{"x[1]", "(index x 1)"},
		{"x?[1]", "(index? x 1)"},
		{"x[1][2]", "(index (index x 1) 2)"},
		{"x[1]?[2]", "(index? (index x 1) 2)"},
		{"x[i + 1]", "(index x (+ i 1))"},
		{"x.a.b.c", "(. (. (. x a) b) c)"},
		{"x.a[0].b(1)[2]", "(index (method (index (. x a) 0) b 1) 2)"},
		{"f(x)[0].y", "(. (index (call f x) 0) y)"},
		{"\"abc\".len()", `(method "abc" len)`},
		{"[1, 2][0]", "(index (array 1 2) 0)"},
		{"#{a: 1}.a", `(. (map ("a" 1)) a)`},
		{"#{a: 1}[\"a\"]", `(index (map ("a" 1)) "a")`},
		{"(a + b).c", "(. (+ a b) c)"},
		{"().x", "(. () x)"},
		{"x[1..3]", "(index x (.. 1 3))"},
		{"x.a = 1", "(= (. x a) 1)"},
	})
}

func TestParseStatements(t *testing.T) {
	runParseCases(t, []parseCase{
		{"", ""},
		{";;", ""},
		{"let x;", "(let x)"},
		{"let x = 1;", "(let x 1)"},
		{"const X = 1;", "(const X 1)"},
		{"const X;", "(const X)"},
		{"let x = 1; let x = x + 1;", "(let x 1) (let x (+ x 1))"},
		{"x = 1", "(= x 1)"},
		{"x += 1", "(+= x 1)"},
		{"x -= 1", "(-= x 1)"},
		{"x *= 1", "(*= x 1)"},
		{"x /= 1", "(/= x 1)"},
		{"x %= 1", "(%= x 1)"},
		{"x **= 1", "(**= x 1)"},
		{"x <<= 1", "(<<= x 1)"},
		{"x >>= 1", "(>>= x 1)"},
		{"x &= 1", "(&= x 1)"},
		{"x |= 1", "(|= x 1)"},
		{"x ^= 1", "(^= x 1)"},
		{"x[0] += 1", "(+= (index x 0) 1)"},
		{"x.a.b -= 2", "(-= (. (. x a) b) 2)"},
		{"x[f(1)].p *= 3", "(*= (. (index x (call f 1)) p) 3)"},
		{"x?[2] = 42", "(= (index? x 2) 42)"},
		{"m::x = 1", "(= m::x 1)"},
		{"x = y == 1", "(= x (== y 1))"},
		{"x = if a { 1 } else { 2 };", "(= x (if a (block 1) (block 2)))"},
		{"let v = { 1; 2 };", "(let v (block 1 2))"},
		{"{ let a = 1; a }", "(block (let a 1) a)"},
		{"{ } { }", "(block) (block)"},
		{"{ 1 } + 2", "(block 1) 2"},
		{"if a { 1 } - 2", "(if a (block 1)) -2"},
		{"if a { b }", "(if a (block b))"},
		{"if a { b } else { c }", "(if a (block b) (block c))"},
		{"if a { b } else if c { d } else { e }", "(if a (block b) (if c (block d) (block e)))"},
		{"if a { b } x", "(if a (block b)) x"},
		{"let x = if a { 1 } else { 2 } + 1;", "(let x (+ (if a (block 1) (block 2)) 1))"},
		{"while x < 10 { x += 1; }", "(while (< x 10) (block (+= x 1)))"},
		{"loop { break; }", "(loop (block (break)))"},
		{"loop { break 42 }", "(loop (block (break 42)))"},
		{"let v = loop { break x * 2; };", "(let v (loop (block (break (* x 2)))))"},
		{"while true { continue }", "(while true (block (continue)))"},
		{"do { x += 1; } while x < 10;", "(do (block (+= x 1)) while (< x 10))"},
		{"do { x += 1 } until x >= 10", "(do (block (+= x 1)) until (>= x 10))"},
		{"do { break; } while true", "(do (block (break)) while true)"},
		{"for x in xs { print(x); }", "(for x xs (block (call print x)))"},
		{"for (x, i) in xs { }", "(for (x i) xs (block))"},
		{"for i in 0..10 { if i == 5 { break; } }", "(for i (.. 0 10) (block (if (== i 5) (block (break)))))"},
		{"for c in \"abc\" {}", `(for c "abc" (block))`},
		{"let n = for x in xs { break x; };", "(let n (for x xs (block (break x))))"},
		{"return", "(return)"},
		{"return;", "(return)"},
		{"return 1 + 2;", "(return (+ 1 2))"},
		{"fn f() { return }", "(fn f () (block (return)))"},
		{"throw", "(throw)"},
		{"throw \"oops\";", `(throw "oops")`},
		{"try { x } catch (e) { y }", "(try (block x) (catch e) (block y))"},
		{"try { x } catch { throw; }", "(try (block x) (block (throw)))"},
		{"try { x } catch (e) { throw e }", "(try (block x) (catch e) (block (throw e)))"},
		{"try {} catch {} x", "(try (block) (block)) x"},
		{`import "a/b" as m;`, `(import "a/b" as m)`},
		{`import "a";`, `(import "a")`},
		{`import "a" + x as m;`, `(import (+ "a" x) as m)`},
		{"{ import \"a\" as m; m::f() }", `(block (import "a" as m) (call m::f))`},
		{"export x;", "(export x)"},
		{"export x as y;", "(export x as y)"},
		{"export let x = 1;", "(export (let x 1))"},
		{"export const X = 1;", "(export (const X 1))"},
		{"let x = 1\n;", "(let x 1)"},
		{"x; y", "x y"},
		{"a\n.b", "(. a b)"},
	})
}

func TestParseSwitch(t *testing.T) {
	runParseCases(t, []parseCase{
		{"switch x { }", "(switch x)"},
		{"switch x { 1 => a, 2 => b }", "(switch x (case (1) a) (case (2) b))"},
		{"switch x { 1 => a, 2 => b, }", "(switch x (case (1) a) (case (2) b))"},
		{"switch x { 1 | 2 | 3 => a }", "(switch x (case (1 2 3) a))"},
		{"switch x { -1 => a }", "(switch x (case (-1) a))"},
		{"switch x { 1..3 => a, 3..=5 => b }", "(switch x (case ((.. 1 3)) a) (case ((..= 3 5)) b))"},
		{"switch x { 1 if y > 0 => a, 1 => b }", "(switch x (case (1) (if (> y 0)) a) (case (1) b))"},
		{"switch x { 1 | 2 if y => a }", "(switch x (case (1 2) (if y) a))"},
		{"switch x { _ => a }", "(switch x (default a))"},
		{"switch x { 1 => a, _ => b, }", "(switch x (case (1) a) (default b))"},
		{"switch x { 1 => { a; b } 2 => c }", "(switch x (case (1) (block a b)) (case (2) c))"},
		{"switch x { 1 => if a { b } _ => c }", "(switch x (case (1) (if a (block b))) (default c))"},
		{"switch x { 1 => y = 2, _ => return 3 }", "(switch x (case (1) (block (= y 2))) (default (block (return 3))))"},
		{`switch s { "a" => 1, 'c' => 2, true => 3, () => 4, 1.5 => 5 }`,
			`(switch s (case ("a") 1) (case ('c') 2) (case (true) 3) (case (()) 4) (case (1.5) 5))`},
		{`switch v { [1, "a"] => 1, #{a: 1} => 2 }`, `(switch v (case ((array 1 "a")) 1) (case ((map ("a" 1))) 2))`},
		{"switch x { 1 => 2 } + 3", "(switch x (case (1) 2)) 3"},
		{"let y = switch x { 1 => 2, _ => 3 } + 1;", "(let y (+ (switch x (case (1) 2) (default 3)) 1))"},
		{"switch x { 3..1 => a, 1 => b }", "(switch x (case ((.. 3 1)) a) (case (1) b))"},
		{"switch a || b { true => 1 }", "(switch (|| a b) (case (true) 1))"},
	})
}

func TestParseFunctions(t *testing.T) {
	runParseCases(t, []parseCase{
		{"fn f() {}", "(fn f () (block))"},
		{"fn f(a) { a }", "(fn f (a) (block a))"},
		{"fn f(a, b,) { a + b }", "(fn f (a b) (block (+ a b)))"},
		{"fn f() { 1 } fn f(a) { 2 } fn f(a, b) { 3 }", "(fn f () (block 1)) (fn f (a) (block 2)) (fn f (a b) (block 3))"},
		{"private fn f() {}", "(private fn f () (block))"},
		{"fn int.calc(x) { this * x }", "(fn i64.calc (x) (block (* this x)))"},
		{"fn float.half() { this / 2.0 }", "(fn f64.half () (block (/ this 2.0)))"},
		{`fn "MyType".m() {}`, "(fn MyType.m () (block))"},
		{"fn calc(x) { this.v = x; } fn int.calc(x) {}", "(fn calc (x) (block (= (. this v) x))) (fn i64.calc (x) (block))"},
		{"fn f() { this = 1; }", "(fn f () (block (= this 1)))"},
		{"fn f() {} f()", "(call f) (fn f () (block))"},
		{"fn f() {}; f()", "(call f) (fn f () (block))"},
		{"let f = |x| x + 1;", "(let f (closure (x) (+ x 1)))"},
		{"let f = |x, y,| x * y;", "(let f (closure (x y) (* x y)))"},
		{"let f = || 42;", "(let f (closure () 42))"},
		{"let f = | | 42;", "(let f (closure () 42))"},
		{"let f = || { let a = 1; a };", "(let f (closure () (block (let a 1) a)))"},
		{"let f = |x| x = 2;", "(let f (closure (x) (block (= x 2))))"},
		{"let f = |x| return x;", "(let f (closure (x) (block (return x))))"},
		{"let f = || this;", "(let f (closure () this))"},
		{"xs.map(|x| x * 2)", "(method xs map (closure (x) (* x 2)))"},
		{"xs.filter(|x| x > min)", "(method xs filter (closure (x) (captures min) (> x min)))"},
		{"let a = 1; let f = || a + b + a;", "(let a 1) (let f (closure () (captures a b) (+ (+ a b) a)))"},
		{"let f = |x| { let y = x; y + z };", "(let f (closure (x) (captures z) (block (let y x) (+ y z))))"},
		{"let f = || { y; let y = 1; y };", "(let f (closure () (captures y) (block y (let y 1) y)))"},
		{"let f = || |y| x + y;", "(let f (closure () (captures x) (closure (y) (captures x) (+ x y))))"},
		{"let f = |x| || x;", "(let f (closure (x) (closure () (captures x) x)))"},
		{"let f = || x.p.q(y);", "(let f (closure () (captures x y) (method (. x p) q y)))"},
		{"fn g() {} let f = || g;", "(let f (closure () g)) (fn g () (block))"},
		{"let f = || g(1);", "(let f (closure () (call g 1)))"},
		{"let f = || x = 1;", "(let f (closure () (captures x) (block (= x 1))))"},
		{"let f = || m::x;", "(let f (closure () m::x))"},
		{"let f = |a| switch a { 1 => b, _ => c };", "(let f (closure (a) (captures b c) (switch a (case (1) b) (default c))))"},
		{"let f = || for i in r { s += i };", "(let f (closure () (captures r s) (for i r (block (+= s i)))))"},
		{"let f = || { try { } catch (e) { e } };", "(let f (closure () (block (try (block) (catch e) (block e)))))"},
		{"let f = || `${x}`;", "(let f (closure () (captures x) (interp (block x))))"},
		{"let f = ||;", "(let f (closure () (block)))"},
		{"|x| x", "(closure (x) x)"},
	})
}

func TestParseDocComments(t *testing.T) {
	src := "/// Adds.\n/// Twice.\nfn add(a, b) { a + b }\n/** Block doc. */\nprivate fn p() {}\n//// not a doc\nfn q() {}\n/// stray doc before a statement\nlet x = 1;"
	s, err := Parse("doc", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Funcs) != 3 {
		t.Fatalf("got %d functions, want 3", len(s.Funcs))
	}
	want := [][]string{{"/// Adds.", "/// Twice."}, {"/** Block doc. */"}, nil}
	for i, f := range s.Funcs {
		if strings.Join(f.Doc, "|") != strings.Join(want[i], "|") {
			t.Errorf("%s: got docs %q, want %q", f.Name, f.Doc, want[i])
		}
	}
}

func TestParseComments(t *testing.T) {
	runParseCases(t, []parseCase{
		{"1 // comment", "1"},
		{"1 /* c */ + /* d */ 2", "(+ 1 2)"},
		{"/* a /* nested */ still comment */ 1", "1"},
		{"1 /* unterminated", "1"},
		{"/**/ 1", "1"},
		{"/***/ 1", "1"},
		{"#!/usr/bin/env rhai\nx", "x"},
		{"// only a comment", ""},
		{"x // trailing\r\n+ y", "(+ x y)"},
	})
}

// TestParsePositions checks the positions the parser records.
func TestParsePositions(t *testing.T) {
	src := "let x = 1;\n  foo(a.b, c[2]) + -3;\nfn f(p) {\n\tp ** 2\n}"
	s, err := Parse("pos", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	let := s.Stmts[0].(*LetStmt)
	add := s.Stmts[1].(*ExprStmt).X.(*BinaryExpr)
	call := add.X.(*CallExpr)
	dot := call.Args[0].(*DotExpr)
	idx := call.Args[1].(*IndexExpr)
	fn := s.Funcs[0]
	pow := fn.Body.Stmts[0].(*ExprStmt).X.(*BinaryExpr)
	for _, c := range []struct {
		what string
		got  Pos
		want Pos
	}{
		{"let", let.Pos, Pos{1, 1}},
		{"let name", let.Name.Pos, Pos{1, 5}},
		{"let value", let.Value.Position(), Pos{1, 9}},
		{"call", call.Pos, Pos{2, 3}},
		{"dot", dot.Pos, Pos{2, 9}},
		{"dot receiver", dot.X.Position(), Pos{2, 7}},
		{"index", idx.Pos, Pos{2, 13}},
		{"+", add.Pos, Pos{2, 18}},
		{"-3", add.Y.Position(), Pos{2, 20}},
		{"fn name", fn.Pos, Pos{3, 4}},
		{"param", fn.Params[0].Pos, Pos{3, 6}},
		{"body", fn.Body.Pos, Pos{3, 9}},
		{"body end", fn.Body.End, Pos{5, 1}},
		{"**", pow.Pos, Pos{4, 4}},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestParseDepthLimits(t *testing.T) {
	nest := func(n int) string {
		return strings.Repeat("(", n) + "1" + strings.Repeat(")", n)
	}
	kind := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Kind
		}
		return ""
	}
	// Top level: 64 levels. Rhai counts two levels per parenthesis (the
	// group and the expression inside it).
	if _, err := Parse("d", nest(30), Options{}); err != nil {
		t.Errorf("30 parentheses: %v", err)
	}
	if _, err := Parse("d", nest(40), Options{}); kind(err) != errExprTooDeep {
		t.Errorf("40 parentheses: got %v, want ExprTooDeep", err)
	}
	// Functions: 32 levels.
	if _, err := Parse("d", "fn f() { "+nest(12)+" }", Options{}); err != nil {
		t.Errorf("12 parentheses in a function: %v", err)
	}
	if _, err := Parse("d", "fn f() { "+nest(20)+" }", Options{}); kind(err) != errExprTooDeep {
		t.Errorf("20 parentheses in a function: got %v, want ExprTooDeep", err)
	}
	// Configurable.
	if _, err := Parse("d", nest(40), Options{MaxExprDepth: 100}); err != nil {
		t.Errorf("40 parentheses with MaxExprDepth 100: %v", err)
	}
	if _, err := Parse("d", "fn f() { "+nest(20)+" }", Options{MaxFnExprDepth: 100}); err != nil {
		t.Errorf("20 parentheses in a function with MaxFnExprDepth 100: %v", err)
	}
	// Statements nest within the same bound.
	blocks := strings.Repeat("{", 100) + strings.Repeat("}", 100)
	if _, err := Parse("d", blocks, Options{}); kind(err) != errExprTooDeep {
		t.Errorf("100 nested blocks: got %v, want ExprTooDeep", err)
	}
	// Rhai also counts each operator of a chain: a long flat chain is too
	// deep too.
	chain := "let x = 1" + strings.Repeat(" + 1", 100) + ";"
	if _, err := Parse("d", chain, Options{}); kind(err) != errExprTooDeep {
		t.Errorf("a chain of 100 additions: got %v, want ExprTooDeep", err)
	}
	if _, err := Parse("d", "let x = 1"+strings.Repeat(" + 1", 50)+";", Options{}); err != nil {
		t.Errorf("a chain of 50 additions: %v", err)
	}
	// Huge nesting never overflows the stack, even at the hard limit.
	deep := strings.Repeat("[", 1_000_000)
	if _, err := Parse("d", deep, Options{MaxExprDepth: 1 << 30}); kind(err) != errExprTooDeep {
		t.Errorf("a million brackets: got %v, want ExprTooDeep", kind(err))
	}
	deep = strings.Repeat("- ", 1_000_000) + "x"
	if _, err := Parse("d", deep, Options{}); kind(err) != errExprTooDeep {
		t.Errorf("a million minus signs: got %v, want ExprTooDeep", kind(err))
	}
}
