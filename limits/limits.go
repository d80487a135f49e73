// Package limits owns how an app's configured limits become one invocation's
// limits: the app's value where it set one, else the server's default, else
// the sandbox's own default, and always within the server's ceiling. The
// public ingress, the admin API's invoke and the dispatcher all use it, so a
// script runs under the same limits however it was started.
package limits

import (
	"time"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/runtime"
)

// For returns the limits of one invocation of an app whose configured limits
// are app. In defaults and ceilings a 0 means "none".
func For(app store.Limits, defaults, ceilings runtime.Limits) runtime.Limits {
	d, m := defaults, ceilings
	return runtime.Limits{
		Fuel:         Pick(app.FuelPerInvocation, d.Fuel, runtime.DefaultFuel, m.Fuel),
		Memory:       Pick(int64(app.MemoryPages)<<16, d.Memory, runtime.DefaultMemory, m.Memory),
		Timeout:      Pick(time.Duration(app.TimeoutMS)*time.Millisecond, d.Timeout, runtime.DefaultTimeout, m.Timeout),
		MaxCallDepth: Pick(int(app.MaxCallDepth), d.MaxCallDepth, 64, m.MaxCallDepth), // runtime.Limits documents 64
		MaxStringLen: Pick(int(app.MaxStringBytes), d.MaxStringLen, 0, m.MaxStringLen),
		MaxArrayLen:  Pick(int(app.MaxArrayLen), d.MaxArrayLen, 0, m.MaxArrayLen),
		MaxMapLen:    Pick(int(app.MaxMapLen), d.MaxMapLen, 0, m.MaxMapLen),
		MaxLogLines:  Pick(0, d.MaxLogLines, 0, m.MaxLogLines),
		MaxLogBytes:  Pick(0, d.MaxLogBytes, 0, m.MaxLogBytes),
		Concurrency:  Pick(int(app.MaxConcurrency), d.Concurrency, runtime.DefaultConcurrency, m.Concurrency),
	}
}

// Pick is v, or else def, or else runtimeDef (0 where the sandbox's default
// is "unlimited"), clamped to ceiling when there is one; a value still 0
// ("unlimited") becomes the ceiling.
func Pick[T int | int64 | time.Duration](v, def, runtimeDef, ceiling T) T {
	if v == 0 {
		v = def
	}
	if v == 0 {
		v = runtimeDef
	}
	if ceiling > 0 && (v == 0 || v > ceiling) {
		v = ceiling
	}
	return v
}
