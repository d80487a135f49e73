package store_test

import (
	"errors"
	"testing"

	"github.com/picloud/picloud/db/store"
)

func TestSecrets(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "sec")
	g := newFixture(t, st, "sec2")

	if created, err := st.Secrets.Put(ctx, f.app.ID, "TOKEN", []byte{1, 2, 3}); err != nil || !created {
		t.Fatalf("Put = %v, %v", created, err)
	}
	if created, err := st.Secrets.Put(ctx, f.app.ID, "TOKEN", []byte{4, 5}); err != nil || created {
		t.Fatalf("replace: Put = %v, %v", created, err)
	}
	must[bool](t)(st.Secrets.Put(ctx, f.app.ID, "A_KEY", []byte{9}))
	must[bool](t)(st.Secrets.Put(ctx, g.app.ID, "TOKEN", []byte{7}))
	got := must[[]store.Secret](t)(st.Secrets.List(ctx, f.app.ID))
	if len(got) != 2 || got[0].Name != "A_KEY" || got[1].Name != "TOKEN" || string(got[1].Sealed) != "\x04\x05" || got[1].CreatedAt.IsZero() {
		t.Fatalf("List = %+v", got)
	}
	if err := st.Secrets.Delete(ctx, f.app.ID, "TOKEN"); err != nil {
		t.Fatal(err)
	}
	if err := st.Secrets.Delete(ctx, f.app.ID, "TOKEN"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	if got := must[[]store.Secret](t)(st.Secrets.List(ctx, g.app.ID)); len(got) != 1 {
		t.Fatalf("the other app's: %+v", got)
	}
	if err := try(t, st, func(st *store.Store) (bool, error) { return st.Secrets.Put(ctx, f.app.ID, "bad name", []byte{1}) }); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
}
