package dispatch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/runtime"
)

// target is what a delivery runs: a script's active version and its app.
type target struct {
	app     store.App
	limits  runtime.Limits
	name    string
	version int32
	key     string // the version's hash in hex: the sandbox's cache key
	source  string
	loaded  time.Time
}

// targets caches targets by script id. Entries are dropped when their app
// announces a change on store.RoutesChannel (a script uploaded or
// activated, the app's limits changed …), all of them after a reconnection
// of the LISTEN connection, and each after Config.CacheTTL in any case.
type targets struct {
	cfg Config

	mu   sync.Mutex
	byID map[int64]*target
}

func newTargets(cfg Config) *targets {
	return &targets{cfg: cfg, byID: map[int64]*target{}}
}

// get returns the target of script id, loading it on a miss.
func (ts *targets) get(ctx context.Context, st *store.Store, scriptID int64) (*target, error) {
	now := ts.cfg.Now()
	ts.mu.Lock()
	t := ts.byID[scriptID]
	ts.mu.Unlock()
	if t != nil && now.Sub(t.loaded) < ts.cfg.CacheTTL {
		return t, nil
	}
	t, err := ts.load(ctx, st, scriptID)
	if err != nil {
		return nil, err
	}
	t.loaded = now
	ts.mu.Lock()
	ts.byID[scriptID] = t
	ts.mu.Unlock()
	return t, nil
}

func (ts *targets) load(ctx context.Context, st *store.Store, scriptID int64) (*target, error) {
	if scriptID == 0 {
		return nil, errors.New("the delivery has no script")
	}
	sc, err := st.Scripts.Get(ctx, scriptID)
	if err != nil {
		return nil, err
	}
	v, err := st.Scripts.ActiveVersion(ctx, scriptID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("script %q has no active version", sc.Name)
	}
	if err != nil {
		return nil, err
	}
	app, err := st.Apps.Get(ctx, sc.AppID)
	if err != nil {
		return nil, err
	}
	return &target{
		app: app, limits: limits(app.Limits, ts.cfg.DefaultLimits, ts.cfg.MaxLimits),
		name: sc.Name, version: v.Number, key: hex.EncodeToString(v.SHA256[:]), source: v.Source,
	}, nil
}

// changed drops the targets of the app whose id is payload (all of them
// when it does not parse).
func (ts *targets) changed(payload string) {
	id, err := strconv.ParseInt(payload, 10, 64)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for k, t := range ts.byID {
		if err != nil || t.app.ID == id {
			delete(ts.byID, k)
		}
	}
}

// flush drops every target.
func (ts *targets) flush() {
	ts.mu.Lock()
	clear(ts.byID)
	ts.mu.Unlock()
}

// limits turns an app's limits into one invocation's, as the ingress and
// the API do: a 0 takes the server's default, then the runtime's, and
// everything is clamped to the server's ceilings.
func limits(l store.Limits, d, m runtime.Limits) runtime.Limits {
	return runtime.Limits{
		Fuel:         pick(l.FuelPerInvocation, d.Fuel, runtime.DefaultFuel, m.Fuel),
		Memory:       pick(int64(l.MemoryPages)<<16, d.Memory, runtime.DefaultMemory, m.Memory),
		Timeout:      pick(time.Duration(l.TimeoutMS)*time.Millisecond, d.Timeout, runtime.DefaultTimeout, m.Timeout),
		MaxCallDepth: pick(int(l.MaxCallDepth), d.MaxCallDepth, 64, m.MaxCallDepth),
		MaxStringLen: pick(int(l.MaxStringBytes), d.MaxStringLen, 0, m.MaxStringLen),
		MaxArrayLen:  pick(int(l.MaxArrayLen), d.MaxArrayLen, 0, m.MaxArrayLen),
		MaxMapLen:    pick(int(l.MaxMapLen), d.MaxMapLen, 0, m.MaxMapLen),
		MaxLogLines:  pick(0, d.MaxLogLines, 0, m.MaxLogLines),
		MaxLogBytes:  pick(0, d.MaxLogBytes, 0, m.MaxLogBytes),
		Concurrency:  pick(int(l.MaxConcurrency), d.Concurrency, runtime.DefaultConcurrency, m.Concurrency),
	}
}

// pick is v, or else def, or else runtimeDef, clamped to ceiling when
// there is one.
func pick[T int | int64 | time.Duration](v, def, runtimeDef, ceiling T) T {
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
