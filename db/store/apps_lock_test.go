package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

// Lock holds the app's row until the transaction ends: a second Lock waits.
func TestAppsLock(t *testing.T) {
	st, pool := freshStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "locked"}))
	if _, err := st.Apps.Lock(ctx, app.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Lock(missing): got %v, want ErrNotFound", err)
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if got := must[store.App](t)(store.New(recDB{tx}).Apps.Lock(ctx, app.ID)); got.Slug != "locked" {
		t.Fatalf("Lock = %+v", got)
	}
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = st.InTx(wctx, func(st *store.Store) error {
		_, err := st.Apps.Lock(wctx, app.ID)
		return err
	})
	if err == nil {
		t.Fatal("a second Lock did not wait for the first transaction")
	}
}
