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
	Fn     string // function name ("eval" for eval's text, the module's path for an import)
	Source string // script (module) the call is in; "" = the main script
	Pos    Pos    // position of the call

	depth int       // the call's depth in the run (1 = called from the main script)
	home  string    // the script the called function is defined in
	kind  frameKind // what was called
}

// frameKind tells what a Frame called, which decides how Rhai wraps an error
// that leaves it.
type frameKind uint8

const (
	frameFn      frameKind = iota // a script function: ErrorInFunctionCall "in call to function 'f'"
	frameClosure                  // an anonymous function: ErrorInFunctionCall "in closure call"
	frameEval                     // eval's text: ErrorInFunctionCall "in call to function 'eval'"
	frameModule                   // an imported module's top level: ErrorInModule
)

// Error is a runtime error.
type Error struct {
	Kind   ErrorKind // Rhai's outer kind: ErrorInFunctionCall or ErrorInModule when Cause left a call
	Cause  ErrorKind // the innermost error's kind (Rhai's unwrap_inner); "" = Kind
	Msg    string    // message without position
	Source string    // script name where the error happened
	Pos    Pos       // where the error happened
	Stack  []Frame   // enclosing function calls, innermost first
	Value  Value     // ErrorRuntime: the thrown value
	Err    error     // the underlying cause (a host function's error), if any
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
		switch f.kind {
		case frameClosure:
			b.WriteString("\n  in closure call at ")
		case frameModule:
			b.WriteString("\n  in module '")
			b.WriteString(f.Fn)
			b.WriteString("' at ")
		default:
			b.WriteString("\n  in call to function '")
			b.WriteString(f.Fn)
			b.WriteString("' at ")
		}
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

// Is makes errors.Is(err, &eval.Error{Kind: k}) match every error of kind k,
// whether k is the outer kind or the cause a function call wrapped.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && (t.Kind == e.Kind || t.Kind == e.cause())
}

func (e *Error) cause() ErrorKind {
	if e.Cause != "" {
		return e.Cause
	}
	return e.Kind
}

// systemException reports the kinds Rhai's is_system_exception passes through
// function calls unwrapped (PiCloud's memory limit is one of the host's limits).
func (k ErrorKind) systemException() bool {
	switch k {
	case ErrorTooManyOperations, ErrorStackOverflow, ErrorDataTooLarge,
		ErrorMemoryLimit, ErrorTerminated, ErrorParsing:
		return true
	}
	return false
}

// outer returns the frames of e's stack deeper than depth: the calls the
// error left before reaching code running at depth (innermost first).
func (e *Error) outer(depth int) []Frame {
	n := 0
	for n < len(e.Stack) && e.Stack[n].depth > depth {
		n++
	}
	return e.Stack[:n]
}

// at returns e as code running at call depth depth sees it, as Rhai's
// call_script_fn builds it: an error that left a script function, a closure
// or eval's text is ErrorInFunctionCall, one that left an imported module's
// top level ErrorInModule, except system exceptions, which pass through
// (eval's syntax errors are wrapped too: eval wraps every error it returns).
// The result is e itself when nothing changes.
func (e *Error) at(depth int) *Error {
	cause := e.cause()
	frames := e.outer(depth)
	kind := cause
	if len(frames) > 0 {
		top := frames[len(frames)-1]
		switch {
		case cause == ErrorParsing && !hasEvalFrame(frames):
		case cause.systemException() && cause != ErrorParsing:
		case top.kind == frameModule:
			kind = ErrorInModule
		default:
			kind = ErrorInFunctionCall
		}
	}
	if kind == e.Kind && (e.Cause == "" || e.Cause == kind) {
		return e
	}
	cp := *e
	cp.Kind = kind
	cp.Cause = cause
	if kind == cause {
		cp.Cause = ""
	}
	return &cp
}

func hasEvalFrame(frames []Frame) bool {
	for _, f := range frames {
		if f.kind == frameEval {
			return true
		}
	}
	return false
}

// Errorf returns a new *Error of the given kind at pos.
func Errorf(kind ErrorKind, pos Pos, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Kind: kind, Msg: msg, Pos: pos}
}
