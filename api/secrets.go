package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
)

// Variables and secrets, one at a time: PUT/DELETE /apps/{app}/env/{name},
// GET /apps/{app}/secrets, PUT/DELETE /apps/{app}/secrets/{name}.
//
// Both reach scripts as ctx.env; a secret shadows a variable of the same
// name. Variables are plain (the app's env, as in its PATCH); secrets are
// write-only: stored encrypted under the server's key (Config.Secrets), and
// no response, log line or invocation record ever holds a value.

// SecretBox seals secret values; *secrets.Box is one.
type SecretBox interface {
	Seal(appID int64, name string, value []byte) []byte
}

// maxSecrets is the most secrets an app holds.
const maxSecrets = 100

type valueRequest struct {
	Value *string `json:"value"`
}

type secretJSON struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// decodeValue reads {"value": "..."} and checks the name and value.
func (s *Server) decodeValue(c *gin.Context, name string) (string, error) {
	var req valueRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return "", err
	}
	if req.Value == nil {
		return "", invalidBody("/value", "required: the value, a string")
	}
	if !envNameRE.MatchString(name) {
		return "", invalidBody("/name", "%q is not a valid variable name: use letters, digits and _, not starting with a digit, at most 128", name)
	}
	if len(*req.Value) > maxEnvValueLen {
		return "", invalidBody("/value", "the value is %d bytes, at most %d", len(*req.Value), maxEnvValueLen)
	}
	return *req.Value, nil
}

func (s *Server) putEnv(c *gin.Context) {
	name := c.Param("name")
	value, err := s.decodeValue(c, name)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	s.patchEnv(c, name, &value)
}

func (s *Server) deleteEnv(c *gin.Context) {
	s.patchEnv(c, c.Param("name"), nil)
}

// patchEnv is the app PATCH of one variable (nil: remove it).
func (s *Server) patchEnv(c *gin.Context, name string, value *string) {
	app := currentApp(c)
	ctx := c.Request.Context()
	var updated store.App
	err := s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		a, err := st.Apps.Lock(ctx, app.ID)
		if err != nil {
			return err
		}
		if _, ok := a.Env[name]; !ok && value == nil {
			return problemf(http.StatusNotFound, CodeNotFound, "app %q has no variable %q", app.Slug, name)
		}
		req := updateAppRequest{Env: map[string]*string{name: value}}
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
	if value == nil {
		c.Status(http.StatusNoContent)
		return
	}
	c.JSON(http.StatusOK, appFrom(updated))
}

func (s *Server) secretsUnavailable(c *gin.Context) bool {
	if s.cfg.Secrets == nil {
		writeProblem(c, problemf(http.StatusServiceUnavailable, CodeUnavailable, "this server has no secret key"))
		return true
	}
	return false
}

func (s *Server) listSecrets(c *gin.Context) {
	app := currentApp(c)
	list, err := s.cfg.Store.Secrets.List(c.Request.Context(), app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	out := page[secretJSON]{Items: make([]secretJSON, len(list))}
	for i, sc := range list {
		out.Items[i] = secretJSON{Name: sc.Name, CreatedAt: sc.CreatedAt, UpdatedAt: sc.UpdatedAt}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) putSecret(c *gin.Context) {
	if s.secretsUnavailable(c) {
		return
	}
	app := currentApp(c)
	name := c.Param("name")
	value, err := s.decodeValue(c, name)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	ctx := c.Request.Context()
	sealed := s.cfg.Secrets.Seal(app.ID, name, []byte(value))
	var created bool
	err = s.cfg.Store.InTx(ctx, func(st *store.Store) error {
		if _, err := st.Apps.Lock(ctx, app.ID); err != nil { // serializes the count check
			return err
		}
		list, err := st.Secrets.List(ctx, app.ID)
		if err != nil {
			return err
		}
		if len(list) >= maxSecrets {
			exists := false
			for _, sc := range list {
				exists = exists || sc.Name == name
			}
			if !exists {
				return invalidBody("/name", "app %q has %d secrets, the most it may hold", app.Slug, maxSecrets)
			}
		}
		created, err = st.Secrets.Put(ctx, app.ID, name, sealed)
		if err != nil {
			return err
		}
		return st.NotifyRoutes(ctx, app.ID)
	})
	if err != nil {
		s.fail(c, err, appNotFound(app.Slug))
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, secretJSON{Name: name, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()})
}

func (s *Server) deleteSecret(c *gin.Context) {
	app := currentApp(c)
	name := c.Param("name")
	ctx := c.Request.Context()
	err := s.changeRoutes(ctx, app.ID, func(st *store.Store) error {
		return st.Secrets.Delete(ctx, app.ID, name)
	})
	if errors.Is(err, store.ErrNotFound) {
		err = problemf(http.StatusNotFound, CodeNotFound, "app %q has no secret %q", app.Slug, name)
	}
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	c.Status(http.StatusNoContent)
}
