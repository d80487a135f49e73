package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/picloud/picloud/hostfuncs"
)

// Request is one invocation of one script version.
type Request struct {
	App    string // the tenant; instances are never shared between apps
	Script string // the script's name, used in error positions
	// Version identifies Source (e.g. its hash). Instances cache the compiled
	// program by Version, so the same Version must always come with the same
	// Source. Empty disables the cache.
	Version      string
	Source       string
	InvocationID string
	// Event is ctx.event as JSON; empty means ().
	Event json.RawMessage
	// Env is ctx.env, the app's configured variables.
	Env    map[string]string
	Limits Limits
	// Display asks for Result.Display (picloud eval prints it).
	Display bool
	// Effects stages what the script's kv::, pubsub:: and queue:: calls do
	// (an *effects.Stage); the caller commits it when the outcome is ok.
	// Nil: those calls fail with a catchable "not available" error.
	Effects hostfuncs.Effects
	// HTTP sends the script's http:: requests (an *egress.Client under the
	// app's policy; its Records are the invocation's outbound requests).
	// Nil: they fail with a catchable "blocked" error.
	HTTP hostfuncs.HTTPDoer
}

// Limits are one invocation's limits. Zero fields take the documented default.
type Limits struct {
	// Fuel is the interpreter's step budget. Default DefaultFuel.
	Fuel int64
	// Memory caps the instance's linear memory in bytes (rounded up to whole
	// MiB, at least MinMemory). The hard cap catches what the interpreter's
	// accounting misses, at the price of the instance. Default DefaultMemory.
	Memory int64
	// MaxMemory is what the script may allocate as the interpreter accounts
	// it; over it the script stops cleanly with memory_exceeded and the
	// instance is kept. Default, and at most, a quarter of Memory: the Go heap
	// in the guest needs room to collect garbage.
	MaxMemory int64
	// Timeout is the wall-time limit. Default DefaultTimeout. The caller's
	// context deadline, if earlier, applies too.
	Timeout time.Duration
	// MaxCallDepth limits nested function calls (default 64); MaxStringLen,
	// MaxArrayLen and MaxMapLen the size of one value (default: unlimited, the
	// memory limit applies).
	MaxCallDepth, MaxStringLen, MaxArrayLen, MaxMapLen int
	// MaxLogLines and MaxLogBytes cap the invocation's log. Defaults
	// hostfuncs.DefaultMaxLogLines and hostfuncs.DefaultMaxLogBytes.
	MaxLogLines, MaxLogBytes int
	// Concurrency is the app's cap on concurrent invocations, the size of its
	// instance pool; callers beyond it wait. Default DefaultConcurrency.
	Concurrency int
}

// Defaults for zero Limits fields.
const (
	DefaultFuel        = 10_000_000
	DefaultMemory      = 64 << 20
	MinMemory          = 16 << 20
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 4
)

func (l Limits) withDefaults() Limits {
	if l.Fuel <= 0 {
		l.Fuel = DefaultFuel
	}
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	l.Memory = max(MinMemory, (l.Memory+1<<20-1)&^(1<<20-1))
	if l.MaxMemory <= 0 || l.MaxMemory > l.Memory/4 {
		l.MaxMemory = l.Memory / 4
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.Concurrency <= 0 {
		l.Concurrency = DefaultConcurrency
	}
	return l
}

// pages is the hard cap in 64 KiB wasm pages.
func (l Limits) pages() uint32 { return uint32(l.Memory >> 16) }

// Outcome is how an invocation ended.
type Outcome string

// The outcomes, as recorded for every invocation.
const (
	OutcomeOK             Outcome = "ok"
	OutcomeError          Outcome = "error"
	OutcomeFuelExhausted  Outcome = "fuel_exhausted"
	OutcomeMemoryExceeded Outcome = "memory_exceeded"
	OutcomeTimeout        Outcome = "timeout"
)

// LogLine is one line of an invocation's log (print, debug, log::info …).
type LogLine = hostfuncs.LogLine

// Result is what an invocation produced. Invoke fills it whether or not the
// script failed.
type Result struct {
	Outcome Outcome
	// Value is the script's result as JSON (Outcome ok only), Type its
	// type_of name, and Display the value as print shows it, when
	// Request.Display asked for it.
	Value         json.RawMessage
	Type, Display string
	Logs          []LogLine
	// LogsDropped counts lines over Limits.MaxLogLines or MaxLogBytes.
	LogsDropped int
	// Fuel is the number of interpreter steps used.
	Fuel int64
	// PeakMemory is the interpreter's accounted peak, in bytes.
	PeakMemory int64
	// Duration is the time spent running, queueing for an instance excluded.
	Duration time.Duration
	// Error is the script's error with its position, when Outcome is not ok
	// and the guest reported one.
	Error *ScriptError
}

// Errors returned by Invoke (wrapped: test with errors.Is).
var (
	// ErrFuelExhausted: the script used its whole fuel budget.
	ErrFuelExhausted = errors.New("runtime: fuel exhausted")
	// ErrMemoryLimit: the script went over its memory limit, or a value over
	// its size limit.
	ErrMemoryLimit = errors.New("runtime: memory limit exceeded")
	// ErrTimeout: the script ran past its wall-time limit or the caller's
	// deadline. errors.Is(ErrTimeout, context.DeadlineExceeded) holds.
	ErrTimeout = fmt.Errorf("runtime: wall-time limit exceeded: %w", context.DeadlineExceeded)
	// ErrClosed: the Host is closed.
	ErrClosed = errors.New("runtime: host closed")
)

// ScriptError is a script's compile or run error as the guest reported it.
// errors.Is matches ErrFuelExhausted, ErrMemoryLimit or ErrTimeout when the
// error is a limit's.
type ScriptError struct {
	// Kind is Rhai's error variant, e.g. "ErrorRuntime", "ErrorParsing",
	// "ErrorStackOverflow" (call depth), "ErrorTooManyOperations" (fuel).
	Kind    string
	Message string
	// Line and Col are 1-based; 0 when unknown.
	Line, Col int
	// ParseKind is a parse error's variant (UnexpectedEOF, MissingToken …).
	ParseKind string
	// Text is the full rendering: "script:line:col: message", the source line
	// and caret for parse errors, the call stack for runtime errors.
	Text  string
	limit error
}

func (e *ScriptError) Error() string {
	if e.Text != "" {
		return e.Text
	}
	return e.Message
}

// Unwrap returns the limit error this error reports, if any.
func (e *ScriptError) Unwrap() error { return e.limit }
