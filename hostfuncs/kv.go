package hostfuncs

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// KV returns the kv family: kv::get, kv::set, kv::delete, kv::list and
// kv::incr on the invocation's Effects.
func KV() Family {
	return Family{Name: "kv", Functions: []Function{kvGet, kvSet, kvDelete, kvList, kvIncr}}
}

// readKey reads a key argument: UTF-8 text in guest memory.
func readKey(mod api.Module, inv *Invocation, fn string, ptr, n uint32) (string, abi.Status) {
	b, ok := read(mod, ptr, n)
	if !ok {
		return "", abi.StatusFault
	}
	if !utf8.Valid(b) {
		return "", inv.invalid(fn, "the key is not valid UTF-8")
	}
	return string(b), abi.StatusOK
}

// kvGet is the function abi.FuncKVGet.
//
// # Parameters
//
//   - key_ptr, key_len: the key in guest memory (UTF-8)
//   - out_ptr, out_cap: the output buffer for the value's JSON
//   - out_len_ptr: where the value's length is written (u32 little-endian);
//     0 when the key does not exist
//
// # Result (abi.Status)
//
//   - StatusOK: the value (or nothing) is in the output buffer
//   - StatusShortBuffer: out_cap is too small; the needed length is at
//     out_len_ptr, and the retry with the same key returns the same value
//   - StatusBadPayload: the key is invalid (error_last says why)
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
//   - StatusInternal: the database failed
var kvGet = Function{
	Name:        abi.FuncKVGet,
	Params:      []api.ValueType{i32, i32, i32, i32, i32},
	ParamNames:  []string{"key_ptr", "key_len", "out_ptr", "out_cap", "out_len_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv, fx, st := effectsFrom(ctx)
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		key, st := readKey(mod, inv, "kv::get", uint32(stack[0]), uint32(stack[1]))
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		outPtr, outCap, outLen := uint32(stack[2]), uint32(stack[3]), uint32(stack[4])
		if data, ok := inv.stashed(abi.FuncKVGet, []byte(key)); ok {
			status(stack, writeOut(mod, outPtr, outCap, outLen, data))
			return
		}
		v, err := fx.Get(ctx, key)
		if err != nil {
			status(stack, inv.fail("kv::get", err))
			return
		}
		status(stack, inv.writeResult(mod, abi.FuncKVGet, []byte(key), v, outPtr, outCap, outLen))
	},
}

// kvSet is the function abi.FuncKVSet.
//
// # Parameters
//
//   - key_ptr, key_len: the key in guest memory (UTF-8)
//   - val_ptr, val_len: the value as JSON in guest memory
//
// # Result (abi.Status)
//
//   - StatusOK: the write is staged
//   - StatusBadPayload: the key or value is invalid (error_last says why)
//   - StatusLimit: the value is over the size limit, or the write would take
//     the app over its KV quota
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
//   - StatusInternal: the database failed
var kvSet = Function{
	Name:        abi.FuncKVSet,
	Params:      []api.ValueType{i32, i32, i32, i32},
	ParamNames:  []string{"key_ptr", "key_len", "val_ptr", "val_len"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv, fx, st := effectsFrom(ctx)
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		key, st := readKey(mod, inv, "kv::set", uint32(stack[0]), uint32(stack[1]))
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		val, ok := read(mod, uint32(stack[2]), uint32(stack[3]))
		if !ok {
			status(stack, abi.StatusFault)
			return
		}
		if !json.Valid(val) {
			status(stack, inv.invalid("kv::set", "the value is not valid JSON"))
			return
		}
		// val aliases guest memory: the stage keeps a copy.
		if err := fx.Set(ctx, key, append(json.RawMessage(nil), val...)); err != nil {
			status(stack, inv.fail("kv::set", err))
			return
		}
		status(stack, abi.StatusOK)
	},
}

// kvDelete is the function abi.FuncKVDelete.
//
// # Parameters
//
//   - key_ptr, key_len: the key in guest memory (UTF-8)
//
// # Result (abi.Status)
//
//   - StatusOK: the deletion is staged (deleting a missing key is no error)
//   - StatusBadPayload: the key is invalid (error_last says why)
//   - StatusLimit: the invocation staged too many effects
//   - StatusFault: the key is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
var kvDelete = Function{
	Name:        abi.FuncKVDelete,
	Params:      []api.ValueType{i32, i32},
	ParamNames:  []string{"key_ptr", "key_len"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv, fx, st := effectsFrom(ctx)
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		key, st := readKey(mod, inv, "kv::delete", uint32(stack[0]), uint32(stack[1]))
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		if err := fx.Delete(ctx, key); err != nil {
			status(stack, inv.fail("kv::delete", err))
			return
		}
		status(stack, abi.StatusOK)
	},
}

// kvList is the function abi.FuncKVList.
//
// # Parameters
//
//   - req_ptr, req_len: an abi.KVListRequest (prefix, after, limit)
//   - out_ptr, out_cap: the output buffer for a JSON array of
//     {"key": …, "value": …} objects in byte order of the keys
//   - out_len_ptr: where the array's length is written (u32 little-endian)
//
// # Result (abi.Status)
//
//   - StatusOK: the array is in the output buffer
//   - StatusShortBuffer: out_cap is too small; the needed length is at
//     out_len_ptr, and the retry with the same request returns the same page
//   - StatusBadPayload: the request does not decode, or the prefix or
//     limit is invalid (error_last says why)
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
//   - StatusInternal: the database failed
var kvList = Function{
	Name:        abi.FuncKVList,
	Params:      []api.ValueType{i32, i32, i32, i32, i32},
	ParamNames:  []string{"req_ptr", "req_len", "out_ptr", "out_cap", "out_len_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv, fx, st := effectsFrom(ctx)
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		in, ok := read(mod, uint32(stack[0]), uint32(stack[1]))
		if !ok {
			status(stack, abi.StatusFault)
			return
		}
		outPtr, outCap, outLen := uint32(stack[2]), uint32(stack[3]), uint32(stack[4])
		if data, ok := inv.stashed(abi.FuncKVList, in); ok {
			status(stack, writeOut(mod, outPtr, outCap, outLen, data))
			return
		}
		var req abi.KVListRequest
		if err := req.UnmarshalBinary(in); err != nil {
			status(stack, inv.invalid("kv::list", "the request does not decode"))
			return
		}
		if !utf8.ValidString(req.Prefix) || !utf8.ValidString(req.After) {
			status(stack, inv.invalid("kv::list", "the prefix or cursor is not valid UTF-8"))
			return
		}
		items, err := fx.List(ctx, req.Prefix, req.After, int(req.Limit))
		if err != nil {
			status(stack, inv.fail("kv::list", err))
			return
		}
		if items == nil {
			items = []KVItem{}
		}
		data, err := json.Marshal(items)
		if err != nil {
			status(stack, inv.fail("kv::list", err))
			return
		}
		status(stack, inv.writeResult(mod, abi.FuncKVList, in, data, outPtr, outCap, outLen))
	},
}

// kvIncr is the function abi.FuncKVIncr.
//
// # Parameters
//
//   - key_ptr, key_len: the key in guest memory (UTF-8)
//   - by: the i64 to add
//   - out_ptr: where the new value is written (i64 little-endian)
//
// # Result (abi.Status)
//
//   - StatusOK: the increment is staged and the new value written
//   - StatusBadPayload: the key is invalid, the value is not an integer, or
//     the sum overflows (error_last says why)
//   - StatusLimit: the write would take the app over its KV quota
//   - StatusFault: an argument is outside guest memory
//   - StatusUnavailable: no invocation, or it has no Effects
//   - StatusInternal: the database failed
var kvIncr = Function{
	Name:        abi.FuncKVIncr,
	Params:      []api.ValueType{i32, i32, i64, i32},
	ParamNames:  []string{"key_ptr", "key_len", "by", "out_ptr"},
	Results:     []api.ValueType{i32},
	ResultNames: []string{"status"},
	Fn: func(ctx context.Context, mod api.Module, stack []uint64) {
		inv, fx, st := effectsFrom(ctx)
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		key, st := readKey(mod, inv, "kv::incr", uint32(stack[0]), uint32(stack[1]))
		if st != abi.StatusOK {
			status(stack, st)
			return
		}
		by, outPtr := int64(stack[2]), uint32(stack[3])
		if _, ok := read(mod, outPtr, 8); !ok {
			status(stack, abi.StatusFault)
			return
		}
		n, err := fx.Incr(ctx, key, by)
		if err != nil {
			status(stack, inv.fail("kv::incr", err))
			return
		}
		mod.Memory().WriteUint64Le(outPtr, uint64(n))
		status(stack, abi.StatusOK)
	},
}
