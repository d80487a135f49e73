package client

import (
	"context"
	"net/http"
	"time"
)

// SetEnv sets one of app's variables (ctx.env.NAME) and returns the app.
func (c *Client) SetEnv(ctx context.Context, app, name, value string) (App, error) {
	var out App
	err := c.call(ctx, http.MethodPut, "/apps/"+pathEscape(app)+"/env/"+pathEscape(name), nil, map[string]any{"value": value}, &out)
	return out, err
}

// UnsetEnv removes one of app's variables (not_found when absent).
func (c *Client) UnsetEnv(ctx context.Context, app, name string) error {
	return c.call(ctx, http.MethodDelete, "/apps/"+pathEscape(app)+"/env/"+pathEscape(name), nil, nil, nil)
}

// Secret is a secret's name and times; the API never returns values.
type Secret struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SetSecret creates or replaces one of app's secrets.
func (c *Client) SetSecret(ctx context.Context, app, name, value string) (Secret, error) {
	var out Secret
	err := c.call(ctx, http.MethodPut, "/apps/"+pathEscape(app)+"/secrets/"+pathEscape(name), nil, map[string]any{"value": value}, &out)
	return out, err
}

// UnsetSecret deletes one of app's secrets (not_found when absent).
func (c *Client) UnsetSecret(ctx context.Context, app, name string) error {
	return c.call(ctx, http.MethodDelete, "/apps/"+pathEscape(app)+"/secrets/"+pathEscape(name), nil, nil, nil)
}

// Secrets lists the names of app's secrets.
func (c *Client) Secrets(ctx context.Context, app string) ([]Secret, error) {
	return all[Secret](ctx, c, "/apps/"+pathEscape(app)+"/secrets", nil)
}
