package client

import (
	"context"
	"net/http"
)

// CreateApp creates an app.
func (c *Client) CreateApp(ctx context.Context, a NewApp) (App, error) {
	var out App
	err := c.call(ctx, http.MethodPost, "/apps", nil, a, &out)
	return out, err
}

// Apps lists every app the token sees, by slug.
func (c *Client) Apps(ctx context.Context) ([]App, error) {
	return all[App](ctx, c, "/apps", nil)
}

// App returns one app.
func (c *Client) App(ctx context.Context, slug string) (App, error) {
	var out App
	err := c.call(ctx, http.MethodGet, "/apps/"+pathEscape(slug), nil, nil, &out)
	return out, err
}

// DeleteApp deletes an app and everything it owns.
func (c *Client) DeleteApp(ctx context.Context, slug string) error {
	return c.call(ctx, http.MethodDelete, "/apps/"+pathEscape(slug), nil, nil, nil)
}

// Whoami describes the client's token.
func (c *Client) Whoami(ctx context.Context) (Whoami, error) {
	var out Whoami
	err := c.call(ctx, http.MethodGet, "/whoami", nil, nil, &out)
	return out, err
}
