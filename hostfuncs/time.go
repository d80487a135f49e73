package hostfuncs

import (
	"context"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// Time returns the time family: time::now() and the interpreter's wall-time
// check. now is the wall clock; nil means time.Now.
func Time(now func() time.Time) Family {
	if now == nil {
		now = time.Now
	}
	return Family{Name: "time", Functions: []Function{timeNow(now), timeExpired}}
}

// timeNow is the function abi.FuncTimeNow.
//
// # Parameters
//
// None.
//
// # Result
//
//   - i64: the host's wall-clock time in Unix nanoseconds
func timeNow(now func() time.Time) Function {
	return Function{
		Name:        abi.FuncTimeNow,
		Results:     []api.ValueType{i64},
		ResultNames: []string{"unix_nano"},
		Fn: func(_ context.Context, _ api.Module, stack []uint64) {
			stack[0] = uint64(now().UnixNano())
		},
	}
}

// timeExpired is the function abi.FuncTimeExpired, the interpreter's
// cooperative wall-time check (its Env.Cancelled), polled every few thousand
// steps.
//
// # Parameters
//
// None.
//
// # Result
//
//   - u32: 1 when the invocation's Deadline has passed or its caller gave up
//     (Invocation.Done); outside an invocation, when the call's context is
//     done; else 0
var timeExpired = Function{
	Name:        abi.FuncTimeExpired,
	Results:     []api.ValueType{i32},
	ResultNames: []string{"expired"},
	Fn: func(ctx context.Context, _ api.Module, stack []uint64) {
		var expired bool
		if inv := invocationFrom(ctx); inv != nil {
			expired = inv.expired()
		} else {
			expired = ctx.Err() != nil
		}
		stack[0] = 0
		if expired {
			stack[0] = 1
		}
	},
}
