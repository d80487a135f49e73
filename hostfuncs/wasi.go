package hostfuncs

import (
	"context"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// InstantiateWASI defines wasi_snapshot_preview1 in r, as wazero implements it,
// except for clock_time_get, which also honours Invocation.Kill: the Go
// runtime in the guest reads the clock during every garbage collection, so
// even a guest stuck in an allocating loop that calls no PiCloud function is
// stopped.
func InstantiateWASI(ctx context.Context, r wazero.Runtime) (api.Closer, error) {
	b := r.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(clockTimeGet), []api.ValueType{i32, i64, i32}, []api.ValueType{i32}).
		WithParameterNames("id", "precision", "result.timestamp").
		WithResultNames("errno").
		Export("clock_time_get")
	return b.Instantiate(ctx)
}

// WASI clock ids and errnos used by clockTimeGet.
const (
	clockRealtime  = 0
	clockMonotonic = 1
	errnoFault     = 21
	errnoInval     = 28
)

var monotonicBase = time.Now()

// clockTimeGet is WASI's clock_time_get(id, precision, result_ptr) -> errno:
// the realtime clock in Unix nanoseconds or a monotonic clock, written as a
// little-endian u64 at result_ptr.
func clockTimeGet(ctx context.Context, mod api.Module, stack []uint64) {
	checkKilled(ctx)
	var t int64
	switch uint32(stack[0]) {
	case clockRealtime:
		t = time.Now().UnixNano()
	case clockMonotonic:
		t = int64(time.Since(monotonicBase))
	default:
		stack[0] = errnoInval
		return
	}
	ptr := uint32(stack[2])
	if _, ok := read(mod, ptr, 8); !ok {
		stack[0] = errnoFault
		return
	}
	mod.Memory().WriteUint64Le(ptr, uint64(t))
	stack[0] = 0
}
