// Package topic owns PiCloud's pub/sub topic names and trigger patterns: what is a
// valid topic, what is a valid pattern, and which topics a pattern matches.
//
// A topic is one or more dot-separated segments of [a-z0-9_-], 1–255 bytes in all.
// A pattern is one of:
//
//   - an exact topic ("orders.created");
//   - a prefix pattern "<prefix>.*", matching every topic that starts with
//     "<prefix>." at any depth ("orders.*" matches "orders.created" and
//     "orders.eu.created", not "orders");
//   - "*", matching every topic.
//
// Any other use of "*" is rejected. This package is the one place these rules
// live: the API validates with it, the publish path matches with it (through
// [Prefixes], which turns the match into index lookups), and the dashboard asks
// the API.
package topic

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxLen is the longest topic or pattern, in bytes.
const MaxLen = 255

// Error says why a topic or pattern is invalid and where.
type Error struct {
	Input  string // the rejected topic or pattern
	Offset int    // byte offset of the offending character, 0-based
	Reason string // what is wrong, for people
	what   string // "topic" or "pattern"
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s %q at byte %d: %s", e.what, e.Input, e.Offset, e.Reason)
}

// Validate reports whether s is a valid topic to publish to.
func Validate(s string) error {
	return validate(s, "topic", false)
}

// Pattern is a parsed trigger pattern. The zero value matches nothing.
type Pattern struct {
	raw    string
	prefix string // "orders." for "orders.*"; "" otherwise
	all    bool
}

// ParsePattern parses and validates a trigger pattern.
func ParsePattern(s string) (Pattern, error) {
	switch {
	case s == "*":
		return Pattern{raw: s, all: true}, nil
	case strings.HasSuffix(s, ".*"):
		body := s[:len(s)-2]
		if strings.HasSuffix(body, ".") {
			return Pattern{}, &Error{Input: s, Offset: len(body) - 1, Reason: `empty segment before ".*"`, what: "pattern"}
		}
		if err := validate(body, "pattern", true); err != nil {
			e := err.(*Error)
			e.Input = s
			return Pattern{}, e
		}
		return Pattern{raw: s, prefix: body + "."}, nil
	default:
		if err := validate(s, "pattern", true); err != nil {
			return Pattern{}, err
		}
		return Pattern{raw: s}, nil
	}
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.raw }

// Prefix returns "<prefix>." for a prefix pattern and "" for the others. The
// store keeps it in an indexed column so that publishing stays an index lookup.
func (p Pattern) Prefix() string { return p.prefix }

// All reports whether the pattern is "*".
func (p Pattern) All() bool { return p.all }

// Match reports whether the pattern matches the (valid) topic t.
func (p Pattern) Match(t string) bool {
	switch {
	case p.all:
		return true
	case p.prefix != "":
		return len(t) > len(p.prefix) && strings.HasPrefix(t, p.prefix)
	default:
		return p.raw != "" && p.raw == t
	}
}

// Prefixes returns the Prefix values of every prefix pattern that matches the
// topic t: for "a.b.c" they are "a." and "a.b.". A publish to t matches the
// triggers whose pattern is t, "*", or whose prefix is one of these.
func Prefixes(t string) []string {
	var out []string
	for i := 0; i < len(t); i++ {
		if t[i] == '.' {
			out = append(out, t[:i+1])
		}
	}
	return out
}

func validate(s, what string, inPattern bool) error {
	fail := func(off int, reason string) error {
		return &Error{Input: s, Offset: off, Reason: reason, what: what}
	}
	if s == "" {
		return fail(0, "must not be empty")
	}
	if len(s) > MaxLen {
		return fail(MaxLen, fmt.Sprintf("longer than %d bytes", MaxLen))
	}
	segStart := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.':
			if i == segStart {
				return fail(i, "empty segment (two dots in a row, or a leading dot)")
			}
			segStart = i + 1
		case c == '*':
			if !inPattern {
				return fail(i, `"*" is only allowed in trigger patterns`)
			}
			return fail(i, `"*" may only be the whole pattern ("*") or its last segment after a dot ("orders.*")`)
		case c >= 'A' && c <= 'Z':
			return fail(i, fmt.Sprintf("upper-case %q: topics are lower-case [a-z0-9_-] segments", c))
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return fail(i, fmt.Sprintf("character %q not allowed: segments are [a-z0-9_-]", r))
		}
	}
	if segStart == len(s) {
		return fail(len(s)-1, "ends with a dot")
	}
	return nil
}
