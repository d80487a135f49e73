package api

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
	"github.com/picloud/picloud/guest/syntax"
)

// Scripts and versions: upload (PUT or POST /apps/{app}/scripts/{script}),
// list, get, versions, one version's source, activate (rollback), delete.
// Every upload is a new immutable version that becomes the active one.

type scriptJSON struct {
	Name          string `json:"name"`
	ActiveVersion *int32 `json:"active_version"` // null before the first upload
	LatestVersion int32  `json:"latest_version"`
	// Endpoint is the URL where the script answers on the public listener
	// for any method: set while it has an active version and no trigger.
	Endpoint  *string   `json:"endpoint"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type scriptDetailJSON struct {
	scriptJSON
	Versions []versionJSON `json:"versions"` // newest first
}

type versionJSON struct {
	Number    int32     `json:"number"`
	SHA256    string    `json:"sha256"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	Source    *string   `json:"source,omitempty"` // one version's GET only
}

// uploadResponse answers an upload: the new version, which is now active.
type uploadResponse struct {
	App     string `json:"app"`
	Script  string `json:"script"`
	Version int32  `json:"version"`
	SHA256  string `json:"sha256"`
	// Active is always true: an upload activates its version.
	Active bool `json:"active"`
	// PreviousVersion is the version that was active before, null for a
	// script's first upload.
	PreviousVersion *int32 `json:"previous_version"`
	// Created says whether the upload created the script.
	Created bool `json:"created"`
	// Endpoint: see scriptJSON.Endpoint.
	Endpoint  *string   `json:"endpoint"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

type uploadRequest struct {
	Source *string `json:"source"`
}

var scriptNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func checkScriptName(name string) error {
	if scriptNameRE.MatchString(name) {
		return nil
	}
	return invalidParam("script", "%q is not a valid script name: use 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit", name)
}

func scriptNotFound(app, name string) *apiError {
	return problemf(http.StatusNotFound, CodeScriptNotFound, "app %q has no script %q", app, name)
}

// endpointURL is where a script answers by default: ANY /{app}/{script}
// on the public listener.
func (s *Server) endpointURL(app, script string) string {
	return s.cfg.PublicURL + "/" + url.PathEscape(app) + "/" + url.PathEscape(script)
}

func (s *Server) scriptFrom(app string, sc store.Script, hasTrigger bool) scriptJSON {
	out := scriptJSON{Name: sc.Name, LatestVersion: sc.LatestVersion, CreatedAt: sc.CreatedAt, UpdatedAt: sc.UpdatedAt}
	if sc.ActiveVersion != 0 {
		v := sc.ActiveVersion
		out.ActiveVersion = &v
		if !hasTrigger {
			u := s.endpointURL(app, sc.Name)
			out.Endpoint = &u
		}
	}
	return out
}

func versionFrom(v store.ScriptVersion, active int32) versionJSON {
	return versionJSON{Number: v.Number, SHA256: hex.EncodeToString(v.SHA256[:]), Active: v.Number == active, CreatedAt: v.CreatedAt}
}

// loadScript finds the script of the request's path in the current app.
func (s *Server) loadScript(c *gin.Context) (store.App, store.Script, error) {
	app := currentApp(c)
	name := c.Param("script")
	if !scriptNameRE.MatchString(name) {
		return app, store.Script{}, scriptNotFound(app.Slug, name)
	}
	sc, err := s.cfg.Store.Scripts.GetByName(c.Request.Context(), app.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return app, store.Script{}, scriptNotFound(app.Slug, name)
	}
	return app, sc, err
}

// hasTrigger reports whether the script has a trigger of any kind, enabled
// or not: such a script has no default endpoint.
func hasTrigger(ctx context.Context, st *store.Store, scriptID int64) (bool, error) {
	ts, err := st.Triggers.ListByScript(ctx, scriptID)
	return len(ts) > 0, err
}

func (s *Server) listScripts(c *gin.Context) {
	limit, cur, err := pageParams(c, "scripts")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	app := currentApp(c)
	ctx := c.Request.Context()
	scripts, err := s.cfg.Store.Scripts.ListAfter(ctx, app.ID, cur.Name, limit+1)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	triggers, err := s.cfg.Store.Triggers.List(ctx, app.ID, "")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	triggered := map[int64]bool{}
	for _, t := range triggers {
		triggered[t.ScriptID] = true
	}
	out := page[scriptJSON]{Items: []scriptJSON{}}
	for i, sc := range scripts {
		if i == int(limit) {
			out.NextCursor = encodeCursor(cursorKey{List: "scripts", Name: scripts[i-1].Name})
			break
		}
		out.Items = append(out.Items, s.scriptFrom(app.Slug, sc, triggered[sc.ID]))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getScript(c *gin.Context) {
	app, sc, err := s.loadScript(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	versions, err := s.cfg.Store.Scripts.Versions(ctx, sc.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	triggered, err := hasTrigger(ctx, s.cfg.Store, sc.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := scriptDetailJSON{scriptJSON: s.scriptFrom(app.Slug, sc, triggered), Versions: make([]versionJSON, len(versions))}
	for i, v := range versions {
		out.Versions[i] = versionFrom(v, sc.ActiveVersion)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) listVersions(c *gin.Context) {
	_, sc, err := s.loadScript(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	versions, err := s.cfg.Store.Scripts.Versions(c.Request.Context(), sc.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[versionJSON]{Items: make([]versionJSON, len(versions))}
	for i, v := range versions {
		out.Items[i] = versionFrom(v, sc.ActiveVersion)
	}
	c.JSON(http.StatusOK, out)
}

// versionParam reads the {version} path parameter.
func versionParam(c *gin.Context, app, script string) (int32, error) {
	v := c.Param("version")
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 {
		return 0, problemf(http.StatusNotFound, CodeVersionNotFound, "script %q of app %q has no version %q: versions are numbered from 1", script, app, v)
	}
	return int32(n), nil
}

func versionNotFound(app, script string, n int32) *apiError {
	return problemf(http.StatusNotFound, CodeVersionNotFound, "script %q of app %q has no version %d", script, app, n)
}

// getVersion answers one version with its source, as JSON, or as the bare
// source when the client asks for text/plain.
func (s *Server) getVersion(c *gin.Context) {
	app, sc, err := s.loadScript(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	n, err := versionParam(c, app.Slug, sc.Name)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	v, err := s.cfg.Store.Scripts.Version(c.Request.Context(), sc.ID, n)
	if err != nil {
		s.fail(c, err, versionNotFound(app.Slug, sc.Name, n))
		return
	}
	if c.NegotiateFormat(gin.MIMEJSON, gin.MIMEPlain) == gin.MIMEPlain {
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(v.Source))
		return
	}
	out := versionFrom(v, sc.ActiveVersion)
	out.Source = &v.Source
	c.JSON(http.StatusOK, out)
}

// activateVersion makes an existing version the active one: a rollback,
// or a roll forward again.
func (s *Server) activateVersion(c *gin.Context) {
	app, sc, err := s.loadScript(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	n, err := versionParam(c, app.Slug, sc.Name)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	var triggered bool
	err = s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		var err error
		if sc, err = st.Scripts.Activate(ctx, sc.ID, n); err != nil {
			return err
		}
		triggered, err = hasTrigger(ctx, st, sc.ID)
		return err
	})
	if err != nil {
		s.fail(c, err, versionNotFound(app.Slug, sc.Name, n))
		return
	}
	c.JSON(http.StatusOK, s.scriptFrom(app.Slug, sc, triggered))
}

func (s *Server) deleteScript(c *gin.Context) {
	app, sc, err := s.loadScript(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	err = s.changeRoutes(ctx, app.ID, func(st *store.Store) error { return st.Scripts.Delete(ctx, sc.ID) })
	if err != nil {
		s.fail(c, err, scriptNotFound(app.Slug, sc.Name))
		return
	}
	c.Status(http.StatusNoContent)
}

// uploadScript stores the body as the script's next version and activates
// it, creating the script on its first upload. The body is JSON
// {"source": "..."} or, for curl users, the bare source as text/plain. A
// source that does not parse is rejected with its position and nothing is
// stored.
func (s *Server) uploadScript(c *gin.Context) {
	app := currentApp(c)
	name := c.Param("script")
	if err := checkScriptName(name); err != nil {
		s.fail(c, err, nil)
		return
	}
	source, err := s.scriptSource(c)
	if err == nil {
		err = checkSource(name, source)
	}
	if err != nil {
		s.fail(c, err, nil)
		return
	}

	ctx := c.Request.Context()
	var (
		sc        store.Script
		v         store.ScriptVersion
		previous  int32
		created   bool
		triggered bool
	)
	upload := func(st *store.Store) error {
		var err error
		sc, err = st.Scripts.GetByName(ctx, app.ID, name)
		created = errors.Is(err, store.ErrNotFound)
		if created {
			sc, err = st.Scripts.Insert(ctx, app.ID, name)
		}
		if err != nil {
			return err
		}
		previous = sc.ActiveVersion
		if v, err = st.Scripts.AddVersion(ctx, sc.ID, source); err != nil {
			return err
		}
		if sc, err = st.Scripts.Activate(ctx, sc.ID, v.Number); err != nil {
			return err
		}
		triggered, err = hasTrigger(ctx, st, sc.ID)
		return err
	}
	err = s.changeRoutes(ctx, app.ID, upload)
	if errors.Is(err, store.ErrConflict) {
		// A concurrent first upload created the script: now it exists.
		err = s.changeRoutes(ctx, app.ID, upload)
	}
	if errors.Is(err, store.ErrConflict) {
		err = problemf(http.StatusConflict, CodeConflict, "concurrent uploads of %s/%s collided: retry", app.Slug, name)
	}
	if err != nil {
		s.fail(c, err, appNotFound(app.Slug))
		return
	}

	out := uploadResponse{
		App: app.Slug, Script: sc.Name, Version: v.Number, SHA256: hex.EncodeToString(v.SHA256[:]),
		Active: true, Created: created, CreatedAt: v.CreatedAt,
		Endpoint: s.scriptFrom(app.Slug, sc, triggered).Endpoint,
	}
	if previous != 0 {
		out.PreviousVersion = &previous
	}
	out.Message = fmt.Sprintf("version %d of %s/%s is now active", v.Number, app.Slug, sc.Name)
	if out.Endpoint != nil {
		out.Message += "; it answers any method at " + *out.Endpoint
	}
	c.Header("Location", fmt.Sprintf("%s/apps/%s/scripts/%s/versions/%d", apiPrefix, app.Slug, sc.Name, v.Number))
	c.JSON(http.StatusCreated, out)
}

// scriptSource reads an upload's source from a JSON or a text/plain body.
func (s *Server) scriptSource(c *gin.Context) (string, error) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "text/plain" {
		body, err := s.readBody(c)
		if err != nil {
			return "", err
		}
		if !utf8.Valid(body) {
			return "", invalidBody("", "the source is not valid UTF-8")
		}
		return string(body), nil
	}
	if !isJSON(c.ContentType()) {
		return "", problemf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			`send the source as JSON {"source": "..."} with Content-Type: application/json, or as the body with Content-Type: text/plain (got %s)`, c.ContentType())
	}
	var req uploadRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return "", err
	}
	if req.Source == nil {
		return "", invalidBody("/source", "required: the script's Rhai source")
	}
	return *req.Source, nil
}

// checkSource compiles source the way the sandbox will, and turns a parse
// error into a 400 that points at it.
func checkSource(name, source string) error {
	if strings.TrimSpace(source) == "" {
		return invalidBody("/source", "the source is empty")
	}
	_, err := rhai.Compile(name, source, rhai.Options{})
	if err == nil {
		return nil
	}
	var line, col int
	msg := err.Error()
	var se *syntax.Error
	var ee *eval.Error
	switch {
	case errors.As(err, &se):
		line, col, msg = int(se.Pos.Line), int(se.Pos.Col), se.Msg
	case errors.As(err, &ee):
		line, col, msg = int(ee.Pos.Line), int(ee.Pos.Col), ee.Msg
	}
	e := problemf(http.StatusBadRequest, CodeScriptParseError, "the script does not parse: %s:%d:%d: %s", name, line, col, msg)
	e.doc.Line, e.doc.Column, e.doc.Message, e.doc.Rendered = line, col, msg, err.Error()
	return e
}
