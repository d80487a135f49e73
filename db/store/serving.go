package store

import (
	"context"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// What the public router loads: every app's enabled HTTP routes and the
// scripts it can run, with the hash of each active version so that it reads
// a version's source only once.

// ServingScript is a script that has an active version.
type ServingScript struct {
	ID         int64
	AppID      int64
	Name       string
	VersionID  int64 // the active version's row id
	Version    int32 // the active version's number
	SHA256     [32]byte
	HasTrigger bool // the script has a trigger of any kind, enabled or not
}

// ServingRoute is an enabled HTTP trigger with its app.
type ServingRoute struct {
	AppID int64
	HTTPRoute
}

// Serving returns the scripts that have an active version: those of app
// appID, or of every app when appID is 0. They come ordered by app, then
// name.
func (s *Scripts) Serving(ctx context.Context, appID int64) ([]ServingScript, error) {
	rows, err := s.q.ScriptListServing(ctx, ptr(appID))
	if err != nil {
		return nil, wrap(err, "list the active scripts of app %d", appID)
	}
	out := make([]ServingScript, len(rows))
	for i, r := range rows {
		out[i] = ServingScript{
			ID: r.ID, AppID: r.AppID, Name: r.Name, VersionID: r.VersionID, Version: r.Number,
			HasTrigger: r.HasTrigger,
		}
		copy(out[i].SHA256[:], r.Sha256)
	}
	return out, nil
}

// Sources returns the source of each version whose row id is listed, by id.
// Ids of versions that do not exist are left out.
func (s *Scripts) Sources(ctx context.Context, versionIDs []int64) (map[int64]string, error) {
	rows, err := s.q.ScriptVersionSources(ctx, versionIDs)
	if err != nil {
		return nil, wrap(err, "read the source of %d versions", len(versionIDs))
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Source
	}
	return out, nil
}

// ServingRoutes returns the enabled HTTP routes of app appID, or of every
// app when appID is 0, ordered by app, path and method.
func (s *Triggers) ServingRoutes(ctx context.Context, appID int64) ([]ServingRoute, error) {
	rows, err := s.q.TriggerHTTPListServing(ctx, ptr(appID))
	if err != nil {
		return nil, wrap(err, "list the HTTP routes of app %d", appID)
	}
	out := make([]ServingRoute, len(rows))
	for i, r := range rows {
		out[i] = servingRoute(r)
	}
	return out, nil
}

func servingRoute(r dbsqlc.TriggerHTTPListServingRow) ServingRoute {
	return ServingRoute{AppID: r.AppID, HTTPRoute: HTTPRoute{TriggerID: r.TriggerID, ScriptID: r.ScriptID, Method: r.Method, Path: r.Path}}
}
