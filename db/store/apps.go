package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// App is a tenant.
type App struct {
	ID          int64
	Slug        string // unique; [a-z0-9-], 1–63 bytes, no leading or trailing "-"
	Description string
	Limits      Limits
	DebugOutput bool              // keep print/debug lines in invocation logs
	Env         map[string]string // handed to scripts as ctx.env
	Egress      Egress            // outbound HTTP from scripts
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Limits are an app's sandbox limits. Zero means "the server's default";
// the server clamps every value to its own ceiling.
type Limits struct {
	FuelPerInvocation   int64 // interpreter steps
	MemoryPages         int32 // 64 KiB WASM pages
	TimeoutMS           int32
	MaxCallDepth        int32
	MaxStringBytes      int32
	MaxArrayLen         int32
	MaxMapLen           int32
	MaxConcurrency      int32 // concurrent invocations
	MaxOutboundRequests int32 // per invocation
	MaxBodyBytes        int64 // request and response bodies
	KVQuotaBytes        int64
}

// Egress is an app's outbound HTTP policy (package egress); the request
// cap is Limits.MaxOutboundRequests.
type Egress struct {
	// Allowlist limits outbound requests to these hosts: exact names or
	// "*.example.com". Empty: any public host.
	Allowlist []string
	// AllowPrivate opts in to private addresses (RFC 1918, CGNAT, ULA).
	AllowPrivate bool
}

// Apps stores apps. Deleting one deletes everything it owns.
type Apps struct{ q *dbsqlc.Queries }

// Insert creates a (ErrConflict when the slug is taken). ID and times are
// ignored.
func (s *Apps) Insert(ctx context.Context, a App) (App, error) {
	env, err := encodeEnv(a.Env)
	if err != nil {
		return App{}, err
	}
	l := a.Limits
	row, err := s.q.AppInsert(ctx, dbsqlc.AppInsertParams{
		Slug: a.Slug, Description: a.Description,
		FuelPerInvocation: l.FuelPerInvocation, MemoryPages: l.MemoryPages, TimeoutMs: l.TimeoutMS,
		MaxCallDepth: l.MaxCallDepth, MaxStringBytes: l.MaxStringBytes, MaxArrayLen: l.MaxArrayLen,
		MaxMapLen: l.MaxMapLen, MaxConcurrency: l.MaxConcurrency, MaxOutboundRequests: l.MaxOutboundRequests,
		MaxBodyBytes: l.MaxBodyBytes, KvQuotaBytes: l.KVQuotaBytes, DebugOutput: a.DebugOutput, Env: env,
		EgressAllowlist: nonNil(a.Egress.Allowlist), EgressAllowPrivate: a.Egress.AllowPrivate,
	})
	if err != nil {
		return App{}, wrap(err, "insert app %q", a.Slug)
	}
	return appFrom(row)
}

// Get returns the app with the given id.
func (s *Apps) Get(ctx context.Context, id int64) (App, error) {
	row, err := s.q.AppGetByID(ctx, id)
	if err != nil {
		return App{}, wrap(err, "get app %d", id)
	}
	return appFrom(row)
}

// Lock returns the app with the given id and locks it until the
// transaction ends, for updates that read it first. Use it inside InTx.
func (s *Apps) Lock(ctx context.Context, id int64) (App, error) {
	row, err := s.q.AppGetForUpdate(ctx, id)
	if err != nil {
		return App{}, wrap(err, "lock app %d", id)
	}
	return appFrom(row)
}

// GetBySlug returns the app with the given slug.
func (s *Apps) GetBySlug(ctx context.Context, slug string) (App, error) {
	row, err := s.q.AppGetBySlug(ctx, slug)
	if err != nil {
		return App{}, wrap(err, "get app %q", slug)
	}
	return appFrom(row)
}

// List returns up to limit apps in slug order, after the slug after ("" for
// the first page).
func (s *Apps) List(ctx context.Context, after string, limit int32) ([]App, error) {
	rows, err := s.q.AppList(ctx, after, limit)
	if err != nil {
		return nil, wrap(err, "list apps")
	}
	out := make([]App, 0, len(rows))
	for _, r := range rows {
		a, err := appFrom(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Update replaces the description, limits, debug flag and env of the app
// a.ID; the slug is immutable.
func (s *Apps) Update(ctx context.Context, a App) (App, error) {
	env, err := encodeEnv(a.Env)
	if err != nil {
		return App{}, err
	}
	l := a.Limits
	row, err := s.q.AppUpdate(ctx, dbsqlc.AppUpdateParams{
		ID: a.ID, Description: a.Description,
		FuelPerInvocation: l.FuelPerInvocation, MemoryPages: l.MemoryPages, TimeoutMs: l.TimeoutMS,
		MaxCallDepth: l.MaxCallDepth, MaxStringBytes: l.MaxStringBytes, MaxArrayLen: l.MaxArrayLen,
		MaxMapLen: l.MaxMapLen, MaxConcurrency: l.MaxConcurrency, MaxOutboundRequests: l.MaxOutboundRequests,
		MaxBodyBytes: l.MaxBodyBytes, KvQuotaBytes: l.KVQuotaBytes, DebugOutput: a.DebugOutput, Env: env,
		EgressAllowlist: nonNil(a.Egress.Allowlist), EgressAllowPrivate: a.Egress.AllowPrivate,
	})
	if err != nil {
		return App{}, wrap(err, "update app %d", a.ID)
	}
	return appFrom(row)
}

// Delete deletes the app and everything it owns.
func (s *Apps) Delete(ctx context.Context, id int64) error {
	n, err := s.q.AppDelete(ctx, id)
	if err != nil {
		return wrap(err, "delete app %d", id)
	}
	if n == 0 {
		return notFound("delete app %d", id)
	}
	return nil
}

func encodeEnv(env map[string]string) ([]byte, error) {
	if env == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, &Error{Op: "encode app env", Kind: ErrInvalid, Err: err}
	}
	return b, nil
}

func appFrom(r dbsqlc.App) (App, error) {
	a := App{
		ID: r.ID, Slug: r.Slug, Description: r.Description, DebugOutput: r.DebugOutput,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Egress: Egress{Allowlist: r.EgressAllowlist, AllowPrivate: r.EgressAllowPrivate},
		Limits: Limits{
			FuelPerInvocation: r.FuelPerInvocation, MemoryPages: r.MemoryPages, TimeoutMS: r.TimeoutMs,
			MaxCallDepth: r.MaxCallDepth, MaxStringBytes: r.MaxStringBytes, MaxArrayLen: r.MaxArrayLen,
			MaxMapLen: r.MaxMapLen, MaxConcurrency: r.MaxConcurrency, MaxOutboundRequests: r.MaxOutboundRequests,
			MaxBodyBytes: r.MaxBodyBytes, KVQuotaBytes: r.KvQuotaBytes,
		},
	}
	if err := json.Unmarshal(r.Env, &a.Env); err != nil {
		return App{}, fmt.Errorf("store: app %d: env is not an object of strings: %w", r.ID, err)
	}
	return a, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
