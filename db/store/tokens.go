package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Token is an API credential. Only the SHA-256 of its secret is stored.
type Token struct {
	ID         int64
	Name       string
	Prefix     string   // the secret's first characters, for display
	Hash       [32]byte // SHA-256 of the secret
	Scopes     []string // app:read, app:write, script:read, script:write, trigger:read, trigger:write, admin
	AppID      int64    // restricted to this app; 0 for every app
	ExpiresAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
	CreatedAt  time.Time
}

// Usable reports whether the token may authenticate at now.
func (t Token) Usable(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Tokens stores API tokens.
type Tokens struct {
	db DBTX
	q  *dbsqlc.Queries
}

// Insert stores t (ErrConflict when the hash exists, ErrInvalid for an
// unknown scope). ID, RevokedAt, LastUsedAt and CreatedAt are ignored.
func (s *Tokens) Insert(ctx context.Context, t Token) (Token, error) {
	r, err := s.q.TokenInsert(ctx, dbsqlc.TokenInsertParams{
		Name: t.Name, Prefix: t.Prefix, Hash: t.Hash[:], Scopes: t.Scopes, AppID: ptr(t.AppID), ExpiresAt: timePtr(t.ExpiresAt),
	})
	if err != nil {
		return Token{}, wrap(err, "insert token %q", t.Name)
	}
	return tokenFrom(r), nil
}

// GetByHash returns the token whose secret hashes to hash, usable or not.
func (s *Tokens) GetByHash(ctx context.Context, hash [32]byte) (Token, error) {
	r, err := s.q.TokenGetByHash(ctx, hash[:])
	if err != nil {
		return Token{}, wrap(err, "get token by hash")
	}
	return tokenFrom(r), nil
}

// Get returns the token with the given id.
func (s *Tokens) Get(ctx context.Context, id int64) (Token, error) {
	r, err := s.q.TokenGetByID(ctx, id)
	if err != nil {
		return Token{}, wrap(err, "get token %d", id)
	}
	return tokenFrom(r), nil
}

// List returns every token, oldest first.
func (s *Tokens) List(ctx context.Context) ([]Token, error) {
	rows, err := s.q.TokenList(ctx)
	if err != nil {
		return nil, wrap(err, "list tokens")
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = tokenFrom(r)
	}
	return out, nil
}

// ListAfter returns up to limit tokens in id order after the id afterID (0
// for the first page); only those restricted to app appID when it is not 0.
func (s *Tokens) ListAfter(ctx context.Context, appID, afterID int64, limit int32) ([]Token, error) {
	rows, err := s.q.TokenListAfter(ctx, dbsqlc.TokenListAfterParams{AfterID: afterID, AppID: ptr(appID), MaxRows: limit})
	if err != nil {
		return nil, wrap(err, "list tokens")
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = tokenFrom(r)
	}
	return out, nil
}

// InsertFirst stores t only when there is no token at all, and reports
// whether it did: the first start's admin token. Concurrent callers on one
// database are serialised, so exactly one of them inserts.
func (s *Tokens) InsertFirst(ctx context.Context, t Token) (Token, bool, error) {
	var out Token
	inserted := false
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if err := q.TokenBootstrapLock(ctx); err != nil {
			return err
		}
		n, err := q.TokenCount(ctx)
		if err != nil || n > 0 {
			return err
		}
		r, err := q.TokenInsert(ctx, dbsqlc.TokenInsertParams{
			Name: t.Name, Prefix: t.Prefix, Hash: t.Hash[:], Scopes: t.Scopes, AppID: ptr(t.AppID), ExpiresAt: timePtr(t.ExpiresAt),
		})
		if err != nil {
			return err
		}
		out, inserted = tokenFrom(r), true
		return nil
	})
	if err != nil {
		return Token{}, false, wrap(err, "insert the first token %q", t.Name)
	}
	return out, inserted, nil
}

// Revoke revokes a token (ErrNotFound when absent or already revoked).
func (s *Tokens) Revoke(ctx context.Context, id int64) error {
	n, err := s.q.TokenRevoke(ctx, id)
	if err != nil {
		return wrap(err, "revoke token %d", id)
	}
	if n == 0 {
		return notFound("revoke token %d", id)
	}
	return nil
}

// Touch records a use of the token, at most once a minute.
func (s *Tokens) Touch(ctx context.Context, id int64) error {
	return wrap(s.q.TokenTouch(ctx, id), "touch token %d", id)
}

// Delete deletes a token.
func (s *Tokens) Delete(ctx context.Context, id int64) error {
	n, err := s.q.TokenDelete(ctx, id)
	if err != nil {
		return wrap(err, "delete token %d", id)
	}
	if n == 0 {
		return notFound("delete token %d", id)
	}
	return nil
}

func tokenFrom(r dbsqlc.ApiToken) Token {
	t := Token{
		ID: r.ID, Name: r.Name, Prefix: r.Prefix, Scopes: r.Scopes, AppID: val(r.AppID),
		ExpiresAt: val(r.ExpiresAt), RevokedAt: val(r.RevokedAt), LastUsedAt: val(r.LastUsedAt), CreatedAt: r.CreatedAt,
	}
	copy(t.Hash[:], r.Hash)
	return t
}
