package client

import (
	"context"
	"fmt"
	"net/http"
)

func scriptPath(app, script string) string {
	return "/apps/" + pathEscape(app) + "/scripts/" + pathEscape(script)
}

// Deploy uploads source as the script's next version, which becomes
// active; the first upload creates the script. A source that does not parse
// is refused with a script_parse_error whose Line, Column and Rendered
// locate the fault.
func (c *Client) Deploy(ctx context.Context, app, script, source string) (Upload, error) {
	var out Upload
	err := c.call(ctx, http.MethodPut, scriptPath(app, script), nil, map[string]string{"source": source}, &out)
	return out, err
}

// Scripts lists an app's scripts by name.
func (c *Client) Scripts(ctx context.Context, app string) ([]Script, error) {
	return all[Script](ctx, c, "/apps/"+pathEscape(app)+"/scripts", nil)
}

// Script returns a script with its versions.
func (c *Client) Script(ctx context.Context, app, script string) (Script, error) {
	var out Script
	err := c.call(ctx, http.MethodGet, scriptPath(app, script), nil, nil, &out)
	return out, err
}

// Versions lists a script's versions, newest first, without sources.
func (c *Client) Versions(ctx context.Context, app, script string) ([]Version, error) {
	var out page[Version]
	err := c.call(ctx, http.MethodGet, scriptPath(app, script)+"/versions", nil, nil, &out)
	return out.Items, err
}

// Activate makes a version the active one: a rollback.
func (c *Client) Activate(ctx context.Context, app, script string, version int32) (Script, error) {
	var out Script
	err := c.call(ctx, http.MethodPost, fmt.Sprintf("%s/versions/%d/activate", scriptPath(app, script), version), nil, nil, &out)
	return out, err
}

// DeleteScript deletes a script with its versions, triggers and
// invocations.
func (c *Client) DeleteScript(ctx context.Context, app, script string) error {
	return c.call(ctx, http.MethodDelete, scriptPath(app, script), nil, nil, nil)
}

// Invoke runs a script once. A script that fails is not an error here: the
// result's Outcome and Error say how it ended.
func (c *Client) Invoke(ctx context.Context, app, script string, req InvokeRequest) (InvokeResult, error) {
	var out InvokeResult
	err := c.call(ctx, http.MethodPost, scriptPath(app, script)+"/invoke", nil, req, &out)
	return out, err
}
