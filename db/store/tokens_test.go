package store_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

func TestTokens(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "tok"}))
	hash := sha256.Sum256([]byte("pc_secret"))
	expires := time.Now().Add(time.Hour).Truncate(time.Microsecond)

	tok, err := st.Tokens.Insert(ctx, store.Token{Name: "ci", Prefix: "pc_secr", Hash: hash, Scopes: []string{"script:read", "script:write"}, AppID: app.ID, ExpiresAt: expires})
	if err != nil || tok.ID == 0 || tok.AppID != app.ID || !tok.ExpiresAt.Equal(expires) || len(tok.Scopes) != 2 || !tok.LastUsedAt.IsZero() {
		t.Fatalf("Insert = %+v, %v", tok, err)
	}
	if err := try(t, st, func(st *store.Store) (store.Token, error) {
		return st.Tokens.Insert(ctx, store.Token{Name: "dup", Prefix: "pc_", Hash: hash, Scopes: []string{"admin"}})
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same hash: got %v, want ErrConflict", err)
	}
	if err := try(t, st, func(st *store.Store) (store.Token, error) {
		return st.Tokens.Insert(ctx, store.Token{Name: "x", Prefix: "pc_", Hash: [32]byte{9}, Scopes: []string{"root"}})
	}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown scope: got %v, want ErrInvalid", err)
	}
	global := must[store.Token](t)(st.Tokens.Insert(ctx, store.Token{Name: "admin", Prefix: "pc_", Hash: [32]byte{2}, Scopes: []string{"admin"}}))
	if global.AppID != 0 || !global.ExpiresAt.IsZero() {
		t.Fatalf("global token %+v", global)
	}

	if got := must[store.Token](t)(st.Tokens.GetByHash(ctx, hash)); got.ID != tok.ID || got.Hash != hash || !got.Usable(time.Now()) || got.Usable(expires) {
		t.Fatalf("GetByHash = %+v", got)
	}
	if _, err := st.Tokens.GetByHash(ctx, [32]byte{7}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: got %v, want ErrNotFound", err)
	}
	if list := must[[]store.Token](t)(st.Tokens.List(ctx)); len(list) != 2 || list[0].ID != tok.ID {
		t.Fatalf("List = %+v", list)
	}

	if err := st.Tokens.Touch(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	touched := must[store.Token](t)(st.Tokens.Get(ctx, tok.ID))
	if touched.LastUsedAt.IsZero() {
		t.Fatal("Touch did not record the use")
	}
	if _, err := tx.Exec(ctx, "UPDATE api_tokens SET last_used_at = now() - interval '30 seconds' WHERE id = $1", tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Tokens.Touch(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[store.Token](t)(st.Tokens.Get(ctx, tok.ID)); !got.LastUsedAt.Before(touched.LastUsedAt) {
		t.Fatal("a second Touch within a minute wrote again")
	}

	if err := st.Tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if got := must[store.Token](t)(st.Tokens.Get(ctx, tok.ID)); got.RevokedAt.IsZero() || got.Usable(time.Now()) {
		t.Fatalf("revoked token %+v", got)
	}
	if err := st.Tokens.Revoke(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Revoke: got %v, want ErrNotFound", err)
	}
	if err := st.Tokens.Delete(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Tokens.Delete(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete: got %v, want ErrNotFound", err)
	}
	if _, err := st.Tokens.Get(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
	}
}
