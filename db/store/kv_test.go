package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/picloud/picloud/db/store"
)

func TestKV(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "kv"}))
	other := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "kv2"}))

	if _, err := st.KV.Get(ctx, app.ID, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing): got %v, want ErrNotFound", err)
	}
	first := must[store.KVEntry](t)(st.KV.Set(ctx, app.ID, "a", json.RawMessage(`{"x": [1, 2]}`)))
	if first.Key != "a" || first.UpdatedAt.IsZero() {
		t.Fatalf("Set = %+v", first)
	}
	must[store.KVEntry](t)(st.KV.Set(ctx, app.ID, "a", json.RawMessage(`"v2"`)))
	if got := must[store.KVEntry](t)(st.KV.Get(ctx, app.ID, "a")); string(got.Value) != `"v2"` {
		t.Fatalf("Get after overwrite = %s", got.Value)
	}
	if _, err := st.KV.Get(ctx, other.ID, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("another app sees the key")
	}
	if err := try(t, st, func(st *store.Store) (store.KVEntry, error) { return st.KV.Set(ctx, app.ID, "", json.RawMessage(`1`)) }); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty key: got %v, want ErrInvalid", err)
	}
	if err := try(t, st, func(st *store.Store) (store.KVEntry, error) {
		return st.KV.Set(ctx, app.ID, "bad", json.RawMessage(`{`))
	}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad JSON: got %v, want ErrInvalid", err)
	}

	if got := must[store.KVEntry](t)(st.KV.Incr(ctx, app.ID, "n", 5)); string(got.Value) != "5" {
		t.Fatalf("Incr(missing) = %s", got.Value)
	}
	if got := must[store.KVEntry](t)(st.KV.Incr(ctx, app.ID, "n", -2)); string(got.Value) != "3" {
		t.Fatalf("Incr = %s", got.Value)
	}
	must[store.KVEntry](t)(st.KV.Set(ctx, app.ID, "f", json.RawMessage(`1.5`)))
	if got := must[store.KVEntry](t)(st.KV.Incr(ctx, app.ID, "f", 1)); string(got.Value) != "2.5" {
		t.Fatalf("Incr(float) = %s", got.Value)
	}
	if err := try(t, st, func(st *store.Store) (store.KVEntry, error) { return st.KV.Incr(ctx, app.ID, "a", 1) }); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Incr of a string: got %v, want ErrInvalid", err)
	}

	if ok := must[bool](t)(st.KV.Delete(ctx, app.ID, "a")); !ok {
		t.Fatal("Delete of a key reported absent")
	}
	if ok := must[bool](t)(st.KV.Delete(ctx, app.ID, "a")); ok {
		t.Fatal("second Delete reported present")
	}
}

func TestKVList(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "kvl"}))
	keys := []string{"user:1", "user:2", "user:3", "user;", "use", "users", "zé", "zé:1", "zf", "z\U0010FFFF"}
	for _, k := range keys {
		must[store.KVEntry](t)(st.KV.Set(ctx, app.ID, k, json.RawMessage(`true`)))
	}
	list := func(prefix string, limit int32) string {
		t.Helper()
		var got []string
		after := ""
		for {
			page, err := st.KV.List(ctx, app.ID, prefix, after, limit)
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			if len(page) == 0 {
				return strings.Join(got, " ")
			}
			for _, e := range page {
				got = append(got, e.Key)
			}
			after = page[len(page)-1].Key
		}
	}
	tests := []struct{ prefix, want string }{
		{"user:", "user:1 user:2 user:3"},
		{"user", "user:1 user:2 user:3 user; users"},
		{"zé", "zé zé:1"},
		{"z", "zf zé zé:1 z\U0010FFFF"}, // byte order: é is 0xC3 0xA9
		{"", "use user:1 user:2 user:3 user; users zf zé zé:1 z\U0010FFFF"},
		{"nope", ""},
	}
	for _, tt := range tests {
		for _, limit := range []int32{1, 2, 100} {
			if got := list(tt.prefix, limit); got != tt.want {
				t.Errorf("List(%q) by %d = %q, want %q", tt.prefix, limit, got, tt.want)
			}
		}
	}
	if _, err := st.KV.List(ctx, app.ID, "\U0010FFFF", "", 10); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("List(U+10FFFF): got %v, want ErrInvalid", err)
	}
}
