package runtime

import (
	"crypto/rand"
	"sync"
)

// tail keeps the first and the last bytes a guest wrote to stderr: the Go
// runtime's last words ("fatal error: out of memory") come first when an
// instance traps, then a goroutine dump.
type tail struct {
	mu         sync.Mutex
	head, last []byte
	skipped    bool
}

const tailSize = 1024

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if room := tailSize - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	t.last = append(t.last, p...)
	if len(t.last) > tailSize {
		t.last = append(t.last[:0], t.last[len(t.last)-tailSize:]...)
		t.skipped = true
	}
	return n, nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sep := ""
	if t.skipped {
		sep = "\n…\n"
	}
	return string(t.head) + sep + string(t.last)
}

// cryptoRand seeds the guest's Go runtime (map hash seeds) unpredictably.
type cryptoRand struct{}

func (cryptoRand) Read(p []byte) (int, error) { return rand.Read(p) }
