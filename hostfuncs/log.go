package hostfuncs

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// Log returns the log family: Rhai's print and debug and the log:: module.
func Log() Family {
	return Family{Name: "log", Functions: []Function{logWrite}}
}

// logWrite is the function abi.FuncLogWrite, which appends one line to the
// invocation's log.
//
// # Parameters
//
//   - level: an abi.Level (print, debug, info, warn, error)
//   - ptr, len: the line's text in guest memory, UTF-8 (invalid bytes become
//     U+FFFD)
//
// # Result (abi.Status)
//
//   - StatusOK: the line was recorded (possibly truncated to the byte cap)
//   - StatusLimit: the invocation's line or byte cap was reached; the line was
//     dropped and counted
//   - StatusBadPayload: level is unknown
//   - StatusFault: the text is not inside guest memory
//   - StatusUnavailable: called outside an invocation
var logWrite = Function{
	Name:        abi.FuncLogWrite,
	Params:      []api.ValueType{i32, i32, i32},
	ParamNames:  []string{"level", "ptr", "len"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		level, ptr, n := abi.Level(uint32(stack[0])), uint32(stack[1]), uint32(stack[2])
		text, ok := read(mod, ptr, n)
		switch inv := invocationFrom(ctx); {
		case !ok:
			status(stack, abi.StatusFault)
		case !level.Valid():
			status(stack, abi.StatusBadPayload)
		case inv == nil:
			status(stack, abi.StatusUnavailable)
		default:
			status(stack, inv.addLog(level, text))
		}
	},
}
