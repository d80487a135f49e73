package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/db/store"
)

// Tokens: create (the secret is shown once), list, get, revoke. Every
// route needs the admin scope. An admin token restricted to one app manages
// only that app's tokens: it sees no others, and every token it creates is
// restricted to its app.

type tokenJSON struct {
	ID int64 `json:"id"`
	// Name is for people.
	Name string `json:"name"`
	// Prefix is the secret's first characters, to tell tokens apart.
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	// App is the app the token is restricted to; null for every app.
	App        *string    `json:"app"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
	// Status is active, expired or revoked.
	Status string `json:"status"`
}

// createdTokenJSON answers a creation: the only time the secret is shown.
type createdTokenJSON struct {
	tokenJSON
	Secret string `json:"secret"`
}

type createTokenRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// App restricts the token to one app.
	App *string `json:"app"`
	// ExpiresIn is a duration from now: "720h", "90m", or days as "30d".
	ExpiresIn *string `json:"expires_in"`
	// ExpiresAt is an RFC 3339 time.
	ExpiresAt *time.Time `json:"expires_at"`
}

const maxTokenName = 100

var daysRE = regexp.MustCompile(`^([0-9]{1,5})d$`)

// parseExpiresIn reads a Go duration or a number of days ("30d").
func parseExpiresIn(v string) (time.Duration, error) {
	if m := daysRE.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[1])
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) tokenFrom(t store.Token, app string) tokenJSON {
	out := tokenJSON{
		ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: t.Scopes,
		ExpiresAt: timePtr(t.ExpiresAt), RevokedAt: timePtr(t.RevokedAt), LastUsedAt: timePtr(t.LastUsedAt),
		CreatedAt: t.CreatedAt, Status: "active",
	}
	if app != "" {
		out.App = &app
	}
	switch {
	case !t.RevokedAt.IsZero():
		out.Status = "revoked"
	case !t.Usable(s.cfg.Now()):
		out.Status = "expired"
	}
	return out
}

// appSlugs names the apps of tokens by id.
func (s *Server) appSlugs(ctx context.Context, tokens []store.Token) (map[int64]string, error) {
	out := map[int64]string{}
	for _, t := range tokens {
		if t.AppID == 0 || out[t.AppID] != "" {
			continue
		}
		app, err := s.cfg.Store.Apps.Get(ctx, t.AppID)
		if err != nil {
			return nil, err
		}
		out[t.AppID] = app.Slug
	}
	return out, nil
}

// restrictedAppID is the id of the app the caller is restricted to, 0 when
// it is not.
func (s *Server) restrictedAppID(c *gin.Context) (int64, error) {
	p := principal(c)
	if p.App == "" {
		return 0, nil
	}
	app, err := s.cfg.Store.Apps.GetBySlug(c.Request.Context(), p.App)
	return app.ID, err
}

func (s *Server) createToken(c *gin.Context) {
	var req createTokenRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	t, appSlug, err := s.checkTokenRequest(c, req)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	secret := auth.NewSecret()
	t.Prefix, t.Hash = auth.DisplayPrefix(secret), secretHash(secret)
	created, err := s.cfg.Store.Tokens.Insert(c.Request.Context(), t)
	if err != nil {
		s.fail(c, err, appNotFound(appSlug))
		return
	}
	c.Header("Location", apiPrefix+"/tokens/"+strconv.FormatInt(created.ID, 10))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, createdTokenJSON{tokenJSON: s.tokenFrom(created, appSlug), Secret: secret})
}

// checkTokenRequest validates a creation and returns the token to store
// (without its secret) and the slug of its app.
func (s *Server) checkTokenRequest(c *gin.Context, req createTokenRequest) (store.Token, string, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > maxTokenName {
		return store.Token{}, "", invalidBody("/name", "required: 1 to %d characters that say what the token is for", maxTokenName)
	}
	scopes, err := auth.ParseScopes(req.Scopes)
	if err != nil {
		return store.Token{}, "", invalidBody("/scopes", "%v", err)
	}
	t := store.Token{Name: name, Scopes: scopeNames(scopes)}

	now := s.cfg.Now()
	switch {
	case req.ExpiresIn != nil && req.ExpiresAt != nil:
		return t, "", invalidBody("/expires_in", "give expires_in or expires_at, not both")
	case req.ExpiresIn != nil:
		d, err := parseExpiresIn(*req.ExpiresIn)
		if err != nil || d <= 0 {
			return t, "", invalidBody("/expires_in", `want a positive duration such as "720h", "90m" or "30d", got %q`, *req.ExpiresIn)
		}
		t.ExpiresAt = now.Add(d)
	case req.ExpiresAt != nil:
		if !req.ExpiresAt.After(now) {
			return t, "", invalidBody("/expires_at", "%s is not in the future", req.ExpiresAt.Format(time.RFC3339))
		}
		t.ExpiresAt = *req.ExpiresAt
	}

	// An app-restricted caller creates tokens for its app only; naming
	// another app is answered as for an app that does not exist.
	p := principal(c)
	appSlug := p.App
	if req.App != nil {
		if p.App != "" && *req.App != p.App {
			return t, "", appNotFound(*req.App)
		}
		appSlug = *req.App
	}
	if appSlug != "" {
		app, err := s.cfg.Store.Apps.GetBySlug(c.Request.Context(), appSlug)
		if err != nil {
			return t, "", notFoundAs(err, appNotFound(appSlug))
		}
		t.AppID = app.ID
	}
	return t, appSlug, nil
}

func (s *Server) listTokens(c *gin.Context) {
	limit, cur, err := pageParams(c, "tokens")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	appID, err := s.restrictedAppID(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	tokens, err := s.cfg.Store.Tokens.ListAfter(ctx, appID, cur.ID, limit+1)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	slugs, err := s.appSlugs(ctx, tokens)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[tokenJSON]{Items: []tokenJSON{}}
	for i, t := range tokens {
		if i == int(limit) {
			out.NextCursor = encodeCursor(cursorKey{List: "tokens", ID: tokens[i-1].ID})
			break
		}
		out.Items = append(out.Items, s.tokenFrom(t, slugs[t.AppID]))
	}
	c.JSON(http.StatusOK, out)
}

// loadToken finds the path's token among those the caller may manage.
func (s *Server) loadToken(c *gin.Context) (store.Token, *apiError, error) {
	raw := c.Param("id")
	notFound := problemf(http.StatusNotFound, CodeTokenNotFound, "no token %q", raw)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return store.Token{}, notFound, notFound
	}
	t, err := s.cfg.Store.Tokens.Get(c.Request.Context(), id)
	if err != nil {
		return t, notFound, notFoundAs(err, notFound)
	}
	appID, err := s.restrictedAppID(c)
	if err != nil {
		return t, notFound, err
	}
	if appID != 0 && t.AppID != appID {
		return store.Token{}, notFound, notFound
	}
	return t, notFound, nil
}

func (s *Server) getToken(c *gin.Context) {
	t, _, err := s.loadToken(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	slugs, err := s.appSlugs(c.Request.Context(), []store.Token{t})
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	c.JSON(http.StatusOK, s.tokenFrom(t, slugs[t.AppID]))
}

// revokeToken revokes a token; revoking a revoked token succeeds again.
// It refuses to revoke the last usable unrestricted admin token: nobody
// could create tokens after that.
func (s *Server) revokeToken(c *gin.Context) {
	t, notFound, err := s.loadToken(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	if !t.RevokedAt.IsZero() {
		c.Status(http.StatusNoContent)
		return
	}
	ctx := c.Request.Context()
	err = s.cfg.Store.InTx(ctx, func(st *store.Store) error {
		if t.AppID == 0 && slices.Contains(t.Scopes, string(auth.Admin)) && t.Usable(s.cfg.Now()) {
			all, err := st.Tokens.List(ctx)
			if err != nil {
				return err
			}
			others := 0
			for _, o := range all {
				if o.ID != t.ID && o.AppID == 0 && slices.Contains(o.Scopes, string(auth.Admin)) && o.Usable(s.cfg.Now()) {
					others++
				}
			}
			if others == 0 {
				return problemf(http.StatusConflict, CodeLastAdminToken,
					"token %d is the last usable admin token for every app: create another before revoking it", t.ID)
			}
		}
		return st.Tokens.Revoke(ctx, t.ID)
	})
	if errors.Is(err, store.ErrNotFound) {
		// Revoked meanwhile: the outcome the client asked for.
		err = nil
	}
	if err != nil {
		s.fail(c, err, notFound)
		return
	}
	c.Status(http.StatusNoContent)
}
