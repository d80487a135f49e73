package syntax

import (
	"strconv"
	"strings"
	"testing"
)

// lexAll lexes src to the end and renders the tokens compactly:
// identifiers bare, literals as kind:value, keywords and symbols as spelled.
func lexAll(src string) (string, *Error) {
	l := newLexer(src)
	var out []string
	for i := 0; i <= len(src)+1; i++ {
		t := l.next()
		switch t.Kind {
		case EOF:
			return strings.Join(out, " "), nil
		case ERROR:
			return strings.Join(out, " "), l.err
		}
		out = append(out, showToken(t))
	}
	panic("lexer does not terminate on " + strconv.Quote(src))
}

func showToken(t Token) string {
	switch t.Kind {
	case IDENT:
		return t.Text
	case INT:
		return "int:" + strconv.FormatInt(t.Int, 10)
	case FLOAT:
		return "float:" + formatFloat(t.Float)
	case CHAR:
		return "char:" + strconv.QuoteRune(t.Char)
	case STRING:
		return "str:" + strconv.Quote(t.Text)
	case INTERP_START:
		return "interp<" + strconv.Quote(t.Text)
	case INTERP_MID:
		return "interp|" + strconv.Quote(t.Text)
	case INTERP_END:
		return "interp>" + strconv.Quote(t.Text)
	case RESERVED:
		return "reserved:" + t.Text
	case DOC_COMMENT:
		return "doc:" + strconv.Quote(t.Text)
	}
	return t.Kind.String()
}

func TestLexTokens(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// Integers.
		{"0 7 42 1_000", "int:0 int:7 int:42 int:1000"},
		{"9223372036854775807", "int:9223372036854775807"},
		{"0x0 0xff 0XAB_cd 0x_1", "int:0 int:255 int:43981 int:1"},
		{"0o0 0o17 0O7_7", "int:0 int:15 int:63"},
		{"0b0 0b101 0B1_1", "int:0 int:5 int:3"},
		{"0xFFFFFFFFFFFFFFFF 0x8000000000000000", "int:-1 int:-9223372036854775808"},
		{"0b102", "int:2 int:2"},
		{"0o78", "int:7 int:8"},
		{"1_", "int:1"},
		{"123abc", "int:123 abc"},
		// Negative literals where an operand is expected.
		{"-1", "int:-1"},
		{"-9223372036854775808", "int:-9223372036854775808"},
		{"x-1", "x - int:1"},
		{"x -1", "x - int:1"},
		{"(-1)", "( int:-1 )"},
		{"[-1]", "[ int:-1 ]"},
		{"x=-1", "x = int:-1"},
		{"return -1", "return int:-1"},
		{"f() -1", "f () - int:1"},
		{"-0x10", "int:-16"},
		{"- 1", "- int:1"},
		{"-x", "- x"},
		// Floats.
		{"1.5 0.0 10.25", "float:1.5 float:0.0 float:10.25"},
		{"1_0.5_0", "float:10.5"},
		{"1e3 1E3 1e+3 1e-3 1.5e2", "float:1000.0 float:1000.0 float:1000.0 float:0.001 float:150.0"},
		{"1e400", "float:+Inf"},
		{"-1.5", "float:-1.5"},
		{"1. ", "float:1.0"},
		{"1.)", "float:1.0 )"},
		{"1.+2", "float:1.0 + int:2"},
		{"1.", "int:1 ."},
		{"1.x", "int:1 . x"},
		{"1.e5", "int:1 . e5"},
		{"1.._", "int:1 .. _"},
		{"1._x", "int:1 . _x"},
		{"1..2", "int:1 .. int:2"},
		{"1..=2", "int:1 ..= int:2"},
		{"1e", "int:1 e"},
		{"1ex", "int:1 ex"},
		{"123.456e1.23", "float:1234.56 . int:23"},
		{"1.5.3", "float:1.5 . int:3"},
		{"1e5.5", "float:100000.0 . int:5"},
		// Characters.
		{"'a' '朝' '😀'", "char:'a' char:'朝' char:'😀'"},
		{`'\n' '\t' '\r' '\\' '\'' '\"' '\0'`, `char:'\n' char:'\t' char:'\r' char:'\\' char:'\'' char:'"' char:'\x00'`},
		{`'\x41' '\u00e9' '\U0001F600'`, `char:'A' char:'é' char:'😀'`},
		{`'"'`, `char:'"'`},
		// Strings.
		{`"" "abc" "朝に"`, `str:"" str:"abc" str:"朝に"`},
		{`"\n\t\r\\\"\'\0"`, `str:"\n\t\r\\\"'\x00"`},
		{`"\x41\x7e\u00E9\u6771\U0001f600\U00000041"`, `str:"A~é東😀A"`},
		{`"a""b"`, `str:"a\"b"`},
		{`""""`, `str:"\""`},
		{"\"a\\\nb\"", `str:"ab"`},
		{"\"a\\\r\nb\"", `str:"ab"`},
		{"\"a\\\n    b\"", `str:"a   b"`},
		{"   \"a\\\n    b\"", `str:"ab"`},
		{"   \"a\\\n      b\"", `str:"a  b"`},
		{"   \"a\\\n \t  b\"", `str:"ab"`},
		{"\"tab\there\"", `str:"tab\there"`},
		// Raw strings.
		{`#"a\nb"#`, `str:"a\\nb"`},
		{`#""#`, `str:""`},
		{`#"say "hi""#`, `str:"say \"hi\""`},
		{`##"a"#b"##`, `str:"a\"#b"`},
		{`###"x"##"###`, `str:"x\"##"`},
		{"#\"a\nb\"#", `str:"a\nb"`},
		// Back-tick strings.
		{"`abc`", `str:"abc"`},
		{"``", `str:""`},
		{"`a\\nb`", `str:"a\\nb"`},
		{"`a\nb`", `str:"a\nb"`},
		{"`a\r\nb`", `str:"a\nb"`},
		{"`\nabc`", `str:"abc"`},
		{"`\r\nabc`", `str:"abc"`},
		{"`\n\nabc`", `str:"\nabc"`},
		{"`a``b`", "str:\"a`b\""},
		{"`$ {} $x \\$`", `str:"$ {} $x \\$"`},
		{"`\\${x}`", `str:"${x}"`},
		{"`a${x}b`", `interp<"a" { x } interp>"b"`},
		{"`${x}`", `interp<"" { x } interp>""`},
		{"`a${x}b${y}c`", `interp<"a" { x } interp|"b" { y } interp>"c"`},
		{"`${ #{a:1} }`", `interp<"" { #{ a : int:1 } } interp>""`},
		{"`${ {1} }`", `interp<"" { { int:1 } } interp>""`},
		{"`a${`b${c}d`}e`", `interp<"a" { interp<"b" { c } interp>"d" } interp>"e"`},
		{"`${\"}\"}`", `interp<"" { str:"}" } interp>""`},
		{"`${x}` + 1", `interp<"" { x } interp>"" + int:1`},
		// Identifiers, keywords and reserved words.
		{"x _x x1 _a_1 abc_DEF", "x _x x1 _a_1 abc_DEF"},
		{"_", "_"},
		{"true false let const if else switch do while until loop for in continue break return throw try catch fn private import export as this",
			"true false let const if else switch do while until loop for in continue break return throw try catch fn private import export as this"},
		{"var static shared is goto match case public protected new use with module package super spawn thread go sync async await yield default void null nil",
			"reserved:var reserved:static reserved:shared reserved:is reserved:goto reserved:match reserved:case reserved:public reserved:protected reserved:new reserved:use reserved:with reserved:module reserved:package reserved:super reserved:spawn reserved:thread reserved:go reserved:sync reserved:async reserved:await reserved:yield reserved:default reserved:void reserved:null reserved:nil"},
		{"print debug type_of eval Fn call curry is_shared is_def_fn is_def_var global exit",
			"print debug type_of eval Fn call curry is_shared is_def_fn is_def_var global exit"},
		{"letter iffy", "letter iffy"},
		// Operators and punctuation.
		{"( ) [ ] { } #{ , ; : :: => . ?. ?[ ()", "( ) [ ] { } #{ , ; : :: => . ?. ?[ ()"},
		{"+ - * / % ** << >> & | ^ && || ?? == != < <= > >= .. ..= !in !",
			"+ - * / % ** << >> & | ^ && || ?? == != < <= > >= .. ..= !in !"},
		{"= += -= *= /= %= **= <<= >>= &= |= ^=", "= += -= *= /= %= **= <<= >>= &= |= ^="},
		{"a!in b", "a !in b"},
		{"!inside", "! inside"},
		{"!in_x", "! in_x"},
		{"!i", "! i"},
		{"a<=b", "a <= b"},
		{"a<<=b", "a <<= b"},
		{"a**=b", "a **= b"},
		{"x.y", "x . y"},
		{"( )", "( )"},
		// Reserved symbols that the parser rejects.
		{"? ~ @ $ !. ... ++ -- <| |> #! #x", "reserved:? reserved:~ reserved:@ reserved:$ reserved:!. reserved:... reserved:++ reserved:-- reserved:<| reserved:|> reserved:#! reserved:# x"},
		// Comments.
		{"a // comment\nb", "a b"},
		{"a /* c */ b", "a b"},
		{"a /* x /* y */ z */ b", "a b"},
		{"a /* unterminated", "a"},
		{"a /**/ b /***/ c", "a b c"},
		{"/// doc\nfn", `doc:"/// doc" fn`},
		{"/// doc\r\nfn", `doc:"/// doc" fn`},
		{"//// not doc\nfn", "fn"},
		{"/** doc */ fn", `doc:"/** doc */" fn`},
		{"/*** not doc */ fn", "fn"},
		{"//! module doc\nx", "x"},
		// Shebang.
		{"#!/bin/rhai\nx", "x"},
		{"#!/bin/rhai", ""},
		// Whitespace.
		{"a\tb\rc\fd\ne", "a b c d e"},
	} {
		got, err := lexAll(c.src)
		if err != nil {
			t.Errorf("lex %q: unexpected error %s: %s at %v", c.src, err.Kind, err.Msg, err.Pos)
			continue
		}
		if got != c.want {
			t.Errorf("lex %q\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func TestLexErrors(t *testing.T) {
	for _, c := range []struct {
		src  string
		kind string
		pos  Pos
	}{
		{"9223372036854775808", errMalformedNumber, Pos{1, 1}},
		{"x = 99999999999999999999", errMalformedNumber, Pos{1, 5}},
		{"0x", errMalformedNumber, Pos{1, 1}},
		{"0x1_0000_0000_0000_0000", errMalformedNumber, Pos{1, 1}},
		{"0b", errMalformedNumber, Pos{1, 1}},
		{"1e+", errMalformedNumber, Pos{1, 1}},
		{`"abc`, errUnterminatedString, Pos{1, 1}},
		{"x \"abc\ndef\"", errUnterminatedString, Pos{1, 3}},
		{"\"abc\\", errUnterminatedString, Pos{1, 1}},
		{"`abc", errUnterminatedString, Pos{1, 1}},
		{"`a${x}b", errUnterminatedString, Pos{1, 7}},
		{`#"abc`, errUnterminatedString, Pos{1, 1}},
		{`##"abc"#`, errUnterminatedString, Pos{1, 1}},
		{`"\q"`, errMalformedEscapeSequence, Pos{1, 3}},
		{`"\x4"`, errMalformedEscapeSequence, Pos{1, 5}},
		{`"\xZZ"`, errMalformedEscapeSequence, Pos{1, 4}},
		{`"\u12"`, errMalformedEscapeSequence, Pos{1, 6}},
		{`"\uD800"`, errMalformedEscapeSequence, Pos{1, 3}},
		{`"\U00110000"`, errMalformedEscapeSequence, Pos{1, 3}},
		{`"\`, errUnterminatedString, Pos{1, 1}},
		{"\"a\\\n\n\"", errUnterminatedString, Pos{1, 1}},
		{"''", errMalformedChar, Pos{1, 1}},
		{"'ab'", errMalformedChar, Pos{1, 1}},
		{"'a", errUnterminatedString, Pos{1, 1}},
		{"'\\q'", errMalformedEscapeSequence, Pos{1, 3}},
		{"'\\\n'", errUnterminatedString, Pos{1, 1}},
		{"__", errMalformedIdentifier, Pos{1, 1}},
		{"_1", errMalformedIdentifier, Pos{1, 1}},
		{"x ===", errBadInput, Pos{1, 3}},
		{"x !== y", errBadInput, Pos{1, 3}},
		{"x -> y", errBadInput, Pos{1, 3}},
		{"x <- y", errBadInput, Pos{1, 3}},
		{"x := y", errBadInput, Pos{1, 3}},
		{"x :; y", errBadInput, Pos{1, 3}},
		{"x::<y>", errBadInput, Pos{1, 2}},
		{"(* x *)", errBadInput, Pos{1, 1}},
		{"x *)", errBadInput, Pos{1, 3}},
		{"# {", errBadInput, Pos{1, 1}},
		{"##x", errBadInput, Pos{1, 1}},
		{"x\n  \\", errBadInput, Pos{2, 3}},
		{"é", errBadInput, Pos{1, 1}},
		{"朝 x", errBadInput, Pos{1, 1}},
		{"x\u00a0y", errBadInput, Pos{1, 2}},
		{"\x00", errBadInput, Pos{1, 1}},
	} {
		_, err := lexAll(c.src)
		if err == nil {
			t.Errorf("lex %q: no error, want %s at %v", c.src, c.kind, c.pos)
			continue
		}
		if err.Kind != c.kind || err.Pos != c.pos {
			t.Errorf("lex %q: got %s at %v (%s), want %s at %v", c.src, err.Kind, err.Pos, err.Msg, c.kind, c.pos)
		}
	}
}

func TestLexPositions(t *testing.T) {
	src := "let x = 1;\n\tfoo(\"朝\", 'é') +\n  `a\nb` ${}\n/* multi\nline */ end"
	want := []struct {
		show string
		pos  Pos
	}{
		{"let", Pos{1, 1}}, {"x", Pos{1, 5}}, {"=", Pos{1, 7}}, {"int:1", Pos{1, 9}}, {";", Pos{1, 10}},
		{"foo", Pos{2, 2}}, {"(", Pos{2, 5}}, {`str:"朝"`, Pos{2, 6}}, {",", Pos{2, 9}},
		{"char:'é'", Pos{2, 11}}, {")", Pos{2, 14}}, {"+", Pos{2, 16}},
		{`str:"a\nb"`, Pos{3, 3}}, {"reserved:$", Pos{4, 4}}, {"{", Pos{4, 5}}, {"}", Pos{4, 6}},
		{"end", Pos{6, 9}}, {"EOF", Pos{6, 12}},
	}
	l := newLexer(src)
	for i, w := range want {
		tok := l.next()
		got := showToken(tok)
		if tok.Kind == EOF {
			got = "EOF"
		}
		if got != w.show || tok.Pos != w.pos {
			t.Errorf("token %d: got %s at %v, want %s at %v", i, got, tok.Pos, w.show, w.pos)
		}
	}
}

func TestLexEOFPosition(t *testing.T) {
	for _, c := range []struct {
		src string
		pos Pos
	}{
		{"", Pos{1, 1}},
		{"ab", Pos{1, 3}},
		{"ab\n", Pos{2, 1}},
		{"\"朝\"\n\"朝朝\"", Pos{2, 5}},
	} {
		l := newLexer(c.src)
		var tok Token
		for tok = l.next(); tok.Kind != EOF && tok.Kind != ERROR; tok = l.next() {
		}
		if tok.Pos != c.pos {
			t.Errorf("EOF of %q: got %v, want %v", c.src, tok.Pos, c.pos)
		}
	}
}

// TestLexNoAllocs checks that plain tokens do not allocate.
func TestLexNoAllocs(t *testing.T) {
	src := "let total = 0; for x in items { total += x.price * 2 - 1; } \"plain string\" 3.25 -1_000 0xff `back-tick` #\"raw\"#"
	allocs := testing.AllocsPerRun(100, func() {
		l := lexer{src: src, line: 1, col: 1, unaryNext: true}
		for l.next().Kind != EOF {
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per run, want 0", allocs)
	}
}
