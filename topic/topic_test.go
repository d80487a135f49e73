package topic

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int // -1: valid
	}{
		{"orders", -1},
		{"orders.created", -1},
		{"a-b_c.0.9", -1},
		{strings.Repeat("a", 255), -1},
		{strings.Repeat("a", 256), 255},
		{"", 0},
		{".orders", 0},
		{"orders.", 6},
		{"orders..created", 7},
		{"Orders", 0},
		{"orders created", 6},
		{"orders.*", 7},
		{"ordérs", 3},
	} {
		err := Validate(tc.in)
		if tc.offset < 0 {
			if err != nil {
				t.Errorf("Validate(%q) = %v, want nil", tc.in, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("Validate(%q) = %v, want *Error", tc.in, err)
			continue
		}
		if e.Offset != tc.offset {
			t.Errorf("Validate(%q) offset = %d, want %d (%v)", tc.in, e.Offset, tc.offset, e)
		}
	}
}

func TestParsePatternRejects(t *testing.T) {
	for _, tc := range []struct {
		in, reason string
	}{
		{"orders*", `"*" may only be`},
		{"*.created", `"*" may only be`},
		{"orders.*.created", `"*" may only be`},
		{"or*ders.x", `"*" may only be`},
		{"**", `"*" may only be`},
		{".*", "must not be empty"},
		{"orders..*", "empty segment"},
		{"", "must not be empty"},
		{"Orders.*", "upper-case"},
	} {
		_, err := ParsePattern(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("ParsePattern(%q) = %v, want an error containing %q", tc.in, err, tc.reason)
		}
		if e, ok := err.(*Error); ok && e.Input != tc.in {
			t.Errorf("ParsePattern(%q) error names input %q", tc.in, e.Input)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, topic string
		want           bool
	}{
		{"orders.created", "orders.created", true},
		{"orders.created", "orders.created.eu", false},
		{"orders.created", "orders", false},
		{"orders.*", "orders.created", true},
		{"orders.*", "orders.eu.created", true},
		{"orders.*", "orders", false},
		{"orders.*", "ordersx.created", false},
		{"orders.eu.*", "orders.eu.x", true},
		{"orders.eu.*", "orders.us.x", false},
		{"*", "anything", true},
		{"*", "a.b.c", true},
	} {
		p, err := ParsePattern(tc.pattern)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", tc.pattern, err)
		}
		if got := p.Match(tc.topic); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.topic, got, tc.want)
		}
	}
	if (Pattern{}).Match("a") {
		t.Error("the zero Pattern matched a topic")
	}
}

// reference matches by segments, independently of the byte-level matcher.
func reference(pattern, topic string) bool {
	if pattern == "*" {
		return true
	}
	ps, ts := strings.Split(pattern, "."), strings.Split(topic, ".")
	if ps[len(ps)-1] == "*" {
		ps = ps[:len(ps)-1]
		if len(ts) <= len(ps) {
			return false
		}
		ts = ts[:len(ps)]
	} else if len(ps) != len(ts) {
		return false
	}
	for i := range ps {
		if ps[i] != ts[i] {
			return false
		}
	}
	return true
}

func randomTopic(r *rand.Rand) string {
	segs := make([]string, 1+r.IntN(4))
	for i := range segs {
		segs[i] = []string{"a", "b", "ab", "a-b", "a_b", "0"}[r.IntN(6)]
	}
	return strings.Join(segs, ".")
}

// TestMatchProperty checks Match, and the Prefixes-based lookup the store uses,
// against the segment-wise reference on random patterns and topics.
func TestMatchProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		topic := randomTopic(r)
		var pattern string
		switch r.IntN(3) {
		case 0:
			pattern = "*"
		case 1:
			pattern = randomTopic(r) + ".*"
		default:
			pattern = randomTopic(r)
		}
		p, err := ParsePattern(pattern)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", pattern, err)
		}
		want := reference(pattern, topic)
		if got := p.Match(topic); got != want {
			t.Fatalf("%q.Match(%q) = %v, want %v", pattern, topic, got, want)
		}
		lookup := p.All() || p.String() == topic
		for _, pre := range Prefixes(topic) {
			lookup = lookup || (p.Prefix() != "" && p.Prefix() == pre)
		}
		if lookup != want {
			t.Fatalf("Prefixes lookup of %q for %q = %v, want %v", pattern, topic, lookup, want)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"*", "a.*", "a.b", "a*", "..", "a.b.*"} {
		f.Add(s, "a.b.c")
	}
	f.Fuzz(func(t *testing.T, pattern, topic string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		if Validate(topic) != nil {
			return
		}
		if got, want := p.Match(topic), reference(pattern, topic); got != want {
			t.Fatalf("%q.Match(%q) = %v, want %v", pattern, topic, got, want)
		}
	})
}
