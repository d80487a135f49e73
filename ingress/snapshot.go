package ingress

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/limits"
	"github.com/picloud/picloud/route"
	"github.com/picloud/picloud/runtime"
)

// snapshot is everything requests read: immutable once published.
type snapshot struct {
	apps  map[string]*appState // by slug
	byID  map[int64]*appState
	table *route.Table[*target]
}

// appState is one app as requests need it.
type appState struct {
	app     store.App
	limits  runtime.Limits
	maxBody int64
	routes  []route.Route[*target]
}

// scriptState is a script's active version.
type scriptState struct {
	id      int64
	name    string
	version int32
	key     string // the version's hash in hex: the sandbox's cache key
	source  string
}

// target is what a route runs.
type target struct {
	app       *appState
	script    *scriptState
	triggerID int64 // 0 for a script's default route
}

// reloadAll reads every app and publishes a new snapshot.
func (h *Handler) reloadAll(ctx context.Context) error {
	st := h.cfg.Store
	var apps []store.App
	for after := ""; ; {
		page, err := st.Apps.List(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("ingress: %w", err)
		}
		apps = append(apps, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Slug
	}
	scripts, err := st.Scripts.Serving(ctx, 0)
	if err != nil {
		return fmt.Errorf("ingress: %w", err)
	}
	routes, err := st.Triggers.ServingRoutes(ctx, 0)
	if err != nil {
		return fmt.Errorf("ingress: %w", err)
	}
	if err := h.loadSources(ctx, scripts); err != nil {
		return err
	}
	next := &snapshot{apps: map[string]*appState{}, byID: map[int64]*appState{}}
	for _, a := range apps {
		s := h.buildApp(a, scripts, routes)
		next.apps[a.Slug], next.byID[a.ID] = s, s
	}
	// Forget the sources no script runs any more.
	used := make(map[[32]byte]bool, len(scripts))
	for _, s := range scripts {
		used[s.SHA256] = true
	}
	for sum := range h.sources {
		if !used[sum] {
			delete(h.sources, sum)
		}
	}
	h.publish(next)
	return nil
}

// reloadApps reads the listed apps again and publishes a new snapshot.
func (h *Handler) reloadApps(ctx context.Context, ids []int64) error {
	st := h.cfg.Store
	old := h.snap.Load()
	next := &snapshot{apps: maps.Clone(old.apps), byID: maps.Clone(old.byID)}
	for _, id := range ids {
		a, err := st.Apps.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			if gone := next.byID[id]; gone != nil {
				delete(next.byID, id)
				if next.apps[gone.app.Slug] == gone { // not a new app of that slug
					delete(next.apps, gone.app.Slug)
				}
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("ingress: %w", err)
		}
		scripts, err := st.Scripts.Serving(ctx, id)
		if err != nil {
			return fmt.Errorf("ingress: %w", err)
		}
		routes, err := st.Triggers.ServingRoutes(ctx, id)
		if err != nil {
			return fmt.Errorf("ingress: %w", err)
		}
		if err := h.loadSources(ctx, scripts); err != nil {
			return err
		}
		s := h.buildApp(a, scripts, routes)
		next.apps[a.Slug], next.byID[a.ID] = s, s
	}
	h.publish(next)
	return nil
}

// loadSources reads the sources of the versions not in the cache.
func (h *Handler) loadSources(ctx context.Context, scripts []store.ServingScript) error {
	var missing []int64
	for _, s := range scripts {
		if _, ok := h.sources[s.SHA256]; !ok {
			missing = append(missing, s.VersionID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	src, err := h.cfg.Store.Scripts.Sources(ctx, missing)
	if err != nil {
		return fmt.Errorf("ingress: %w", err)
	}
	for _, s := range scripts {
		if text, ok := src[s.VersionID]; ok {
			h.sources[s.SHA256] = text
		}
	}
	return nil
}

// buildApp builds app a's state from the scripts and routes (of every app,
// or of a alone), skipping what belongs to other apps.
func (h *Handler) buildApp(a store.App, scripts []store.ServingScript, routes []store.ServingRoute) *appState {
	s := &appState{app: a, limits: limits.For(a.Limits, h.cfg.DefaultLimits, h.cfg.MaxLimits), maxBody: h.maxBody(a.Limits.MaxBodyBytes)}
	byID := map[int64]*scriptState{}
	for _, sc := range scripts {
		if sc.AppID != a.ID {
			continue
		}
		src, ok := h.sources[sc.SHA256]
		if !ok {
			continue // the version went away between the two reads
		}
		ss := &scriptState{id: sc.ID, name: sc.Name, version: sc.Version, key: hex.EncodeToString(sc.SHA256[:]), source: src}
		byID[sc.ID] = ss
		if !sc.HasTrigger {
			s.routes = append(s.routes, route.Route[*target]{
				App: a.Slug, Method: "ANY", Pattern: route.MustParse("/" + sc.Name),
				Target: &target{app: s, script: ss},
			})
		}
	}
	for _, r := range routes {
		if r.AppID != a.ID {
			continue
		}
		ss, ok := byID[r.ScriptID]
		if !ok {
			continue // the trigger's script has no active version: nothing to run
		}
		p, err := route.Parse(r.Path)
		if err != nil {
			h.log.Warn("skipping an HTTP trigger with an invalid path", slog.String("app", a.Slug), slog.Int64("trigger_id", r.TriggerID), slog.Any("err", err))
			continue
		}
		s.routes = append(s.routes, route.Route[*target]{
			App: a.Slug, Method: r.Method, Pattern: p,
			Target: &target{app: s, script: ss, triggerID: r.TriggerID},
		})
	}
	return s
}

// publish builds next's route table and makes next the snapshot requests
// see.
func (h *Handler) publish(next *snapshot) {
	var all []route.Route[*target]
	for _, a := range next.apps {
		all = append(all, a.routes...)
	}
	next.table = route.NewTable(all)
	h.snap.Store(next)
}

func (h *Handler) maxBody(n int64) int64 {
	return limits.Pick(n, h.cfg.MaxBodyBytes, 0, h.cfg.MaxBodyCeiling)
}
