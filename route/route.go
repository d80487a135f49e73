// Package route owns HTTP trigger routes: the path patterns scripts are bound to
// ("/users/:id", "/files/*rest"), their validation, and the table the public
// ingress looks requests up in.
//
// Paths are relative to the app's prefix: the trigger "GET /users/:id" of app
// "shop" answers "GET /shop/users/42". A ":name" segment matches one non-empty
// path segment; a "*name" segment, allowed only last, matches the rest of the
// path (possibly empty). When several routes match, the most specific wins:
// comparing segment by segment, a literal beats a parameter, a parameter beats
// a catch-all, and a pattern that ends beats one that goes on; on equal paths a
// route for the exact method beats one for ANY.
package route

import (
	"fmt"
	"slices"
	"strings"
)

// Methods are the HTTP methods a trigger may name; ANY matches all of them.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

// MaxLen is the longest pattern, in bytes.
const MaxLen = 1024

type segKind uint8

// The order is the specificity order: lower is more specific.
const (
	segEnd segKind = iota // the pattern ended here
	segLiteral
	segParam
	segRest
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter's name
}

// Pattern is a parsed path pattern.
type Pattern struct {
	raw  string
	segs []segment
}

// Error says why a method or path pattern is invalid.
type Error struct {
	Input  string
	Offset int // byte offset into Input
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid path pattern %q at byte %d: %s", e.Input, e.Offset, e.Reason)
}

// ParseMethod validates an HTTP method (case-insensitive) and returns it in
// upper case.
func ParseMethod(m string) (string, error) {
	up := strings.ToUpper(m)
	if !slices.Contains(Methods, up) {
		return "", fmt.Errorf("invalid method %q: want one of %s", m, strings.Join(Methods, ", "))
	}
	return up, nil
}

// Parse validates a path pattern.
func Parse(s string) (Pattern, error) {
	fail := func(off int, reason string) (Pattern, error) {
		return Pattern{}, &Error{Input: s, Offset: off, Reason: reason}
	}
	if !strings.HasPrefix(s, "/") {
		return fail(0, `must start with "/"`)
	}
	if len(s) > MaxLen {
		return fail(MaxLen, fmt.Sprintf("longer than %d bytes", MaxLen))
	}
	p := Pattern{raw: s}
	if s == "/" {
		return p, nil
	}
	seen := map[string]bool{}
	off := 1
	parts := strings.Split(s[1:], "/")
	for i, part := range parts {
		last := i == len(parts)-1
		switch {
		case part == "" && last:
			// A trailing slash is allowed and ignored: "/a/" is "/a".
		case part == "":
			return fail(off, "empty segment (two slashes in a row)")
		case part[0] == ':' || part[0] == '*':
			name := part[1:]
			if !isName(name) {
				return fail(off, fmt.Sprintf("parameter name %q must match [A-Za-z_][A-Za-z0-9_]*", name))
			}
			if seen[name] {
				return fail(off, fmt.Sprintf("parameter %q appears twice", name))
			}
			seen[name] = true
			kind := segParam
			if part[0] == '*' {
				if !last {
					return fail(off, fmt.Sprintf("catch-all %q must be the last segment", part))
				}
				kind = segRest
			}
			p.segs = append(p.segs, segment{kind: kind, text: name})
		default:
			for j := 0; j < len(part); j++ {
				if !isLiteralByte(part[j]) {
					return fail(off+j, fmt.Sprintf("character %q not allowed in a path segment", part[j]))
				}
			}
			p.segs = append(p.segs, segment{kind: segLiteral, text: part})
		}
		off += len(part) + 1
	}
	return p, nil
}

// MustParse is Parse for patterns known to be valid; it panics otherwise.
func MustParse(s string) Pattern {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.raw }

// Key is the pattern with parameter names erased ("/users/:", "/files/*"): two
// routes of one app with the same method and Key would shadow each other, so
// the store keeps (app, method, key) unique.
func (p Pattern) Key() string {
	var b strings.Builder
	for _, s := range p.segs {
		b.WriteByte('/')
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segParam:
			b.WriteByte(':')
		case segRest:
			b.WriteByte('*')
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// Match matches a request path (relative to the app prefix, starting with "/")
// and returns the parameters it binds.
func (p Pattern) Match(path string) (map[string]string, bool) {
	var params map[string]string
	bind := func(k, v string) {
		if params == nil {
			params = make(map[string]string, len(p.segs))
		}
		params[k] = v
	}
	rest := strings.TrimPrefix(path, "/")
	for _, s := range p.segs {
		if s.kind == segRest {
			bind(s.text, rest)
			return orEmpty(params), true
		}
		if rest == "" {
			return nil, false
		}
		seg, tail, _ := strings.Cut(rest, "/")
		switch s.kind {
		case segLiteral:
			if seg != s.text {
				return nil, false
			}
		case segParam:
			if seg == "" {
				return nil, false
			}
			bind(s.text, seg)
		}
		rest = tail
	}
	if rest != "" {
		return nil, false
	}
	return orEmpty(params), true
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// compare orders patterns from most to least specific.
func compare(a, b Pattern) int {
	for i := 0; ; i++ {
		ka, kb := kindAt(a, i), kindAt(b, i)
		if ka != kb {
			return int(ka) - int(kb)
		}
		if ka == segEnd || ka == segRest {
			return 0
		}
	}
}

func kindAt(p Pattern, i int) segKind {
	if i < len(p.segs) {
		return p.segs[i].kind
	}
	return segEnd
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isLiteralByte allows RFC 3986 unreserved characters, sub-delims other than
// those with a meaning here, '@', and percent-encoding.
func isLiteralByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()+,;=@%", c) >= 0
}
