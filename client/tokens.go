package client

import (
	"context"
	"fmt"
	"net/http"
)

// CreateToken creates a token; the answer's Secret is shown this once.
func (c *Client) CreateToken(ctx context.Context, t NewToken) (Token, error) {
	var out Token
	err := c.call(ctx, http.MethodPost, "/tokens", nil, t, &out)
	return out, err
}

// Tokens lists the tokens, oldest first, without secrets.
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	return all[Token](ctx, c, "/tokens", nil)
}

// RevokeToken revokes a token.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	return c.call(ctx, http.MethodDelete, fmt.Sprintf("/tokens/%d", id), nil, nil, nil)
}
