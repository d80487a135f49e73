// Package client is a typed Go client for PiCloud's admin API (/api/v1).
//
//	c, err := client.New(client.Config{URL: "http://127.0.0.1:8080", Token: secret})
//	up, err := c.Deploy(ctx, "shop", "hello", `"Hello, world!"`)
//	fmt.Println(up.Version, up.Endpoint)
//
// A failed request returns an *Error carrying the problem document's status,
// stable code and detail:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == "app_not_found" { … }
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// DefaultURL is the admin listener of a local picloud serve.
const DefaultURL = "http://127.0.0.1:8080"

// Config configures a Client.
type Config struct {
	// URL is the admin listener's base URL. Default DefaultURL.
	URL string
	// Token is the bearer token's secret (pct_…). Default: none; only
	// public routes answer.
	Token string
	// HTTPClient sends the requests. Default: a client without a timeout
	// (the live tail runs for as long as its context): bound calls with
	// their context.
	HTTPClient *http.Client
	// UserAgent is sent with every request. Default "picloud-client".
	UserAgent string
}

// Client calls one PiCloud server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	agent string
}

// New returns a Client for cfg.URL.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "picloud-client"
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: URL %q: want an http or https URL such as %s", cfg.URL, DefaultURL)
	}
	return &Client{base: u, token: cfg.Token, http: cfg.HTTPClient, agent: cfg.UserAgent}, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Error is a problem document (RFC 9457) the server answered with, or a
// response that was not one.
type Error struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`

	// Errors lists invalid fields (invalid_field).
	Errors []FieldError `json:"errors,omitempty"`
	// Pointer is the JSON pointer of the body member at fault.
	Pointer string `json:"pointer,omitempty"`
	// Offset is a byte offset into the body or the pattern at fault.
	Offset *int64 `json:"offset,omitempty"`
	// Reason is a validator's reason.
	Reason string `json:"reason,omitempty"`
	// Scope is the missing scope (insufficient_scope).
	Scope string `json:"scope,omitempty"`
	// Line, Column, Message and Rendered locate a script_parse_error;
	// Rendered shows the source line and a caret.
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Message  string `json:"message,omitempty"`
	Rendered string `json:"rendered,omitempty"`
}

// FieldError is one invalid input of an invalid_field problem.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// call sends a request with an optional JSON body and decodes a JSON answer
// into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: encode the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, method, path, query, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: decode the response: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns a successful response, or the error the
// server answered with.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	target := c.base.String() + "/api/v1" + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("client: %s %s: %w (is picloud serve running there? set PICLOUD_URL or --url)", method, c.base.Host, unwrapURLError(err))
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, problemOf(resp)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// problemOf reads an error response.
func problemOf(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		if err := json.Unmarshal(b, e); err == nil && e.Code != "" {
			e.Status = resp.StatusCode
			return e
		}
	}
	e.Status, e.Title = resp.StatusCode, http.StatusText(resp.StatusCode)
	e.Code = strings.ToLower(strings.ReplaceAll(e.Title, " ", "_"))
	e.Detail = strings.TrimSpace(string(b))
	if e.Detail == "" || len(e.Detail) > 200 || strings.ContainsAny(e.Detail, "\n<") {
		e.Detail = fmt.Sprintf("the server answered %d %s", resp.StatusCode, e.Title)
	}
	return e
}

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// page is one page of a list.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// all fetches every page of a list.
func all[T any](ctx context.Context, c *Client, path string, query url.Values) ([]T, error) {
	if query == nil {
		query = url.Values{}
	}
	query.Set("limit", "200")
	var out []T
	for {
		var p page[T]
		if err := c.call(ctx, http.MethodGet, path, query, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out, nil
		}
		query.Set("cursor", p.NextCursor)
	}
}
