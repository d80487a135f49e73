package hostfuncs

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// Queue returns the queue family: queue::push on the invocation's Effects.
func Queue() Family {
	return Family{Name: "queue", Functions: []Function{queuePush}}
}

// queuePush is the function abi.FuncQueuePush.
//
// # Parameters
//
//   - req_ptr, req_len: an abi.PushRequest (queue, payload as JSON, delay
//     in milliseconds)
//   - out_ptr: where the message id is written (16 bytes, a UUID)
//
// # Result (abi.Status)
//
//   - StatusOK: the push is staged and its id written
//   - StatusBadPayload: the request does not decode, the queue name or
//     delay is invalid or the payload is not JSON (error_last says why)
//   - StatusLimit: the payload is over the size limit, or the invocation
//     staged too many effects
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
var queuePush = Function{
	Name:        abi.FuncQueuePush,
	Params:      []api.ValueType{i32, i32, i32},
	ParamNames:  []string{"req_ptr", "req_len", "out_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv, fx, st := effectsFrom(ctx)
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		in, ok := read(mod, uint32(stack[0]), uint32(stack[1]))
		outPtr := uint32(stack[2])
		if _, okOut := read(mod, outPtr, 16); !ok || !okOut {
			status(stack, abi.StatusFault)
			return
		}
		var req abi.PushRequest
		if err := req.UnmarshalBinary(in); err != nil {
			status(stack, inv.invalid("queue::push", "the request does not decode"))
			return
		}
		if !utf8.ValidString(req.Queue) {
			status(stack, inv.invalid("queue::push", "the queue name is not valid UTF-8"))
			return
		}
		if !json.Valid(req.Payload) {
			status(stack, inv.invalid("queue::push", "the payload is not valid JSON"))
			return
		}
		if req.DelayMS < 0 || req.DelayMS > int64(time.Duration(1<<63-1)/time.Millisecond) {
			status(stack, inv.invalid("queue::push", "the delay must not be negative"))
			return
		}
		id, err := fx.Push(ctx, req.Queue, append(json.RawMessage(nil), req.Payload...), time.Duration(req.DelayMS)*time.Millisecond)
		if err != nil {
			status(stack, inv.fail("queue::push", err))
			return
		}
		mod.Memory().Write(outPtr, id[:])
		status(stack, abi.StatusOK)
	},
}
