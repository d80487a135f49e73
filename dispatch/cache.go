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
	"github.com/picloud/picloud/limits"
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
		app: app, limits: limits.For(app.Limits, ts.cfg.DefaultLimits, ts.cfg.MaxLimits),
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
