package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
)

// The KV browser: GET /apps/{app}/kv lists keys by prefix, GET, PUT and
// DELETE /apps/{app}/kv/{key} read and edit one. Edits are committed like
// a script's (package effects): the size limits and the app's quota apply
// and the app's kv triggers fire.

// kvEntryJSON is one key.
type kvEntryJSON struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	UpdatedAt *time.Time      `json:"updated_at,omitempty"`
}

// kvPutRequest is PUT /apps/{app}/kv/{key}.
type kvPutRequest struct {
	// Value is any JSON value.
	Value json.RawMessage `json:"value"`
}

// keyParam reads the {key} path parameter.
func keyParam(c *gin.Context) (string, error) {
	key := c.Param("key")
	if key == "" || len(key) > 1024 || !utf8.ValidString(key) {
		return "", invalidParam("key", "want 1 to 1024 bytes of UTF-8 (escape / as %%2F)")
	}
	return key, nil
}

func kvKeyNotFound(app, key string) *apiError {
	return problemf(http.StatusNotFound, CodeKVKeyNotFound, "app %q has no KV key %q", app, key)
}

func (s *Server) listKV(c *gin.Context) {
	app := currentApp(c)
	limit, cur, err := pageParams(c, "kv")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	prefix := c.Query("prefix")
	if len(prefix) > 1024 || !utf8.ValidString(prefix) {
		s.fail(c, invalidParam("prefix", "want at most 1024 bytes of UTF-8"), nil)
		return
	}
	rows, err := s.cfg.Store.KV.List(c.Request.Context(), app.ID, prefix, cur.Name, limit+1)
	if errors.Is(err, store.ErrInvalid) {
		s.fail(c, invalidParam("prefix", "%q cannot be listed", prefix), nil)
		return
	}
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[kvEntryJSON]{Items: []kvEntryJSON{}}
	for i, r := range rows {
		if i == int(limit) {
			out.NextCursor = encodeCursor(cursorKey{List: "kv", Name: rows[i-1].Key})
			break
		}
		at := r.UpdatedAt
		out.Items = append(out.Items, kvEntryJSON{Key: r.Key, Value: r.Value, UpdatedAt: &at})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getKV(c *gin.Context) {
	app := currentApp(c)
	key, err := keyParam(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	e, err := s.cfg.Store.KV.Get(c.Request.Context(), app.ID, key)
	if err != nil {
		s.fail(c, err, kvKeyNotFound(app.Slug, key))
		return
	}
	c.JSON(http.StatusOK, kvEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: &e.UpdatedAt})
}

func (s *Server) putKV(c *gin.Context) {
	app := currentApp(c)
	key, err := keyParam(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	var req kvPutRequest
	if err := s.decodeJSON(c, &req); err != nil {
		s.fail(c, err, nil)
		return
	}
	if len(req.Value) == 0 {
		s.fail(c, invalidBody("/value", "required: any JSON value"), nil)
		return
	}
	ctx := c.Request.Context()
	stage := s.cfg.Effects.Stage(app)
	if err := stage.Set(ctx, key, compact(req.Value)); err != nil {
		s.fail(c, stageProblem(err, "/value"), nil)
		return
	}
	if _, err := s.cfg.Effects.Commit(ctx, stage); err != nil {
		s.fail(c, commitProblem(err), nil)
		return
	}
	e, err := s.cfg.Store.KV.Get(ctx, app.ID, key)
	if err != nil {
		s.fail(c, err, kvKeyNotFound(app.Slug, key)) // deleted meanwhile
		return
	}
	c.JSON(http.StatusOK, kvEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: &e.UpdatedAt})
}

func (s *Server) deleteKV(c *gin.Context) {
	app := currentApp(c)
	key, err := keyParam(c)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	stage := s.cfg.Effects.Stage(app)
	if err := stage.Delete(ctx, key); err != nil {
		s.fail(c, stageProblem(err, ""), nil)
		return
	}
	sum, err := s.cfg.Effects.Commit(ctx, stage)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	if sum.KVWrites == 0 {
		s.fail(c, kvKeyNotFound(app.Slug, key), nil)
		return
	}
	c.Status(http.StatusNoContent)
}
