package hostfuncs

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// Testing returns the test family, which exercises the ABI's conventions from a
// real guest (the guest's test::echo and test::panic). The runtime registers it
// only when its Config asks for it.
func Testing() Family {
	return Family{Name: "test", Functions: []Function{testEcho, testPanic}}
}

// testEcho is the function abi.FuncTestEcho, which copies its input to its
// output buffer.
//
// # Parameters
//
//   - ptr, len: the input in guest memory
//   - out_ptr, out_cap: the output buffer
//   - out_len_ptr: where the output's length is written (u32 little-endian)
//
// # Result (abi.Status)
//
//   - StatusOK: copied; the length is at out_len_ptr
//   - StatusShortBuffer: out_cap is too small; the needed length is at
//     out_len_ptr
//   - StatusFault: the input, the output buffer or out_len_ptr is not inside
//     guest memory
var testEcho = Function{
	Name:        abi.FuncTestEcho,
	Params:      []api.ValueType{i32, i32, i32, i32, i32},
	ParamNames:  []string{"ptr", "len", "out_ptr", "out_cap", "out_len_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(_ context.Context, mod api.Module, stack []uint64) {
		in, ok := read(mod, uint32(stack[0]), uint32(stack[1]))
		if !ok {
			status(stack, abi.StatusFault)
			return
		}
		// in aliases guest memory, which the output may overlap: copy first.
		status(stack, writeOut(mod, uint32(stack[2]), uint32(stack[3]), uint32(stack[4]), append([]byte(nil), in...)))
	},
}

// testPanic is the function abi.FuncTestPanic, which panics inside the host to
// show that the registry contains it.
//
// # Result (abi.Status)
//
//   - StatusInternal, always
var testPanic = Function{
	Name:        abi.FuncTestPanic,
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(context.Context, api.Module, []uint64) {
		panic("hostfuncs: test_panic called")
	},
}
