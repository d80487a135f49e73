package hostfuncs

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// Pubsub returns the pubsub family: pubsub::publish_durable on the
// invocation's Effects.
func Pubsub() Family {
	return Family{Name: "pubsub", Functions: []Function{pubsubPublish}}
}

// pubsubPublish is the function abi.FuncPubsubPublish.
//
// # Parameters
//
//   - req_ptr, req_len: an abi.PublishRequest (topic, message as JSON)
//   - out_ptr: where the message id is written (16 bytes, a UUID)
//
// # Result (abi.Status)
//
//   - StatusOK: the publish is staged and its id written
//   - StatusBadPayload: the request does not decode, the topic is invalid
//     or the message is not JSON (error_last says why)
//   - StatusLimit: the message is over the size limit, or the invocation
//     staged too many effects
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
var pubsubPublish = Function{
	Name:        abi.FuncPubsubPublish,
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
		var req abi.PublishRequest
		if err := req.UnmarshalBinary(in); err != nil {
			status(stack, inv.invalid("pubsub::publish_durable", "the request does not decode"))
			return
		}
		if !utf8.ValidString(req.Topic) {
			status(stack, inv.invalid("pubsub::publish_durable", "the topic is not valid UTF-8"))
			return
		}
		if !json.Valid(req.Message) {
			status(stack, inv.invalid("pubsub::publish_durable", "the message is not valid JSON"))
			return
		}
		id, err := fx.Publish(ctx, req.Topic, append(json.RawMessage(nil), req.Message...))
		if err != nil {
			status(stack, inv.fail("pubsub::publish_durable", err))
			return
		}
		mod.Memory().Write(outPtr, id[:])
		status(stack, abi.StatusOK)
	},
}
