package limits

import (
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/runtime"
)

func TestPick(t *testing.T) {
	for _, tc := range []struct{ v, def, rt, ceil, want int }{
		{v: 5, def: 7, rt: 9, ceil: 0, want: 5},
		{v: 0, def: 7, rt: 9, ceil: 0, want: 7},
		{v: 0, def: 0, rt: 9, ceil: 0, want: 9},
		{v: 0, def: 0, rt: 0, ceil: 0, want: 0},  // unlimited stays unlimited
		{v: 0, def: 0, rt: 0, ceil: 4, want: 4},  // unlimited is clamped to the ceiling
		{v: 50, def: 0, rt: 9, ceil: 8, want: 8}, // an app cannot exceed the ceiling
		{v: 3, def: 0, rt: 9, ceil: 8, want: 3},
	} {
		if got := Pick(tc.v, tc.def, tc.rt, tc.ceil); got != tc.want {
			t.Errorf("Pick(%d, %d, %d, %d) = %d, want %d", tc.v, tc.def, tc.rt, tc.ceil, got, tc.want)
		}
	}
}

func TestFor(t *testing.T) {
	app := store.Limits{FuelPerInvocation: 500, TimeoutMS: 90_000, MemoryPages: 512}
	got := For(app, runtime.Limits{MaxStringLen: 1 << 20}, runtime.Limits{Timeout: time.Minute, MaxArrayLen: 1000})
	want := runtime.Limits{
		Fuel:         500,
		Memory:       512 << 16,
		Timeout:      time.Minute, // the app asked for 90 s; the ceiling is 1 min
		MaxCallDepth: 64,
		MaxStringLen: 1 << 20, // the server default
		MaxArrayLen:  1000,    // unlimited, clamped to the ceiling
		Concurrency:  runtime.DefaultConcurrency,
	}
	if got != want {
		t.Errorf("For = %+v\nwant  %+v", got, want)
	}
}
