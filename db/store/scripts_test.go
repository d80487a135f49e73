package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sort"
	"sync"
	"testing"

	"github.com/picloud/picloud/db/store"
)

func TestScripts(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "s"}))

	s, err := st.Scripts.Insert(ctx, app.ID, "hello")
	if err != nil || s.ActiveVersion != 0 || s.LatestVersion != 0 || s.AppID != app.ID {
		t.Fatalf("Insert = %+v, %v", s, err)
	}
	if err := try(t, st, func(st *store.Store) (store.Script, error) { return st.Scripts.Insert(ctx, app.ID, "hello") }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate name: got %v, want ErrConflict", err)
	}
	if err := try(t, st, func(st *store.Store) (store.Script, error) { return st.Scripts.Insert(ctx, -1, "x") }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing app: got %v, want ErrNotFound", err)
	}
	if err := try(t, st, func(st *store.Store) (store.Script, error) { return st.Scripts.Insert(ctx, app.ID, "Bad Name") }); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad name: got %v, want ErrInvalid", err)
	}
	if _, err := st.Scripts.ActiveVersion(ctx, s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ActiveVersion before any: got %v, want ErrNotFound", err)
	}

	v1 := must[store.ScriptVersion](t)(st.Scripts.AddVersion(ctx, s.ID, "1 + 1"))
	v2 := must[store.ScriptVersion](t)(st.Scripts.AddVersion(ctx, s.ID, "2 + 2 // ü"))
	if v1.Number != 1 || v2.Number != 2 || v2.SHA256 != sha256.Sum256([]byte("2 + 2 // ü")) || v2.Source != "2 + 2 // ü" {
		t.Fatalf("versions = %+v, %+v", v1, v2)
	}
	if _, err := st.Scripts.AddVersion(ctx, -1, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddVersion to a missing script: got %v, want ErrNotFound", err)
	}

	s = must[store.Script](t)(st.Scripts.Activate(ctx, s.ID, 2))
	if s.ActiveVersion != 2 || s.LatestVersion != 2 {
		t.Fatalf("after Activate(2): %+v", s)
	}
	if err := try(t, st, func(st *store.Store) (store.Script, error) { return st.Scripts.Activate(ctx, s.ID, 3) }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Activate(3): got %v, want ErrNotFound", err)
	}
	s = must[store.Script](t)(st.Scripts.Activate(ctx, s.ID, 1)) // rollback
	if got := must[store.ScriptVersion](t)(st.Scripts.ActiveVersion(ctx, s.ID)); got.Number != 1 || got.Source != "1 + 1" {
		t.Fatalf("ActiveVersion after rollback = %+v", got)
	}
	if got := must[store.ScriptVersion](t)(st.Scripts.Version(ctx, s.ID, 2)); got.Source != "2 + 2 // ü" {
		t.Fatalf("Version(2) = %+v", got)
	}
	if _, err := st.Scripts.Version(ctx, s.ID, 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Version(9): got %v, want ErrNotFound", err)
	}
	vs := must[[]store.ScriptVersion](t)(st.Scripts.Versions(ctx, s.ID))
	if len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 || vs[0].Source != "" || vs[0].SHA256 != v2.SHA256 {
		t.Fatalf("Versions = %+v", vs)
	}

	if _, err := tx.Exec(ctx, "UPDATE script_versions SET source = 'x' WHERE script_id = $1", s.ID); err == nil {
		t.Fatal("a version could be updated")
	}
}

func TestScriptsLookupAndDelete(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "s"}))
	b := must[store.Script](t)(st.Scripts.Insert(ctx, app.ID, "b"))
	a := must[store.Script](t)(st.Scripts.Insert(ctx, app.ID, "a"))

	if got := must[store.Script](t)(st.Scripts.Get(ctx, a.ID)); got.Name != "a" {
		t.Fatalf("Get = %+v", got)
	}
	if got := must[store.Script](t)(st.Scripts.GetByName(ctx, app.ID, "b")); got.ID != b.ID {
		t.Fatalf("GetByName = %+v", got)
	}
	if _, err := st.Scripts.GetByName(ctx, app.ID, "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetByName(c): got %v, want ErrNotFound", err)
	}
	list := must[[]store.Script](t)(st.Scripts.List(ctx, app.ID))
	if len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" {
		t.Fatalf("List = %+v", list)
	}
	if err := st.Scripts.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Scripts.Delete(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete: got %v, want ErrNotFound", err)
	}
	if _, err := st.Scripts.Get(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
	}
}

// Concurrent uploads get consecutive, distinct version numbers.
func TestConcurrentVersions(t *testing.T) {
	st, _ := freshStore(t)
	ctx := t.Context()
	app := must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: "c"}))
	s := must[store.Script](t)(st.Scripts.Insert(ctx, app.ID, "x"))

	const n = 8
	var wg sync.WaitGroup
	numbers := make(chan int32, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := st.Scripts.AddVersion(context.WithoutCancel(ctx), s.ID, "x")
			if err != nil {
				t.Error(err)
				return
			}
			numbers <- v.Number
		}()
	}
	wg.Wait()
	close(numbers)
	var got []int
	for v := range numbers {
		got = append(got, int(v))
	}
	sort.Ints(got)
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("numbers = %v, want 1..%d", got, n)
		}
	}
	if len(got) != n {
		t.Fatalf("%d versions, want %d", len(got), n)
	}
}
