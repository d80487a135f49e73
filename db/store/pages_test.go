package store_test

import (
	"testing"

	"github.com/picloud/picloud/db/store"
)

// The ListAfter methods page through the same rows the plain lists return.
func TestListAfter(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "pages")
	other := newFixture(t, st, "pages2")
	for _, name := range []string{"c", "a", "b"} {
		must[store.Script](t)(st.Scripts.Insert(ctx, f.app.ID, name))
	}
	var names []string
	for after := ""; ; {
		page := must[[]store.Script](t)(st.Scripts.ListAfter(ctx, f.app.ID, after, 2))
		if len(page) == 0 {
			break
		}
		for _, s := range page {
			names = append(names, s.Name)
		}
		after = page[len(page)-1].Name
	}
	if got := len(names); got != 4 || names[0] != "a" || names[3] != "main" {
		t.Fatalf("scripts paged: got %v, want [a b c main]", names)
	}

	var want []int64
	for i, tr := range []store.Trigger{
		{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q1"}},
		{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "a.*"}},
		{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q2"}},
	} {
		tr := f.trigger(t, st, tr)
		if i != 1 {
			want = append(want, tr.ID)
		}
	}
	other.trigger(t, st, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q1"}})
	var got []int64
	for after := int64(0); ; {
		page := must[[]store.Trigger](t)(st.Triggers.ListAfter(ctx, f.app.ID, store.KindQueue, after, 1))
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].ID)
		after = page[0].ID
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("queue triggers paged: got %v, want %v", got, want)
	}
	if all := must[[]store.Trigger](t)(st.Triggers.ListAfter(ctx, f.app.ID, "", 0, 10)); len(all) != 3 {
		t.Fatalf("all triggers: got %d, want 3", len(all))
	}

	global := must[store.Token](t)(st.Tokens.Insert(ctx, store.Token{Name: "g", Prefix: "p", Hash: [32]byte{1}, Scopes: []string{"admin"}}))
	scoped := must[store.Token](t)(st.Tokens.Insert(ctx, store.Token{Name: "s", Prefix: "p", Hash: [32]byte{2}, Scopes: []string{"admin"}, AppID: f.app.ID}))
	must[store.Token](t)(st.Tokens.Insert(ctx, store.Token{Name: "o", Prefix: "p", Hash: [32]byte{3}, Scopes: []string{"admin"}, AppID: other.app.ID}))
	page := must[[]store.Token](t)(st.Tokens.ListAfter(ctx, 0, 0, 2))
	if len(page) != 2 || page[0].ID != global.ID || page[1].ID != scoped.ID {
		t.Fatalf("tokens page 1: %+v", page)
	}
	if page := must[[]store.Token](t)(st.Tokens.ListAfter(ctx, 0, scoped.ID, 2)); len(page) != 1 || page[0].Name != "o" {
		t.Fatalf("tokens page 2: %+v", page)
	}
	if page := must[[]store.Token](t)(st.Tokens.ListAfter(ctx, f.app.ID, 0, 10)); len(page) != 1 || page[0].ID != scoped.ID {
		t.Fatalf("tokens of app %q: %+v", f.app.Slug, page)
	}
}

// Only the first caller on an empty table inserts, however many race.
func TestTokensInsertFirst(t *testing.T) {
	st, _ := freshStore(t)
	ctx := t.Context()
	const n = 4
	type result struct {
		ok  bool
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			_, ok, err := st.Tokens.InsertFirst(ctx, store.Token{Name: "admin", Prefix: "p", Hash: [32]byte{byte(i + 1)}, Scopes: []string{"admin"}})
			results <- result{ok, err}
		}()
	}
	inserted := 0
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.ok {
			inserted++
		}
	}
	if inserted != 1 {
		t.Fatalf("%d callers inserted, want 1", inserted)
	}
	if list := must[[]store.Token](t)(st.Tokens.List(ctx)); len(list) != 1 || list[0].Scopes[0] != "admin" {
		t.Fatalf("tokens: %+v", list)
	}
}
