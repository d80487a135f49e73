package stdlib

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// text is a string prepared for character-indexed access. Scripts index
// strings by character; most strings are ASCII, where a character index is
// a byte index, so text checks that once and keeps every later lookup O(1)
// for them instead of decoding the string into runes.
type text struct {
	s     string
	ascii bool
	n     int // number of characters
}

func newText(s string) text {
	if isASCII(s) {
		return text{s: s, ascii: true, n: len(s)}
	}
	return text{s: s, n: utf8.RuneCountInString(s)}
}

// isASCII reports whether s holds only ASCII bytes, eight at a time.
func isASCII(s string) bool {
	for len(s) >= 8 {
		lo := uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		hi := uint32(s[4]) | uint32(s[5])<<8 | uint32(s[6])<<16 | uint32(s[7])<<24
		if (lo|hi)&0x80808080 != 0 {
			return false
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// offset returns the byte offset of character i, 0 <= i <= t.n.
func (t text) offset(i int) int {
	if t.ascii || i <= 0 {
		return i
	}
	if i >= t.n {
		return len(t.s)
	}
	for off := range t.s {
		if i == 0 {
			return off
		}
		i--
	}
	return len(t.s)
}

// slice returns characters [from, from+count) (both already in bounds).
func (t text) slice(from, count int) string {
	if t.ascii {
		return t.s[from : from+count]
	}
	start := t.offset(from)
	end := start
	for count > 0 && end < len(t.s) {
		_, w := utf8.DecodeRuneInString(t.s[end:])
		end += w
		count--
	}
	return t.s[start:end]
}

// charIndex converts a byte offset into a character index.
func (t text) charIndex(off int) int {
	if t.ascii {
		return off
	}
	return utf8.RuneCountInString(t.s[:off])
}

// at returns character i (in bounds).
func (t text) at(i int) rune {
	if t.ascii {
		return rune(t.s[i])
	}
	r, _ := utf8.DecodeRuneInString(t.s[t.offset(i):])
	return r
}

// Case mapping with Rust's full Unicode rules: some characters map to
// several ("ß" → "SS"), and a capital sigma at the end of a word becomes
// the final form "ς".

func toUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if m, ok := upperSpecial[r]; ok {
			b.WriteString(m)
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

func toLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == 'Σ':
			if finalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			if m, ok := lowerSpecial[r]; ok {
				b.WriteString(m)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// charUpper is Rust's char::to_uppercase where several characters would
// result, Rhai keeps the character unchanged.
func charUpper(r rune) rune {
	if _, ok := upperSpecial[r]; ok {
		return r
	}
	return unicode.ToUpper(r)
}

func charLower(r rune) rune {
	if _, ok := lowerSpecial[r]; ok {
		return r
	}
	return unicode.ToLower(r)
}

// finalSigma reports whether the 'Σ' at byte i of s ends a word (Unicode's
// Final_Sigma condition): a cased letter precedes it and none follows,
// skipping case-ignorable characters either way.
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, w := utf8.DecodeLastRuneInString(s[:j])
		j -= w
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for _, r := range s[i+len("Σ"):] {
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '·', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019', '\u2024',
		'\u2027', '\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// Splitting with Rust's str::split rules, which differ from Go's for an
// empty pattern: "abc".split("") is ["", "a", "b", "c", ""].

// splitN splits s around pat into at most n pieces (n < 0: no limit).
func splitN(s, pat string, n int) []string {
	if n == 0 {
		return nil
	}
	if pat != "" {
		return strings.SplitN(s, pat, n)
	}
	// An empty pattern matches at every character boundary, both ends included.
	out := []string{""}
	rest := s
	for rest != "" {
		if n > 0 && len(out) >= n-1 {
			break
		}
		_, w := utf8.DecodeRuneInString(rest)
		out = append(out, rest[:w])
		rest = rest[w:]
	}
	if n < 0 || len(out) < n {
		return append(out, rest)
	}
	out[len(out)-1] += rest
	return out
}

// rsplitN splits s around pat from the end into at most n pieces (n < 0:
// no limit), the last piece first, as Rust's rsplitn.
func rsplitN(s, pat string, n int) []string {
	if n == 0 {
		return nil
	}
	var out []string
	rest := s
	if pat == "" {
		out = append(out, "")
		for rest != "" {
			if n > 0 && len(out) >= n-1 {
				break
			}
			_, w := utf8.DecodeLastRuneInString(rest)
			out = append(out, rest[len(rest)-w:])
			rest = rest[:len(rest)-w]
		}
		if n < 0 || len(out) < n {
			return append(out, rest)
		}
		out[len(out)-1] = rest + out[len(out)-1]
		return out
	}
	for n < 0 || len(out) < n-1 {
		i := strings.LastIndex(rest, pat)
		if i < 0 {
			break
		}
		out = append(out, rest[i+len(pat):])
		rest = rest[:i]
	}
	return append(out, rest)
}
