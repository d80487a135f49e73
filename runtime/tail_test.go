package runtime

import (
	"strings"
	"testing"
)

func TestTailKeepsHeadAndEnd(t *testing.T) {
	var tl tail
	tl.Write([]byte("fatal error: out of memory\n"))
	for i := 0; i < 100; i++ {
		tl.Write([]byte(strings.Repeat("x", 100)))
	}
	tl.Write([]byte("the end"))
	s := tl.String()
	if !strings.HasPrefix(s, "fatal error: out of memory") || !strings.HasSuffix(s, "the end") || len(s) > 2*tailSize+10 {
		t.Errorf("got %d bytes starting %q", len(s), s[:40])
	}
}
