package eval

import (
	"fmt"
	"strings"

	"github.com/picloud/picloud/guest/syntax"
)

// Pos is a 1-based source position (line, column); the zero Pos means unknown.
type Pos = syntax.Pos

// ErrorKind names a runtime error after Rhai's EvalAltResult variant.
type ErrorKind string

// The runtime error kinds.
const (
	ErrorRuntime                     ErrorKind = "ErrorRuntime" // uncaught throw; Error.Value holds the thrown value
	ErrorArithmetic                  ErrorKind = "ErrorArithmetic"
	ErrorArrayBounds                 ErrorKind = "ErrorArrayBounds"
	ErrorStringBounds                ErrorKind = "ErrorStringBounds"
	ErrorBitFieldBounds              ErrorKind = "ErrorBitFieldBounds"
	ErrorIndexNotFound               ErrorKind = "ErrorIndexNotFound"
	ErrorPropertyNotFound            ErrorKind = "ErrorPropertyNotFound"
	ErrorFunctionNotFound            ErrorKind = "ErrorFunctionNotFound"
	ErrorVariableNotFound            ErrorKind = "ErrorVariableNotFound"
	ErrorModuleNotFound              ErrorKind = "ErrorModuleNotFound"
	ErrorMismatchDataType            ErrorKind = "ErrorMismatchDataType"
	ErrorMismatchOutputType          ErrorKind = "ErrorMismatchOutputType"
	ErrorIndexingType                ErrorKind = "ErrorIndexingType"
	ErrorFor                         ErrorKind = "ErrorFor"
	ErrorDotExpr                     ErrorKind = "ErrorDotExpr"
	ErrorAssignmentToConstant        ErrorKind = "ErrorAssignmentToConstant"
	ErrorNonPureMethodCallOnConstant ErrorKind = "ErrorNonPureMethodCallOnConstant"
	ErrorUnboundThis                 ErrorKind = "ErrorUnboundThis"
	ErrorDataTooLarge                ErrorKind = "ErrorDataTooLarge"
	ErrorTooManyOperations           ErrorKind = "ErrorTooManyOperations"
	ErrorStackOverflow               ErrorKind = "ErrorStackOverflow"
	ErrorTerminated                  ErrorKind = "ErrorTerminated"
	ErrorInFunctionCall              ErrorKind = "ErrorInFunctionCall"
	ErrorInModule                    ErrorKind = "ErrorInModule"
	ErrorParsing                     ErrorKind = "ErrorParsing"
	ErrorMemoryLimit                 ErrorKind = "ErrorMemoryLimit"
)

// Catchable reports whether try/catch may catch errors of this kind. The
// host's limits (fuel, call depth, sizes, memory, cancellation) end the run
// whatever the script does.
func (k ErrorKind) Catchable() bool {
	switch k {
	case ErrorTooManyOperations, ErrorStackOverflow, ErrorDataTooLarge,
		ErrorMemoryLimit, ErrorTerminated, ErrorParsing:
		return false
	}
	return true
}

// Frame is one entry of a runtime error's call stack: the function that was
// called and where the call happened.
type Frame struct {
	Fn     string // function name
	Source string // script (module) the call is in; "" = the main script
	Pos    Pos    // position of the call
}

// Error is a runtime error.
type Error struct {
	Kind   ErrorKind
	Msg    string  // message without position
	Source string  // script name where the error happened
	Pos    Pos     // where the error happened
	Stack  []Frame // enclosing function calls, innermost first
	Value  Value   // ErrorRuntime: the thrown value
	Err    error   // the underlying cause (a host function's error), if any
}

// Error formats the error as "source:line:col: message", followed by one
// line per enclosing function call.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteByte(':')
	}
	if e.Pos.IsValid() {
		b.WriteString(e.Pos.String())
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	const maxFrames = 16
	stack := e.Stack
	skipped := 0
	if len(stack) > maxFrames+1 {
		skipped = len(stack) - maxFrames - 1
	}
	for i, f := range stack {
		if skipped > 0 && i == maxFrames {
			fmt.Fprintf(&b, "\n  … %d more calls", skipped)
		}
		if skipped > 0 && i >= maxFrames && i < len(stack)-1 {
			continue
		}
		b.WriteString("\n  in call to function '")
		b.WriteString(f.Fn)
		b.WriteString("' at ")
		if f.Source != "" {
			b.WriteString(f.Source)
			b.WriteByte(':')
		}
		b.WriteString(f.Pos.String())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &eval.Error{Kind: k}) match every error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Kind == e.Kind
}

// Errorf returns a new *Error of the given kind at pos.
func Errorf(kind ErrorKind, pos Pos, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Kind: kind, Msg: msg, Pos: pos}
}
