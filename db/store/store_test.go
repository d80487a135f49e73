package store_test

import (
	"errors"
	"testing"

	"github.com/picloud/picloud/db/store"
)

func TestInTx(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	boom := errors.New("boom")
	err := st.InTx(ctx, func(st *store.Store) error {
		if _, err := st.Apps.Insert(ctx, store.App{Slug: "gone"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if _, err := st.Apps.GetBySlug(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a rolled back insert is visible: %v", err)
	}
	err = st.InTx(ctx, func(st *store.Store) error {
		_, err := st.Apps.Insert(ctx, store.App{Slug: "kept"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apps.GetBySlug(ctx, "kept"); err != nil {
		t.Fatalf("a committed insert is missing: %v", err)
	}
}

func TestErrorMessages(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "x"}))
	err := try(t, st, func(st *store.Store) (store.App, error) { return st.Apps.Insert(ctx, store.App{Slug: "x"}) })
	if got, want := err.Error(), `store: insert app "x": already exists (apps_slug_key)`; got != want {
		t.Errorf("conflict: %q, want %q", got, want)
	}
	_, err = st.Apps.Get(ctx, -5)
	if got, want := err.Error(), "store: get app -5: not found"; got != want {
		t.Errorf("not found: %q, want %q", got, want)
	}
	var se *store.Error
	if !errors.As(err, &se) || se.Kind != store.ErrNotFound || se.Op != "get app -5" {
		t.Errorf("errors.As: %+v", se)
	}
}
