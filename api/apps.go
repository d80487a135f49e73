package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/egress"
)

// Apps: POST /apps, GET /apps, GET/PATCH/DELETE /apps/{app}.

// limitsJSON is an app's sandbox limits; 0 means the server's default.
type limitsJSON struct {
	FuelPerInvocation   int64 `json:"fuel_per_invocation"`
	MemoryPages         int32 `json:"memory_pages"`
	TimeoutMS           int32 `json:"timeout_ms"`
	MaxCallDepth        int32 `json:"max_call_depth"`
	MaxStringBytes      int32 `json:"max_string_bytes"`
	MaxArrayLen         int32 `json:"max_array_len"`
	MaxMapLen           int32 `json:"max_map_len"`
	MaxConcurrency      int32 `json:"max_concurrency"`
	MaxOutboundRequests int32 `json:"max_outbound_requests"`
	MaxBodyBytes        int64 `json:"max_body_bytes"`
	KVQuotaBytes        int64 `json:"kv_quota_bytes"`
}

// limitsPatch is limitsJSON in a PATCH: absent members stay as they are.
type limitsPatch struct {
	FuelPerInvocation   *int64 `json:"fuel_per_invocation"`
	MemoryPages         *int32 `json:"memory_pages"`
	TimeoutMS           *int32 `json:"timeout_ms"`
	MaxCallDepth        *int32 `json:"max_call_depth"`
	MaxStringBytes      *int32 `json:"max_string_bytes"`
	MaxArrayLen         *int32 `json:"max_array_len"`
	MaxMapLen           *int32 `json:"max_map_len"`
	MaxConcurrency      *int32 `json:"max_concurrency"`
	MaxOutboundRequests *int32 `json:"max_outbound_requests"`
	MaxBodyBytes        *int64 `json:"max_body_bytes"`
	KVQuotaBytes        *int64 `json:"kv_quota_bytes"`
}

// egressJSON is an app's outbound HTTP policy: the hosts its scripts may
// call (exact names or "*.example.com"; empty: any public host) and its
// opt-in to private addresses. The request cap is
// limits.max_outbound_requests.
type egressJSON struct {
	Allowlist    []string `json:"allowlist"`
	AllowPrivate bool     `json:"allow_private"`
}

// egressPatch is egressJSON in a PATCH: absent members stay as they are;
// an allowlist replaces the whole list.
type egressPatch struct {
	Allowlist    *[]string `json:"allowlist"`
	AllowPrivate *bool     `json:"allow_private"`
}

type appJSON struct {
	Slug        string            `json:"slug"`
	Description string            `json:"description"`
	Limits      limitsJSON        `json:"limits"`
	DebugOutput bool              `json:"debug_output"`
	Env         map[string]string `json:"env"`
	Egress      egressJSON        `json:"egress"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

type createAppRequest struct {
	Slug        string            `json:"slug"`
	Description string            `json:"description"`
	Limits      *limitsJSON       `json:"limits"`
	DebugOutput bool              `json:"debug_output"`
	Env         map[string]string `json:"env"`
	Egress      *egressJSON       `json:"egress"`
}

// updateAppRequest is a PATCH: absent members stay as they are. Env is
// merged: a string sets a variable, null removes it.
type updateAppRequest struct {
	Description *string            `json:"description"`
	Limits      *limitsPatch       `json:"limits"`
	DebugOutput *bool              `json:"debug_output"`
	Env         map[string]*string `json:"env"`
	Egress      *egressPatch       `json:"egress"`
}

func appFrom(a store.App) appJSON {
	l := a.Limits
	env := a.Env
	if env == nil {
		env = map[string]string{}
	}
	allow := a.Egress.Allowlist
	if allow == nil {
		allow = []string{}
	}
	return appJSON{
		Slug: a.Slug, Description: a.Description, DebugOutput: a.DebugOutput, Env: env,
		Egress:    egressJSON{Allowlist: allow, AllowPrivate: a.Egress.AllowPrivate},
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		Limits: limitsJSON{
			FuelPerInvocation: l.FuelPerInvocation, MemoryPages: l.MemoryPages, TimeoutMS: l.TimeoutMS,
			MaxCallDepth: l.MaxCallDepth, MaxStringBytes: l.MaxStringBytes, MaxArrayLen: l.MaxArrayLen,
			MaxMapLen: l.MaxMapLen, MaxConcurrency: l.MaxConcurrency, MaxOutboundRequests: l.MaxOutboundRequests,
			MaxBodyBytes: l.MaxBodyBytes, KVQuotaBytes: l.KVQuotaBytes,
		},
	}
}

func (l limitsJSON) store() store.Limits {
	return store.Limits{
		FuelPerInvocation: l.FuelPerInvocation, MemoryPages: l.MemoryPages, TimeoutMS: l.TimeoutMS,
		MaxCallDepth: l.MaxCallDepth, MaxStringBytes: l.MaxStringBytes, MaxArrayLen: l.MaxArrayLen,
		MaxMapLen: l.MaxMapLen, MaxConcurrency: l.MaxConcurrency, MaxOutboundRequests: l.MaxOutboundRequests,
		MaxBodyBytes: l.MaxBodyBytes, KVQuotaBytes: l.KVQuotaBytes,
	}
}

// apply sets the members p has on l.
func (p *limitsPatch) apply(l *store.Limits) {
	set64 := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set32 := func(dst *int32, v *int32) {
		if v != nil {
			*dst = *v
		}
	}
	set64(&l.FuelPerInvocation, p.FuelPerInvocation)
	set32(&l.MemoryPages, p.MemoryPages)
	set32(&l.TimeoutMS, p.TimeoutMS)
	set32(&l.MaxCallDepth, p.MaxCallDepth)
	set32(&l.MaxStringBytes, p.MaxStringBytes)
	set32(&l.MaxArrayLen, p.MaxArrayLen)
	set32(&l.MaxMapLen, p.MaxMapLen)
	set32(&l.MaxConcurrency, p.MaxConcurrency)
	set32(&l.MaxOutboundRequests, p.MaxOutboundRequests)
	set64(&l.MaxBodyBytes, p.MaxBodyBytes)
	set64(&l.KVQuotaBytes, p.KVQuotaBytes)
}

// maxMemoryPages is the most 64 KiB pages a WebAssembly memory can have.
const maxMemoryPages = 65536

func checkLimits(l store.Limits) error {
	fields := []struct {
		name string
		v    int64
	}{
		{"fuel_per_invocation", l.FuelPerInvocation}, {"memory_pages", int64(l.MemoryPages)},
		{"timeout_ms", int64(l.TimeoutMS)}, {"max_call_depth", int64(l.MaxCallDepth)},
		{"max_string_bytes", int64(l.MaxStringBytes)}, {"max_array_len", int64(l.MaxArrayLen)},
		{"max_map_len", int64(l.MaxMapLen)}, {"max_concurrency", int64(l.MaxConcurrency)},
		{"max_outbound_requests", int64(l.MaxOutboundRequests)}, {"max_body_bytes", l.MaxBodyBytes},
		{"kv_quota_bytes", l.KVQuotaBytes},
	}
	for _, f := range fields {
		if f.v < 0 {
			return invalidBody("/limits/"+f.name, "must not be negative (0 means the server's default), got %d", f.v)
		}
	}
	if l.MemoryPages > maxMemoryPages {
		return invalidBody("/limits/memory_pages", "at most %d pages of 64 KiB (4 GiB), got %d", maxMemoryPages, l.MemoryPages)
	}
	return nil
}

var slugRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func checkSlug(slug string) error {
	if slugRE.MatchString(slug) {
		return nil
	}
	why := "use 1 to 63 of a-z, 0-9 and -, not starting or ending with -"
	if slug == "" {
		why = "required: " + why
	}
	return invalidBody("/slug", "%q is not a valid app slug: %s", slug, why)
}

const maxDescription = 1000

func checkDescription(d string) error {
	if n := utf8.RuneCountInString(d); n > maxDescription {
		return invalidBody("/description", "at most %d characters, got %d", maxDescription, n)
	}
	return nil
}

// Env limits: what ctx.env may hold.
const (
	maxEnvVars     = 100
	maxEnvValueLen = 8 << 10
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func checkEnv(env map[string]string) error {
	if len(env) > maxEnvVars {
		return invalidBody("/env", "at most %d variables, got %d", maxEnvVars, len(env))
	}
	for k, v := range env {
		if !envNameRE.MatchString(k) {
			return invalidBody("/env/"+k, "%q is not a valid variable name: use letters, digits and _, not starting with a digit, at most 128", k)
		}
		if len(v) > maxEnvValueLen {
			return invalidBody("/env/"+k, "the value is %d bytes, at most %d", len(v), maxEnvValueLen)
		}
	}
	return nil
}

// maxAllowlist is the most hosts an app's egress allowlist holds (the
// database's apps_egress_allowlist_length).
const maxAllowlist = 100

func checkEgress(e store.Egress) error {
	if len(e.Allowlist) > maxAllowlist {
		return invalidBody("/egress/allowlist", "at most %d hosts, got %d", maxAllowlist, len(e.Allowlist))
	}
	for i, h := range e.Allowlist {
		if err := egress.ValidatePattern(h); err != nil {
			return invalidBody(fmt.Sprintf("/egress/allowlist/%d", i), "%q is not a host name, IP address or *.domain pattern", h)
		}
	}
	return nil
}

func (s *Server) createApp(c *gin.Context) {
	if p := principal(c); p.App != "" {
		writeProblem(c, problemf(http.StatusForbidden, CodeAppRestricted, "a token restricted to app %q cannot create apps", p.App))
		return
	}
	var req createAppRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	a := store.App{Slug: req.Slug, Description: req.Description, DebugOutput: req.DebugOutput, Env: req.Env}
	if req.Limits != nil {
		a.Limits = req.Limits.store()
	}
	if req.Egress != nil {
		a.Egress = store.Egress{Allowlist: req.Egress.Allowlist, AllowPrivate: req.Egress.AllowPrivate}
	}
	for _, err := range []error{checkSlug(a.Slug), checkDescription(a.Description), checkLimits(a.Limits), checkEnv(a.Env), checkEgress(a.Egress)} {
		if err != nil {
			s.fail(c, err, nil)
			return
		}
	}
	app, err := s.cfg.Store.Apps.Insert(c.Request.Context(), a)
	if errors.Is(err, store.ErrConflict) {
		err = problemf(http.StatusConflict, CodeAppExists, "an app named %q exists", a.Slug)
	}
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	c.Header("Location", apiPrefix+"/apps/"+app.Slug)
	c.JSON(http.StatusCreated, appFrom(app))
}

func (s *Server) listApps(c *gin.Context) {
	limit, cur, err := pageParams(c, "apps")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	var apps []store.App
	if p := principal(c); p.App != "" {
		// A restricted token lists its one app.
		if p.App > cur.Name {
			app, err := s.cfg.Store.Apps.GetBySlug(ctx, p.App)
			if err != nil {
				s.fail(c, err, nil)
				return
			}
			apps = append(apps, app)
		}
	} else if apps, err = s.cfg.Store.Apps.List(ctx, cur.Name, limit+1); err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[appJSON]{Items: []appJSON{}}
	for i, a := range apps {
		if i == int(limit) {
			out.NextCursor = encodeCursor(cursorKey{List: "apps", Name: apps[i-1].Slug})
			break
		}
		out.Items = append(out.Items, appFrom(a))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getApp(c *gin.Context) {
	c.JSON(http.StatusOK, appFrom(currentApp(c)))
}

func (s *Server) updateApp(c *gin.Context) {
	var req updateAppRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	app := currentApp(c)
	ctx := c.Request.Context()
	var updated store.App
	// The ingress keeps each app's limits and env in memory: it reloads
	// them when told the app changed.
	err := s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		// Locked, so that two PATCHes of different variables both land.
		a, err := st.Apps.Lock(ctx, app.ID)
		if err != nil {
			return err
		}
		if err := req.apply(&a); err != nil {
			return err
		}
		updated, err = st.Apps.Update(ctx, a)
		return err
	})
	if err != nil {
		s.fail(c, err, appNotFound(app.Slug))
		return
	}
	c.JSON(http.StatusOK, appFrom(updated))
}

// apply applies the patch to a and validates the result.
func (req *updateAppRequest) apply(a *store.App) error {
	if req.Description != nil {
		a.Description = *req.Description
	}
	if req.Limits != nil {
		req.Limits.apply(&a.Limits)
	}
	if req.DebugOutput != nil {
		a.DebugOutput = *req.DebugOutput
	}
	if req.Env != nil {
		env := maps.Clone(a.Env)
		if env == nil {
			env = map[string]string{}
		}
		for k, v := range req.Env {
			if v == nil {
				delete(env, k)
			} else {
				env[k] = *v
			}
		}
		a.Env = env
	}
	if req.Egress != nil {
		if req.Egress.Allowlist != nil {
			a.Egress.Allowlist = *req.Egress.Allowlist
		}
		if req.Egress.AllowPrivate != nil {
			a.Egress.AllowPrivate = *req.Egress.AllowPrivate
		}
	}
	for _, err := range []error{checkDescription(a.Description), checkLimits(a.Limits), checkEnv(a.Env), checkEgress(a.Egress)} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) deleteApp(c *gin.Context) {
	app := currentApp(c)
	ctx := c.Request.Context()
	err := s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		return st.Apps.Delete(ctx, app.ID)
	})
	if err != nil {
		s.fail(c, err, appNotFound(app.Slug))
		return
	}
	c.Status(http.StatusNoContent)
}

// changeRoutes runs fn in a transaction and announces, in the same
// transaction, that what the app's endpoints run changed
// (store.NotifyRoutes): its triggers, scripts, limits or variables.
func (s *Server) changeRoutes(ctx context.Context, appID int64, fn func(st *store.Store) error) error {
	return s.cfg.Store.InTx(ctx, func(st *store.Store) error {
		if err := fn(st); err != nil {
			return err
		}
		if err := st.NotifyRoutes(ctx, appID); err != nil {
			return fmt.Errorf("announce the route change: %w", err)
		}
		return nil
	})
}
