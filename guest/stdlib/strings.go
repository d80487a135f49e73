package stdlib

import (
	"strings"
	"unicode/utf8"

	"github.com/picloud/picloud/guest/eval"
)

// Strings, after Rhai's packages/string_more.rs. Positions and lengths count
// characters; a negative position counts from the end. Functions that change
// a string (crop, pad, trim…) assign the new string to args[0], which the
// evaluator writes back into the receiver of a method call.

type builtin = eval.Builtin

func registerStrings(l lib) {
	l.method("len", "s", strLen)
	l.method("is_empty", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(a[0].Str() == ""), nil
	})
	l.method("bytes", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Int(int64(len(a[0].Str()))), nil
	})
	l.fn("to_blob", "s", strToBlob)
	l.fn("to_chars", "s", strToChars)
	l.fn("get", "si", strGet)
	l.fn("set", "sic", strSet)
	l.fn("pad", "sic", strPadChar)
	l.fn("pad", "sis", strPadString)

	// Building: += and append add the other value's display text (the
	// evaluator does string + value itself); a blob counts as UTF-8 text.
	for _, name := range []string{"+=", "append"} {
		l.fn(name, "s*", strAppend)
		l.fn(name, "sB", strAppendBlob)
	}
	l.fn("+", "sB", strAppendBlob)
	l.fn("+", "Bs", blobPrependToString)
	l.fn("-=", "ss", strMinus)
	l.fn("-=", "sc", strMinus)
	l.fn("remove", "ss", strMinus)
	l.fn("remove", "sc", strMinus)

	l.fn("clear", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		a[0] = eval.Str("")
		return eval.Value{}, nil
	})
	l.fn("truncate", "si", strTruncate)
	l.fn("trim", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s := a[0].Str()
		if err := scan(c, len(s)); err != nil {
			return eval.Value{}, err
		}
		a[0] = eval.Str(strings.TrimSpace(s))
		return eval.Value{}, nil
	})
	l.fn("pop", "s", strPop)
	l.fn("pop", "si", strPopN)

	l.fn("to_upper", "s", strCase(toUpper, false))
	l.fn("to_lower", "s", strCase(toLower, false))
	l.fn("make_upper", "s", strCase(toUpper, true))
	l.fn("make_lower", "s", strCase(toLower, true))

	l.fn("contains", "ss", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s := a[0].Str()
		return eval.Bool(strings.Contains(s, a[1].Str())), scan(c, len(s))
	})
	l.fn("contains", "sc", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s := a[0].Str()
		return eval.Bool(strings.ContainsRune(s, a[1].Char())), scan(c, len(s))
	})
	l.fn("starts_with", "ss", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(strings.HasPrefix(a[0].Str(), a[1].Str())), nil
	})
	l.fn("ends_with", "ss", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return eval.Bool(strings.HasSuffix(a[0].Str(), a[1].Str())), nil
	})

	l.fn("index_of", "sc", strIndexOf)
	l.fn("index_of", "ss", strIndexOf)
	l.fn("index_of", "sci", strIndexOf)
	l.fn("index_of", "ssi", strIndexOf)

	l.fn("sub_string", "sii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return subString(c, a[0].Str(), a[1].Int(), a[2].Int())
	})
	l.fn("sub_string", "si", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return subString(c, a[0].Str(), a[1].Int(), maxInt)
	})
	l.fn("sub_string", "sr", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return subString(c, a[0].Str(), start, n)
	})
	l.fn("crop", "sii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return crop(c, a, a[1].Int(), a[2].Int())
	})
	l.fn("crop", "si", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return crop(c, a, a[1].Int(), maxInt)
	})
	l.fn("crop", "sr", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		start, n := span(a[1].Range())
		return crop(c, a, start, n)
	})

	l.fn("replace", "sss", strReplace)
	l.fn("replace", "ssc", strReplace)
	l.fn("replace", "scs", strReplace)
	l.fn("replace", "scc", strReplace)

	l.fn("split", "s", strSplitWhitespace)
	l.fn("split", "si", strSplitAt)
	l.fn("split", "ss", strSplit(false))
	l.fn("split", "sc", strSplit(false))
	l.fn("split", "ssi", strSplit(false))
	l.fn("split", "sci", strSplit(false))
	l.fn("split_rev", "ss", strSplit(true))
	l.fn("split_rev", "sc", strSplit(true))
	l.fn("split_rev", "ssi", strSplit(true))
	l.fn("split_rev", "sci", strSplit(true))

	// chars(): an iterator over the characters.
	l.method("chars", "s", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return chars(c, a[0].Str(), 0, maxInt)
	})
	l.fn("chars", "si", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return chars(c, a[0].Str(), a[1].Int(), maxInt)
	})
	l.fn("chars", "sii", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		return chars(c, a[0].Str(), a[1].Int(), a[2].Int())
	})
	l.fn("chars", "sr", func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		r := a[1].Range()
		from := max(r.Start, 0)
		if r.Inclusive {
			// Rhai: to = min(max(end, from - 1), MAX - 1), count = to - from + 1.
			to := min(max(r.End, from-1), maxInt-1)
			return chars(c, a[0].Str(), from, to-from+1)
		}
		to := max(r.End, from)
		return chars(c, a[0].Str(), from, to-from)
	})
}

const maxInt = 1<<63 - 1

// str returns s as a new string value after accounting for it.
func str(c *eval.Call, s string) (eval.Value, error) {
	if err := newString(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	return eval.Str(s), nil
}

func strLen(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	return eval.Int(int64(newText(s).n)), nil
}

func strToBlob(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	if err := growBlob(c, len(s), len(s)); err != nil {
		return eval.Value{}, err
	}
	return eval.NewBlob([]byte(s)), nil
}

func strToChars(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	n := newText(s).n
	if err := newArray(c, n); err != nil {
		return eval.Value{}, err
	}
	out := make([]eval.Value, 0, n)
	for _, r := range s {
		out = append(out, eval.Char(r))
	}
	return eval.NewArray(out), nil
}

// chars returns an iterator over count characters of s from position from
// (negative counts from the end), as Rhai's CharsStream yields them.
func chars(c *eval.Call, s string, from, count int64) (eval.Value, error) {
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	var start int
	switch {
	case count <= 0 || from >= int64(t.n):
		start, count = 0, 0
	case from >= 0:
		start = int(from)
	case -(from + 1) >= int64(t.n):
		start = 0
	default:
		start = t.n + int(from)
	}
	rest := s[t.offset(start):]
	n := min(count, int64(t.n-start))
	return eval.NewIter(&eval.Iter{Start: func() func() (eval.Value, bool) {
		tail, left := rest, n
		return func() (eval.Value, bool) {
			if left <= 0 || tail == "" {
				return eval.Value{}, false
			}
			r, w := utf8.DecodeRuneInString(tail)
			tail, left = tail[w:], left-1
			return eval.Char(r), true
		}
	}}), nil
}

func strGet(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, i := a[0].Str(), a[1].Int()
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	if i < 0 {
		i += int64(t.n)
		if i < 0 {
			return eval.Value{}, nil
		}
	}
	if i >= int64(t.n) {
		return eval.Value{}, nil
	}
	return eval.Char(t.at(int(i))), nil
}

func strSet(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, i, ch := a[0].Str(), a[1].Int(), a[2].Char()
	t := newText(s)
	if i < 0 {
		i += int64(t.n)
	}
	if i < 0 || i >= int64(t.n) {
		return eval.Value{}, nil
	}
	off := t.offset(int(i))
	_, w := utf8.DecodeRuneInString(s[off:])
	ns := s[:off] + string(ch) + s[off+w:]
	if err := newString(c, len(ns)); err != nil {
		return eval.Value{}, err
	}
	a[0] = eval.Str(ns)
	return eval.Value{}, nil
}

// strPadChar pads with a character to at least n characters.
func strPadChar(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, n, ch := a[0].Str(), a[1].Int(), a[2].Char()
	if n <= 0 {
		return eval.Value{}, nil
	}
	have := int64(newText(s).n)
	if n <= have {
		return eval.Value{}, nil
	}
	add := n - have
	w := int64(utf8.RuneLen(ch))
	if w < 0 {
		w = 3 // an invalid rune encodes as U+FFFD
	}
	if add > maxAlloc/w || int64(len(s))+add*w > maxAlloc {
		return eval.Value{}, tooLarge(c, "Length of string")
	}
	total := len(s) + int(add*w)
	if err := newString(c, total); err != nil {
		return eval.Value{}, err
	}
	var b strings.Builder
	b.Grow(total)
	b.WriteString(s)
	for ; add > 0; add-- {
		b.WriteRune(ch)
	}
	a[0] = eval.Str(b.String())
	return eval.Value{}, nil
}

// strPadString pads with copies of a string to at least n characters; the
// last copy is cut short to fit.
func strPadString(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, n, pad := a[0].Str(), a[1].Int(), a[2].Str()
	if n <= 0 || pad == "" {
		return eval.Value{}, nil
	}
	have := int64(newText(s).n)
	if n <= have {
		return eval.Value{}, nil
	}
	pt := newText(pad)
	add := n - have
	full, part := add/int64(pt.n), int(add%int64(pt.n))
	partBytes := pt.offset(part)
	if full > maxAlloc/int64(len(pad)) || int64(len(s))+full*int64(len(pad))+int64(partBytes) > maxAlloc {
		return eval.Value{}, tooLarge(c, "Length of string")
	}
	total := len(s) + int(full)*len(pad) + partBytes
	if err := newString(c, total); err != nil {
		return eval.Value{}, err
	}
	var b strings.Builder
	b.Grow(total)
	b.WriteString(s)
	for ; full > 0; full-- {
		b.WriteString(pad)
	}
	b.WriteString(pad[:partBytes])
	a[0] = eval.Str(b.String())
	return eval.Value{}, nil
}

func concat(c *eval.Call, x, y string) (eval.Value, error) {
	if y == "" {
		return eval.Str(x), nil
	}
	if x == "" {
		return eval.Str(y), nil
	}
	if err := newString(c, len(x)+len(y)); err != nil {
		return eval.Value{}, err
	}
	return eval.Str(x + y), nil
}

// strAppend is string += value and append(value): the value's display text
// is appended.
func strAppend(c *eval.Call, a []eval.Value) (eval.Value, error) {
	v, err := display(c, a[1])
	if err != nil {
		return eval.Value{}, err
	}
	r, err := concat(c, a[0].Str(), v)
	if err != nil {
		return eval.Value{}, err
	}
	a[0] = r
	return eval.Value{}, nil
}

// strAppendBlob appends a blob's bytes read as UTF-8 text.
func strAppendBlob(c *eval.Call, a []eval.Value) (eval.Value, error) {
	r, err := concat(c, a[0].Str(), utf8Lossy(a[1].Blob().B))
	if err == nil && c.Name() != "+" {
		a[0] = r
		return eval.Value{}, nil
	}
	return r, err
}

func blobPrependToString(c *eval.Call, a []eval.Value) (eval.Value, error) {
	return concat(c, utf8Lossy(a[0].Blob().B), a[1].Str())
}

// utf8Lossy decodes b as UTF-8, replacing invalid sequences by U+FFFD as
// Rust's String::from_utf8_lossy does.
func utf8Lossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// display is the text of v as to_string gives it.
func display(c *eval.Call, v eval.Value) (string, error) {
	switch v.Kind() {
	case eval.StringKind:
		return v.Str(), nil
	case eval.UnitKind:
		return "", nil
	case eval.ArrayKind, eval.MapKind, eval.BlobKind:
		if err := c.Charge(v.Size() / bytesPerFuel); err != nil {
			return "", err
		}
	}
	return v.String(), nil
}

// strMinus removes every occurrence of a string or character: string -= x
// and remove(x) (the evaluator does string - x itself).
func strMinus(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	var pat string
	if a[1].Kind() == eval.CharKind {
		pat = string(a[1].Char())
	} else {
		pat = a[1].Str()
	}
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	if pat != "" && s != "" {
		a[0] = eval.Str(strings.ReplaceAll(s, pat, ""))
	}
	return eval.Value{}, nil
}

func strTruncate(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, n := a[0].Str(), a[1].Int()
	if n <= 0 {
		a[0] = eval.Str("")
		return eval.Value{}, nil
	}
	if n >= int64(len(s)) {
		return eval.Value{}, nil
	}
	if err := scan(c, int(n)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	if n < int64(t.n) {
		a[0] = eval.Str(s[:t.offset(int(n))])
	}
	return eval.Value{}, nil
}

func strPop(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	if s == "" {
		return eval.Value{}, nil
	}
	r, w := utf8.DecodeLastRuneInString(s)
	a[0] = eval.Str(s[:len(s)-w])
	return eval.Char(r), nil
}

func strPopN(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, n := a[0].Str(), a[1].Int()
	if s == "" || n <= 0 {
		return eval.Str(""), nil
	}
	cut := len(s)
	for ; n > 0 && cut > 0; n-- {
		_, w := utf8.DecodeLastRuneInString(s[:cut])
		cut -= w
	}
	if err := scan(c, len(s)-cut); err != nil {
		return eval.Value{}, err
	}
	a[0] = eval.Str(s[:cut])
	return eval.Str(s[cut:]), nil
}

func strCase(conv func(string) string, inPlace bool) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s := a[0].Str()
		if err := newString(c, len(s)); err != nil {
			return eval.Value{}, err
		}
		r := conv(s)
		if len(r) > len(s) {
			if err := newString(c, len(r)-len(s)); err != nil {
				return eval.Value{}, err
			}
		}
		if inPlace {
			a[0] = eval.Str(r)
			return eval.Value{}, nil
		}
		return eval.Str(r), nil
	}
}

// patternOf returns a string or char argument as a string.
func patternOf(v eval.Value) string {
	if v.Kind() == eval.CharKind {
		return string(v.Char())
	}
	return v.Str()
}

// strIndexOf finds a string or character, optionally from a start position,
// and returns its character position or -1.
func strIndexOf(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, pat := a[0].Str(), patternOf(a[1])
	if s == "" {
		return eval.Int(-1), nil
	}
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	from := 0
	if len(a) == 3 {
		start := a[2].Int()
		switch {
		case start < 0:
			if -(start + 1) < int64(t.n) {
				from = t.offset(t.n + int(start))
			}
		case start >= int64(t.n):
			return eval.Int(-1), nil
		default:
			from = t.offset(int(start))
		}
	}
	i := strings.Index(s[from:], pat)
	if i < 0 {
		return eval.Int(-1), nil
	}
	return eval.Int(int64(t.charIndex(from + i))), nil
}

// subString copies count characters from start (see offsetLen).
func subString(c *eval.Call, s string, start, count int64) (eval.Value, error) {
	if s == "" || count <= 0 {
		return eval.Str(""), nil
	}
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	from, n := offsetLen(t.n, start, count)
	if n == 0 {
		return eval.Str(""), nil
	}
	return str(c, t.slice(from, n))
}

// crop keeps count characters from start of the receiver a[0].
func crop(c *eval.Call, a []eval.Value, start, count int64) (eval.Value, error) {
	s := a[0].Str()
	if s == "" {
		return eval.Value{}, nil
	}
	if count <= 0 {
		a[0] = eval.Str("")
		return eval.Value{}, nil
	}
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	from, n := offsetLen(t.n, start, count)
	a[0] = eval.Str(t.slice(from, n))
	return eval.Value{}, nil
}

func strReplace(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	if s == "" {
		return eval.Value{}, nil
	}
	find, sub := patternOf(a[1]), patternOf(a[2])
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	// Bound the result before building it: every match may grow the string.
	matches := 0
	if find == "" {
		matches = newText(s).n + 1
	} else if len(sub) > len(find) {
		matches = strings.Count(s, find)
	}
	if grow := int64(matches) * int64(len(sub)-len(find)); grow > 0 {
		if int64(len(s))+grow > maxAlloc {
			return eval.Value{}, tooLarge(c, "Length of string")
		}
		if err := newString(c, len(s)+int(grow)); err != nil {
			return eval.Value{}, err
		}
	}
	a[0] = eval.Str(strings.ReplaceAll(s, find, sub))
	return eval.Value{}, nil
}

// strings returns parts as an array of string values.
func stringArray(c *eval.Call, parts []string) (eval.Value, error) {
	if err := newArray(c, len(parts)); err != nil {
		return eval.Value{}, err
	}
	out := make([]eval.Value, len(parts))
	for i, p := range parts {
		out[i] = eval.Str(p)
	}
	return eval.NewArray(out), nil
}

func strSplitWhitespace(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s := a[0].Str()
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	return stringArray(c, strings.Fields(s))
}

// strSplitAt cuts the string in two at a character position.
func strSplitAt(c *eval.Call, a []eval.Value) (eval.Value, error) {
	s, i := a[0].Str(), a[1].Int()
	if err := scan(c, len(s)); err != nil {
		return eval.Value{}, err
	}
	t := newText(s)
	var cut int
	switch {
	case i <= 0: // Rhai counts 0 and below from the end
		if -(i + 1) >= int64(t.n) {
			cut = 0
		} else {
			cut = t.offset(t.n + int(i))
		}
	case i >= int64(t.n):
		cut = len(s)
	default:
		cut = t.offset(int(i))
	}
	return stringArray(c, []string{s[:cut], s[cut:]})
}

// strSplit splits by a string or character delimiter, optionally into at
// most n segments (fewer than 1 means one), from the end when rev is set.
func strSplit(rev bool) builtin {
	return func(c *eval.Call, a []eval.Value) (eval.Value, error) {
		s, pat := a[0].Str(), patternOf(a[1])
		if err := scan(c, len(s)); err != nil {
			return eval.Value{}, err
		}
		n := -1
		if len(a) == 3 {
			switch k := a[2].Int(); {
			case k < 1:
				n = 1
			case k < int64(len(s))+2:
				n = int(k)
			}
		}
		// Bound the number of pieces before splitting.
		pieces := len(s) + 2
		if pat != "" {
			pieces = strings.Count(s, pat) + 1
		}
		if n > 0 {
			pieces = min(pieces, n)
		}
		if err := growArray(c, pieces, 0); err != nil {
			return eval.Value{}, err
		}
		if rev {
			return stringArray(c, rsplitN(s, pat, n))
		}
		return stringArray(c, splitN(s, pat, n))
	}
}
