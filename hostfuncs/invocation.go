package hostfuncs

import (
	"context"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// Default per-invocation log caps.
const (
	DefaultMaxLogLines = 1000
	DefaultMaxLogBytes = 256 << 10
)

// Invocation is the state the host functions of one invocation act on. The
// runtime creates it, attaches it to the call's context with WithInvocation and
// reads the log lines back when the call returns. It is used by one goroutine at
// a time.
type Invocation struct {
	App, Script, ID string
	// MaxLogLines and MaxLogBytes cap the log; 0 means DefaultMaxLogLines and
	// DefaultMaxLogBytes.
	MaxLogLines, MaxLogBytes int
	// Deadline is the invocation's wall-time limit and Done its caller's
	// cancellation; time_expired reports either. The zero Deadline and a nil
	// Done never expire.
	Deadline time.Time
	Done     <-chan struct{}
	// Effects is what the kv::, pubsub:: and queue:: functions act on (see
	// effects.go). Nil: they answer StatusUnavailable.
	Effects Effects
	// HTTP sends the http:: functions' requests (an *egress.Client under the
	// app's policy). Nil: they fail with a catchable "blocked" error.
	HTTP HTTPDoer

	fx      effectsState
	killed  atomic.Bool
	lines   []LogLine
	bytes   int
	dropped int
}

// LogLine is one line of an invocation's log.
type LogLine struct {
	Time  time.Time
	Level abi.Level
	Text  string
}

// ExitCodeKilled is the exit code of a guest stopped by Kill.
const ExitCodeKilled = 137

// Kill makes every later host function call of this invocation, including the
// WASI clock that the guest's Go runtime reads during garbage collection,
// abort the guest with a *sys.ExitError of ExitCodeKilled. It is safe to call
// from any goroutine; it is how a guest that ignores its deadline is stopped
// without wazero's WithCloseOnContextDone.
func (inv *Invocation) Kill() { inv.killed.Store(true) }

// expired reports whether the deadline has passed or the caller gave up.
func (inv *Invocation) expired() bool {
	if inv.Done != nil {
		select {
		case <-inv.Done:
			return true
		default:
		}
	}
	return !inv.Deadline.IsZero() && !time.Now().Before(inv.Deadline)
}

// Logs returns the lines logged so far and the number dropped over the caps.
func (inv *Invocation) Logs() (lines []LogLine, dropped int) { return inv.lines, inv.dropped }

// addLog appends a line, truncating it to what is left of the byte cap.
func (inv *Invocation) addLog(level abi.Level, text []byte) abi.Status {
	maxLines, maxBytes := inv.MaxLogLines, inv.MaxLogBytes
	if maxLines <= 0 {
		maxLines = DefaultMaxLogLines
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxLogBytes
	}
	if len(inv.lines) >= maxLines || inv.bytes >= maxBytes {
		inv.dropped++
		return abi.StatusLimit
	}
	if left := maxBytes - inv.bytes; len(text) > left {
		cut := left
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut-- // do not cut a character in half
		}
		text = text[:cut]
		inv.bytes = maxBytes // the cap is reached: later lines are dropped
	} else {
		inv.bytes += len(text)
	}
	inv.lines = append(inv.lines, LogLine{Time: time.Now(), Level: level, Text: strings.ToValidUTF8(string(text), "\uFFFD")})
	return abi.StatusOK
}

type invocationKey struct{}

// WithInvocation returns a context that carries inv to the host functions
// called under it.
func WithInvocation(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// invocationFrom returns the invocation attached to ctx, or nil.
func invocationFrom(ctx context.Context) *Invocation {
	inv, _ := ctx.Value(invocationKey{}).(*Invocation)
	return inv
}
