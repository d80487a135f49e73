package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/auth"
	"github.com/picloud/picloud/db/store"
)

// Authentication: every /api/v1 route but the OpenAPI document needs a
// bearer token ("Authorization: Bearer pct_…"). The store keeps only the
// token's hash (auth.Hash), so a request is authenticated by hashing the
// secret it presents and looking the hash up. Tokens carry scopes
// (auth.Principal.Has) and may be restricted to one app; a restricted token
// asking for another app's objects gets the same 404 as for objects that do
// not exist.

const (
	principalKey = "picloud.principal"
	appKey       = "picloud.app"
	// touchEvery is how stale a token's last_used_at may get: a token in
	// use causes at most one write per this interval.
	touchEvery = time.Minute
	realm      = `Bearer realm="picloud"`
)

// secretHash is the stored form of a secret: auth.Hash's hex, as bytes.
func secretHash(secret string) [32]byte {
	var h [32]byte
	// auth.Hash is 64 hex digits by construction.
	_, _ = hex.Decode(h[:], []byte(auth.Hash(secret)))
	return h
}

// bearerSecret returns the secret of an "Authorization: Bearer" header, or
// of ?access_token= when allowQuery is set (for EventSource clients, which
// cannot send headers).
func bearerSecret(c *gin.Context, allowQuery bool) (string, bool) {
	h := c.GetHeader("Authorization")
	if h == "" {
		if allowQuery {
			if t := c.Query("access_token"); t != "" {
				return t, true
			}
		}
		return "", false
	}
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}

func unauthenticated(code, detail string) *apiError {
	e := problemf(http.StatusUnauthorized, code, "%s", detail)
	challenge := realm
	if code == CodeInvalidToken {
		challenge += `, error="invalid_token", error_description="` + strings.ReplaceAll(detail, `"`, `'`) + `"`
	}
	e.header = http.Header{"Www-Authenticate": {challenge}}
	return e
}

// authenticate is the middleware that turns the bearer token into the
// request's auth.Principal, or answers 401.
func (s *Server) authenticate(allowQuery bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.principalFor(c, allowQuery)
		if err != nil {
			s.fail(c, err, nil)
			return
		}
		c.Set(principalKey, p)
		c.Next()
	}
}

func (s *Server) principalFor(c *gin.Context, allowQuery bool) (auth.Principal, error) {
	ctx := c.Request.Context()
	secret, ok := bearerSecret(c, allowQuery)
	if !ok {
		return auth.Principal{}, unauthenticated(CodeUnauthenticated,
			"this endpoint needs a token: send Authorization: Bearer <token>")
	}
	tok, err := s.cfg.Store.Tokens.GetByHash(ctx, secretHash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, unauthenticated(CodeInvalidToken, "the token is not valid")
	}
	if err != nil {
		return auth.Principal{}, err
	}
	now := s.cfg.Now()
	switch {
	case !tok.RevokedAt.IsZero():
		return auth.Principal{}, unauthenticated(CodeInvalidToken, "the token was revoked")
	case !tok.Usable(now):
		return auth.Principal{}, unauthenticated(CodeInvalidToken,
			fmt.Sprintf("the token expired at %s", tok.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	p := auth.Principal{TokenID: tok.ID, Name: tok.Name}
	for _, sc := range tok.Scopes {
		p.Scopes = append(p.Scopes, auth.Scope(sc))
	}
	if !tok.ExpiresAt.IsZero() {
		exp := tok.ExpiresAt
		p.ExpiresAt = &exp
	}
	if tok.AppID != 0 {
		app, err := s.cfg.Store.Apps.Get(ctx, tok.AppID)
		if errors.Is(err, store.ErrNotFound) {
			// Deleting an app deletes its tokens: this one went with it.
			return auth.Principal{}, unauthenticated(CodeInvalidToken, "the token is not valid")
		}
		if err != nil {
			return auth.Principal{}, err
		}
		p.App = app.Slug
	}
	if now.Sub(tok.LastUsedAt) >= touchEvery {
		// At most one write a minute per token; the query itself skips
		// the write when another node touched the token meanwhile.
		if err := s.cfg.Store.Tokens.Touch(ctx, tok.ID); err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "recording a token's use failed", "token_id", tok.ID, "err", err)
		}
	}
	return p, nil
}

// requireScope is the middleware that answers 403 unless the principal
// has scope.
func requireScope(scope auth.Scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !principal(c).Has(scope) {
			e := problemf(http.StatusForbidden, CodeInsufficientScope, "this needs a token with the %s scope", scope)
			e.doc.Scope = string(scope)
			e.header = http.Header{"Www-Authenticate": {realm + `, error="insufficient_scope", scope="` + string(scope) + `"`}}
			writeProblem(c, e)
			return
		}
		c.Next()
	}
}

// principal is the request's authenticated token.
func principal(c *gin.Context) auth.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(auth.Principal)
	return pr
}

// loadApp is the middleware of routes under /apps/:app: it loads the app
// into the request, answering 404 for a missing app and, identically, for
// an app the token may not see.
func (s *Server) loadApp(c *gin.Context) {
	slug := c.Param("app")
	if !principal(c).SeesApp(slug) {
		writeProblem(c, appNotFound(slug))
		return
	}
	app, err := s.cfg.Store.Apps.GetBySlug(c.Request.Context(), slug)
	if err != nil {
		s.fail(c, err, appNotFound(slug))
		return
	}
	c.Set(appKey, app)
	c.Next()
}

func appNotFound(slug string) *apiError {
	return problemf(http.StatusNotFound, CodeAppNotFound, "no app %q", slug)
}

// currentApp is the app loadApp loaded.
func currentApp(c *gin.Context) store.App {
	a, _ := c.Get(appKey)
	app, _ := a.(store.App)
	return app
}

// whoamiResponse describes the caller's token.
type whoamiResponse struct {
	TokenID   int64      `json:"token_id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	App       *string    `json:"app"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// whoami answers GET /api/v1/whoami: the token the request carries, so a
// client (the dashboard's sign-in, `picloud` commands) can check a token and
// learn what it may do.
func (s *Server) whoami(c *gin.Context) {
	p := principal(c)
	out := whoamiResponse{TokenID: p.TokenID, Name: p.Name, Scopes: scopeNames(p.Scopes), ExpiresAt: p.ExpiresAt}
	if p.App != "" {
		out.App = &p.App
	}
	c.JSON(http.StatusOK, out)
}

func scopeNames(scopes []auth.Scope) []string {
	out := make([]string, len(scopes))
	for i, sc := range scopes {
		out[i] = string(sc)
	}
	return out
}

// BootstrapTokenName is the name of the admin token Bootstrap creates.
const BootstrapTokenName = "bootstrap admin"

// Bootstrap makes sure a new installation can be administered: when the
// tokens table is empty it stores an unrestricted admin token and reports
// created. The token's secret is secretFromEnv when that is set (the
// operator's PICLOUD_ADMIN_TOKEN; only its hash is stored, and secret comes
// back empty since the operator has it), or else a fresh one that comes back
// as secret for the caller to show once. When any token exists, including
// revoked ones, Bootstrap does nothing and secretFromEnv is ignored: a
// token is created through the API, never by restarting the server.
// Several nodes starting at once on one database create one token between
// them.
func Bootstrap(ctx context.Context, st *store.Store, secretFromEnv string) (secret string, created bool, err error) {
	generated := secretFromEnv == ""
	secret = secretFromEnv
	if generated {
		secret = auth.NewSecret()
	} else if err := checkOperatorSecret(secret); err != nil {
		return "", false, err
	}
	_, created, err = st.Tokens.InsertFirst(ctx, store.Token{
		Name:   BootstrapTokenName,
		Prefix: auth.DisplayPrefix(secret),
		Hash:   secretHash(secret),
		Scopes: []string{string(auth.Admin)},
	})
	if err != nil {
		return "", false, fmt.Errorf("api: bootstrap the admin token: %w", err)
	}
	if !created || !generated {
		return "", created, nil
	}
	return secret, true, nil
}

// minOperatorSecret is the shortest admin secret an operator may choose.
const minOperatorSecret = 24

func checkOperatorSecret(secret string) error {
	if len(secret) < minOperatorSecret {
		return fmt.Errorf("api: the admin token secret is %d characters long: use at least %d random characters", len(secret), minOperatorSecret)
	}
	for _, r := range secret {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("api: the admin token secret contains a space or control character")
		}
	}
	return nil
}
