package stdlib

import (
	"math"
	"reflect"
	"strconv"
	"testing"
)

func TestText(t *testing.T) {
	for _, s := range []string{"", "hello", "héllo", "朝には紅顔", "a😀b", "abcdefgh", "abcdefghé", "abcdefghijklmnoé", "éabcdefghijklmnop"} {
		tx := newText(s)
		runes := []rune(s)
		if tx.n != len(runes) {
			t.Errorf("newText(%q).n = %d, want %d", s, tx.n, len(runes))
		}
		if tx.ascii != (len(runes) == len(s)) {
			t.Errorf("newText(%q).ascii = %v", s, tx.ascii)
		}
		for i := 0; i <= len(runes); i++ {
			if got, want := tx.offset(i), len(string(runes[:i])); got != want {
				t.Errorf("%q.offset(%d) = %d, want %d", s, i, got, want)
			}
			if got := tx.charIndex(len(string(runes[:i]))); got != i {
				t.Errorf("%q.charIndex(%d) = %d, want %d", s, len(string(runes[:i])), got, i)
			}
			for n := 0; i+n <= len(runes); n++ {
				if got, want := tx.slice(i, n), string(runes[i:i+n]); got != want {
					t.Errorf("%q.slice(%d, %d) = %q, want %q", s, i, n, got, want)
				}
			}
			if i < len(runes) && tx.at(i) != runes[i] {
				t.Errorf("%q.at(%d) = %q, want %q", s, i, tx.at(i), runes[i])
			}
		}
	}
}

func TestCaseMapping(t *testing.T) {
	for _, c := range []struct{ in, upper, lower string }{
		{"Hello, World!", "HELLO, WORLD!", "hello, world!"},
		{"straße", "STRASSE", "straße"},
		{"ÄÖÜ éà", "ÄÖÜ ÉÀ", "äöü éà"},
		{"ΣΑΣ", "ΣΑΣ", "σας"},
		{"ΣΑΣ ΣΑΣ.", "ΣΑΣ ΣΑΣ.", "σας σας."},
		{"Σ", "Σ", "σ"},       // alone: not preceded by a cased letter
		{"AΣ'", "AΣ'", "aς'"}, // a case-ignorable apostrophe after it
		{"AΣB", "AΣB", "aσb"}, // inside a word
		{"İstanbul", "İSTANBUL", "i̇stanbul"},
		{"ﬁ", "FI", "ﬁ"},
		{"ǅ", "Ǆ", "ǆ"},
	} {
		if got := toUpper(c.in); got != c.upper {
			t.Errorf("toUpper(%q) = %q, want %q", c.in, got, c.upper)
		}
		if got := toLower(c.in); got != c.lower {
			t.Errorf("toLower(%q) = %q, want %q", c.in, got, c.lower)
		}
	}
	for _, c := range []struct{ in, upper, lower rune }{
		{'a', 'A', 'a'}, {'ß', 'ß', 'ß'}, {'İ', 'İ', 'İ'}, {'é', 'É', 'é'}, {'Ω', 'Ω', 'ω'},
	} {
		if got := charUpper(c.in); got != c.upper {
			t.Errorf("charUpper(%q) = %q, want %q", c.in, got, c.upper)
		}
		if got := charLower(c.in); got != c.lower {
			t.Errorf("charLower(%q) = %q, want %q", c.in, got, c.lower)
		}
	}
}

// TestSplit checks the splitting helpers against Rust's str::split,
// splitn, rsplit and rsplitn, including an empty pattern.
func TestSplit(t *testing.T) {
	for _, c := range []struct {
		s, pat string
		n      int
		fwd    []string
		rev    []string
	}{
		{"a,b,c", ",", -1, []string{"a", "b", "c"}, []string{"c", "b", "a"}},
		{"a,b,c", ",", 2, []string{"a", "b,c"}, []string{"c", "a,b"}},
		{"a,b,c", ",", 1, []string{"a,b,c"}, []string{"a,b,c"}},
		{"", ",", -1, []string{""}, []string{""}},
		{"abc", "", -1, []string{"", "a", "b", "c", ""}, []string{"", "c", "b", "a", ""}},
		{"abc", "", 2, []string{"", "abc"}, []string{"", "abc"}},
		{"abc", "", 3, []string{"", "a", "bc"}, []string{"", "c", "ab"}},
		{"abc", "", 1, []string{"abc"}, []string{"abc"}},
		{"", "", -1, []string{"", ""}, []string{"", ""}},
		{"aaa", "aa", -1, []string{"", "a"}, []string{"", "a"}},
		{"héé", "é", -1, []string{"h", "", ""}, []string{"", "", "h"}},
		{"x--y", "-", 2, []string{"x", "-y"}, []string{"y", "x-"}},
	} {
		if got := splitN(c.s, c.pat, c.n); !reflect.DeepEqual(got, c.fwd) {
			t.Errorf("splitN(%q, %q, %d) = %q, want %q", c.s, c.pat, c.n, got, c.fwd)
		}
		if got := rsplitN(c.s, c.pat, c.n); !reflect.DeepEqual(got, c.rev) {
			t.Errorf("rsplitN(%q, %q, %d) = %q, want %q", c.s, c.pat, c.n, got, c.rev)
		}
	}
}

func TestOffsetLen(t *testing.T) {
	for _, c := range []struct {
		n            int
		start, count int64
		from, len    int
	}{
		{5, 1, 2, 1, 2},
		{5, -2, 1, 3, 1},
		{5, -5, 9, 0, 5},
		{5, -6, 2, 0, 2},
		{5, math.MinInt64, 2, 0, 2},
		{5, 5, 1, 5, 0},
		{5, math.MaxInt64, 1, 5, 0},
		{5, 2, 0, 2, 0},
		{5, 2, -1, 2, 0},
		{5, 2, math.MaxInt64, 2, 3},
		{0, 0, 1, 0, 0},
		{0, -1, 1, 0, 0},
	} {
		from, n := offsetLen(c.n, c.start, c.count)
		if from != c.from || n != c.len {
			t.Errorf("offsetLen(%d, %d, %d) = %d, %d; want %d, %d", c.n, c.start, c.count, from, n, c.from, c.len)
		}
	}
}

func TestIsRustFloat(t *testing.T) {
	good := []string{"1", "1.", ".5", "1.5", "-1.5", "+1", "1e5", "1E-5", "1.5e+3", "inf", "-Infinity", "NaN", "007"}
	bad := []string{"", ".", "e5", "1e", "1e+", "0x10", "1_000", "1.5.2", "--1", "1f", " 1", "infinit", "1 e5", "+"}
	for _, s := range good {
		if !isRustFloat(s) {
			t.Errorf("isRustFloat(%q) = false, want true", s)
		}
	}
	for _, s := range bad {
		if isRustFloat(s) {
			t.Errorf("isRustFloat(%q) = true, want false", s)
		}
	}
}

func TestLog10(t *testing.T) {
	for e := -300; e <= 300; e++ {
		x, _ := strconv.ParseFloat("1e"+strconv.Itoa(e), 64)
		if got := glibcLog10(x); got != float64(e) {
			t.Errorf("log10(1e%d) = %v, want %d", e, got, e)
		}
	}
}

func TestJSONFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-2.5, "-2.5"},
		{0.1, "0.1"},
		{123456, "123456.0"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e16"},
		{1.5e16, "1.5e16"},
		{1e20, "1e20"},
		{0.0001, "0.0001"},
		{0.00001, "0.00001"},
		{0.000001, "1e-6"},
		{1.5e-7, "1.5e-7"},
		{123.456, "123.456"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e308"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
	} {
		if got := jsonFloat(c.f); got != c.want {
			t.Errorf("jsonFloat(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}
