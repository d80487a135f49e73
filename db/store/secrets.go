package store

import (
	"context"
	"time"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Secret is one of an app's secrets. Sealed is its value encrypted by
// package secrets; the store never sees the plaintext.
type Secret struct {
	Name      string
	Sealed    []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Secrets stores apps' encrypted secrets.
type Secrets struct{ q *dbsqlc.Queries }

// Put creates or replaces the secret name of app appID; created reports a
// new one.
func (s *Secrets) Put(ctx context.Context, appID int64, name string, sealed []byte) (created bool, err error) {
	created, err = s.q.SecretPut(ctx, dbsqlc.SecretPutParams{AppID: appID, Name: name, Sealed: sealed})
	return created, wrap(err, "put secret %q of app %d", name, appID)
}

// Delete deletes a secret (ErrNotFound when there is none).
func (s *Secrets) Delete(ctx context.Context, appID int64, name string) error {
	n, err := s.q.SecretDelete(ctx, appID, name)
	if err != nil {
		return wrap(err, "delete secret %q of app %d", name, appID)
	}
	if n == 0 {
		return notFound("delete secret %q of app %d", name, appID)
	}
	return nil
}

// List returns the app's secrets in name order, sealed values included.
func (s *Secrets) List(ctx context.Context, appID int64) ([]Secret, error) {
	rows, err := s.q.SecretList(ctx, appID)
	if err != nil {
		return nil, wrap(err, "list the secrets of app %d", appID)
	}
	out := make([]Secret, len(rows))
	for i, r := range rows {
		out[i] = Secret{Name: r.Name, Sealed: r.Sealed, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}
