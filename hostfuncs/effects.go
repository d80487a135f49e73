package hostfuncs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// The effect families (kv.go, pubsub.go, queue.go) act on the invocation's
// Effects: a staging area that the caller of the runtime commits in one
// database transaction when the script succeeds, and drops otherwise
// (package effects implements it). These interfaces are what the families
// need from it, each as small as its family.

// KVReader reads the app's KV store as the invocation sees it: its own staged
// writes over the database.
type KVReader interface {
	// Get returns key's value as JSON, or nil when the key does not exist.
	Get(ctx context.Context, key string) (json.RawMessage, error)
	// List returns up to limit entries whose key starts with prefix, in byte
	// order of their keys, after the key after ("" for the first page).
	List(ctx context.Context, prefix, after string, limit int) ([]KVItem, error)
}

// KVWriter stages writes to the app's KV store.
type KVWriter interface {
	Set(ctx context.Context, key string, value json.RawMessage) error
	Delete(ctx context.Context, key string) error
	// Incr stages adding by to the integer under key (a missing key counts
	// as 0) and returns the value the invocation now sees.
	Incr(ctx context.Context, key string, by int64) (int64, error)
}

// Publisher stages a durable publish.
type Publisher interface {
	// Publish stages message (JSON) for the app's pubsub triggers matching
	// topic and returns the message's id.
	Publish(ctx context.Context, topic string, message json.RawMessage) (messageID [16]byte, err error)
}

// Pusher stages a queue message.
type Pusher interface {
	// Push stages payload (JSON) for the app's queue, deliverable after
	// delay, and returns the message's id.
	Push(ctx context.Context, queue string, payload json.RawMessage, delay time.Duration) (messageID [16]byte, err error)
}

// Effects is everything the effect families need; an Invocation without
// one (Effects nil) answers them StatusUnavailable.
type Effects interface {
	KVReader
	KVWriter
	Publisher
	Pusher
}

// KVItem is one entry of a KV listing.
type KVItem struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// Errors an Effects implementation wraps so the families answer with the
// right status; the error's text is what the script sees (error_last), so
// it should say what was wrong and with what.
var (
	// ErrInvalid: an argument the host rejects (StatusBadPayload).
	ErrInvalid = errors.New("invalid argument")
	// ErrLimit: a size limit or the app's KV quota (StatusLimit).
	ErrLimit = errors.New("limit exceeded")
)

// effectsState is the part of an Invocation the effect families keep
// between calls.
type effectsState struct {
	// lastError is the message error_last returns.
	lastError string
	// stash holds a result that did not fit the guest's buffer, so that the
	// guest's retry with a larger one gets it without a second read.
	stashFn string
	stashIn []byte
	stash   []byte
}

// effectsFrom returns the invocation of ctx and its Effects, or a status
// saying why there are none.
func effectsFrom(ctx context.Context) (*Invocation, Effects, abi.Status) {
	inv := invocationFrom(ctx)
	if inv == nil {
		return nil, nil, abi.StatusUnavailable
	}
	if inv.Effects == nil {
		inv.fx.lastError = "this invocation cannot change durable state (no database)"
		return inv, nil, abi.StatusUnavailable
	}
	return inv, inv.Effects, abi.StatusOK
}

// fail records err's message for error_last and returns its status.
func (inv *Invocation) fail(fn string, err error) abi.Status {
	switch {
	case errors.Is(err, ErrInvalid):
		inv.fx.lastError = fn + ": " + err.Error()
		return abi.StatusBadPayload
	case errors.Is(err, ErrLimit):
		inv.fx.lastError = fn + ": " + err.Error()
		return abi.StatusLimit
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		inv.fx.lastError = fn + ": the invocation ran out of time"
		return abi.StatusInternal
	default:
		// Database errors are for the operator's logs (the Effects logs
		// them), not for scripts.
		inv.fx.lastError = fn + ": internal error: the database did not answer"
		return abi.StatusInternal
	}
}

// invalid records a message for a malformed argument.
func (inv *Invocation) invalid(fn, msg string) abi.Status {
	if inv != nil {
		inv.fx.lastError = fn + ": " + msg
	}
	return abi.StatusBadPayload
}

// writeResult writes data to the guest's output buffer; when it does not
// fit, it keeps data for the guest's retry with the same input in (see
// stashed).
func (inv *Invocation) writeResult(mod api.Module, fn string, in, data []byte, outPtr, outCap, outLenPtr uint32) abi.Status {
	s := writeOut(mod, outPtr, outCap, outLenPtr, data)
	if s == abi.StatusShortBuffer {
		inv.fx.stashFn, inv.fx.stashIn, inv.fx.stash = fn, append(inv.fx.stashIn[:0], in...), data
	}
	return s
}

// stashed returns the result kept for a retry of fn with input in, once.
func (inv *Invocation) stashed(fn string, in []byte) ([]byte, bool) {
	if inv.fx.stash == nil || inv.fx.stashFn != fn || !bytes.Equal(inv.fx.stashIn, in) {
		return nil, false
	}
	data := inv.fx.stash
	inv.fx.stash, inv.fx.stashFn = nil, ""
	return data, true
}

// ErrorFamily returns the error family: error_last, which the guest calls to
// explain another function's failure.
func ErrorFamily() Family {
	return Family{Name: "error", Functions: []Function{errorLast}}
}

// errorLast is the function abi.FuncErrorLast.
//
// # Parameters
//
//   - out_ptr, out_cap: the output buffer
//   - out_len_ptr: where the message's length is written (u32
//     little-endian); 0 when no effect call failed yet
//
// # Result (abi.Status)
//
//   - StatusOK: the message is in the output buffer
//   - StatusShortBuffer: out_cap is too small; the needed length is at
//     out_len_ptr
//   - StatusFault: the output buffer or out_len_ptr is outside guest memory
//   - StatusUnavailable: called outside an invocation
var errorLast = Function{
	Name:        abi.FuncErrorLast,
	Params:      []api.ValueType{i32, i32, i32},
	ParamNames:  []string{"out_ptr", "out_cap", "out_len_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv := invocationFrom(ctx)
		if inv == nil {
			status(stack, abi.StatusUnavailable)
			return
		}
		status(stack, writeOut(mod, uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), []byte(inv.fx.lastError)))
	},
}

// EffectFamilies returns the kv, pubsub, queue, http and error families,
// which every runtime instantiates: they find their backend in the
// invocation.
func EffectFamilies() []Family {
	return []Family{KV(), Pubsub(), Queue(), HTTP(), ErrorFamily()}
}
