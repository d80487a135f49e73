// Package hostfuncs is the host side of PiCloud's guest ABI: the functions a
// script's interpreter may call in the import module abi.ModuleName, grouped in
// families, one file per family (log.go, time.go …), in the style of wazero's
// imports/wasi_snapshot_preview1.
//
// Every function documents its parameters, results and status codes. Every
// guest pointer and length is checked against the guest's memory; a function
// returns a status and never panics into the guest (a panic is recovered and
// reported as abi.StatusInternal).
//
// Host functions act on the current invocation, which the runtime attaches to
// the call's context with WithInvocation.
//
// # Adding a family
//
// A family is one file: its functions, documented like the ones in log.go, a
// constructor returning a Family, and, when it needs a backend such as the
// database, a small interface declared here, next to its consumer (for example
// a KV with Get, Set and Delete) that the backend implements and proves with
// var _ hostfuncs.KV = (*store.KV)(nil). The guest adds matching
// //go:wasmimport declarations; TestGuestImportsAreRegistered keeps the two
// sides in step.
package hostfuncs

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/picloud/picloud/hostfuncs/abi"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// Function is one host function.
type Function struct {
	Name        string // one of the abi.Func… names
	Params      []api.ValueType
	ParamNames  []string
	Results     []api.ValueType
	ResultNames []string
	// Fn reads its parameters from stack and writes its results back to it.
	// When Results starts with a status, a panic inside Fn is recovered and
	// reported as abi.StatusInternal.
	Fn api.GoModuleFunc
}

// Family is a named group of host functions, e.g. "log".
type Family struct {
	Name      string
	Functions []Function
}

// Instantiate defines the module abi.ModuleName with the functions of families
// in r. Each wazero Runtime needs its own instance.
func Instantiate(ctx context.Context, r wazero.Runtime, families ...Family) (api.Module, error) {
	b := r.NewHostModuleBuilder(abi.ModuleName)
	seen := map[string]bool{}
	for _, fam := range families {
		for _, f := range fam.Functions {
			if seen[f.Name] {
				return nil, fmt.Errorf("hostfuncs: %s defined twice", f.Name)
			}
			seen[f.Name] = true
			b.NewFunctionBuilder().
				WithGoModuleFunction(guard(f), f.Params, f.Results).
				WithParameterNames(f.ParamNames...).
				WithResultNames(f.ResultNames...).
				Export(f.Name)
		}
	}
	return b.Instantiate(ctx)
}

// Unavailable returns fam with every function replaced by one that returns
// abi.StatusUnavailable (zero results for functions without a status). The
// guest imports every family, so a family that is not configured (no backend,
// or the test family outside tests) is instantiated this way.
func Unavailable(fam Family) Family {
	out := Family{Name: fam.Name, Functions: make([]Function, len(fam.Functions))}
	for i, f := range fam.Functions {
		f.Fn = func(_ context.Context, _ api.Module, stack []uint64) {
			if len(stack) > 0 {
				stack[0] = uint64(abi.StatusUnavailable)
			}
		}
		out.Functions[i] = f
	}
	return out
}

// guard wraps f so that a panic never unwinds into the guest: it becomes
// abi.StatusInternal in the status result. A *sys.ExitError is the one panic
// let through, since that is how a host function deliberately stops the guest.
func guard(f Function) api.GoModuleFunc {
	fn := f.Fn
	hasStatus := len(f.Results) > 0 && f.Results[0] == i32
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		checkKilled(ctx)
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(*sys.ExitError); ok {
					panic(e)
				}
				if hasStatus {
					stack[0] = uint64(abi.StatusInternal)
				} else if len(stack) > 0 {
					stack[0] = 0
				}
			}
		}()
		fn(ctx, mod, stack)
	}
}

// checkKilled aborts the guest when its invocation was killed.
func checkKilled(ctx context.Context) {
	if inv := invocationFrom(ctx); inv != nil && inv.killed.Load() {
		panic(sys.NewExitError(ExitCodeKilled))
	}
}

// status puts s in the first result slot.
func status(stack []uint64, s abi.Status) { stack[0] = uint64(s) }

// read returns the guest's bytes [ptr, ptr+n) without copying, or false when
// they are not all inside its memory.
func read(mod api.Module, ptr, n uint32) ([]byte, bool) {
	mem := mod.Memory()
	if mem == nil {
		return nil, false
	}
	return mem.Read(ptr, n)
}

// writeOut implements the output-buffer convention described in package abi:
// data goes to [outPtr, outPtr+outCap), its length to outLenPtr.
func writeOut(mod api.Module, outPtr, outCap, outLenPtr uint32, data []byte) abi.Status {
	mem := mod.Memory()
	if mem == nil {
		return abi.StatusFault
	}
	if _, ok := mem.Read(outLenPtr, 4); !ok {
		return abi.StatusFault
	}
	if uint64(len(data)) > uint64(outCap) {
		mem.WriteUint32Le(outLenPtr, uint32(min(len(data), 1<<32-1)))
		return abi.StatusShortBuffer
	}
	if !mem.Write(outPtr, data) {
		return abi.StatusFault
	}
	mem.WriteUint32Le(outLenPtr, uint32(len(data)))
	return abi.StatusOK
}
