package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/picloud/picloud/db/store"
)

func TestApps(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()

	limits := store.Limits{FuelPerInvocation: 1e6, MemoryPages: 16, TimeoutMS: 500, MaxCallDepth: 8,
		MaxStringBytes: 1 << 20, MaxArrayLen: 1000, MaxMapLen: 1000, MaxConcurrency: 4,
		MaxOutboundRequests: 3, MaxBodyBytes: 1 << 20, KVQuotaBytes: 1 << 24}
	a, err := st.Apps.Insert(ctx, store.App{Slug: "shop", Description: "the shop", Limits: limits,
		DebugOutput: true, Env: map[string]string{"REGION": "eu"},
		Egress: store.Egress{Allowlist: []string{"api.example.com", "*.stripe.com"}, AllowPrivate: true}})
	if err != nil {
		t.Fatalf("Insert: %v", err)
	}
	if strings.Join(a.Egress.Allowlist, ",") != "api.example.com,*.stripe.com" || !a.Egress.AllowPrivate {
		t.Fatalf("Insert returned egress %+v", a.Egress)
	}
	if a.ID == 0 || a.Limits != limits || !a.DebugOutput || a.Env["REGION"] != "eu" || a.CreatedAt.IsZero() {
		t.Fatalf("Insert returned %+v", a)
	}

	err = try(t, st, func(st *store.Store) (store.App, error) { return st.Apps.Insert(ctx, store.App{Slug: "shop"}) })
	var pgErr *pgconn.PgError
	if !errors.Is(err, store.ErrConflict) || !errors.As(err, &pgErr) || !strings.Contains(err.Error(), "apps_slug_key") {
		t.Fatalf("duplicate slug: got %v, want ErrConflict naming apps_slug_key", err)
	}
	for _, bad := range []string{"", "Shop", "-shop", "shop-", strings.Repeat("a", 64), "a_b"} {
		if err := try(t, st, func(st *store.Store) (store.App, error) { return st.Apps.Insert(ctx, store.App{Slug: bad}) }); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("slug %q: got %v, want ErrInvalid", bad, err)
		}
	}
	if err := try(t, st, func(st *store.Store) (store.App, error) {
		return st.Apps.Insert(ctx, store.App{Slug: "neg", Limits: store.Limits{TimeoutMS: -1}})
	}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("negative limit: got %v, want ErrInvalid", err)
	}

	got, err := st.Apps.Get(ctx, a.ID)
	if err != nil || got.Slug != "shop" || got.Env["REGION"] != "eu" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if got, err := st.Apps.GetBySlug(ctx, "shop"); err != nil || got.ID != a.ID {
		t.Fatalf("GetBySlug = %+v, %v", got, err)
	}
	if _, err := st.Apps.GetBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("GetBySlug(nope): got %v, want ErrNotFound naming the slug", err)
	}

	for _, slug := range []string{"b", "c", "d"} {
		must[store.App](t)(st.Apps.Insert(ctx, store.App{Slug: slug}))
	}
	page1 := must[[]store.App](t)(st.Apps.List(ctx, "", 2))
	page2 := must[[]store.App](t)(st.Apps.List(ctx, page1[len(page1)-1].Slug, 2))
	var slugs []string
	for _, p := range append(page1, page2...) {
		slugs = append(slugs, p.Slug)
	}
	if got := strings.Join(slugs, ","); got != "b,c,d,shop" {
		t.Fatalf("List pages = %s, want b,c,d,shop", got)
	}
	if got := must[[]store.App](t)(st.Apps.List(ctx, "shop", 10)); len(got) != 0 {
		t.Fatalf("List after the last slug = %d apps, want 0", len(got))
	}

	a.Description, a.Limits.TimeoutMS, a.Env, a.DebugOutput = "new", 900, nil, false
	a.Egress = store.Egress{}
	up, err := st.Apps.Update(ctx, a)
	if err != nil || up.Description != "new" || up.Limits.TimeoutMS != 900 || len(up.Env) != 0 || up.DebugOutput || up.Slug != "shop" ||
		len(up.Egress.Allowlist) != 0 || up.Egress.AllowPrivate {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	if _, err := st.Apps.Update(ctx, store.App{ID: -1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of a missing app: got %v, want ErrNotFound", err)
	}

	if err := st.Apps.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apps.Get(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if err := st.Apps.Delete(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete: got %v, want ErrNotFound", err)
	}
}

// Deleting an app leaves nothing of it in any table.
func TestAppDeleteCascades(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "doomed")
	other := newFixture(t, st, "survivor")

	f.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/x"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@hourly"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "jobs"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "*"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindDeadletter, Deadletter: &store.DeadletterTrigger{}})
	mustPublish(t, st, f.app.ID, "a.b", 1)
	must[int64](t)(st.Outbox.KVChanged(ctx, f.app.ID, "k", "set", newID(), payload))
	pushed, _, _ := st.Outbox.Push(ctx, f.app.ID, "jobs", newID(), payload, past)
	if _, waiting, err := st.Outbox.Push(ctx, f.app.ID, "nobody", newID(), payload, past); err != nil || !waiting {
		t.Fatalf("Push to a queue without consumer: waiting %v, %v", waiting, err)
	}
	claimed := must[[]store.Delivery](t)(st.Outbox.Claim(ctx, 1, -1, 100))
	for _, d := range claimed {
		if d.ID == pushed {
			must[bool](t)(st.Outbox.FailFinal(ctx, 1, store.Claimed{ID: d.ID, Attempt: d.Attempt}, "boom"))
		}
	}
	must[store.KVEntry](t)(st.KV.Set(ctx, f.app.ID, "k", payload))
	insertInvocations(t, st, f, 2)
	must[store.Token](t)(st.Tokens.Insert(ctx, store.Token{Name: "t", Prefix: "pc_", Hash: [32]byte{1}, Scopes: []string{"admin"}, AppID: f.app.ID}))

	tables := []string{"scripts", "script_versions", "triggers", "trigger_http", "trigger_cron", "trigger_pubsub",
		"trigger_queue", "trigger_kv", "trigger_deadletter", "outbox", "outbox_dead", "kv", "invocations",
		"invocation_logs", "api_tokens"}
	owned := func(table string) int {
		switch table {
		case "script_versions":
			return count(t, tx, "SELECT count(*) FROM script_versions v JOIN scripts s ON s.id = v.script_id WHERE s.app_id = $1", f.app.ID)
		case "invocation_logs":
			return count(t, tx, "SELECT count(*) FROM invocation_logs l JOIN invocations i ON i.id = l.invocation_id WHERE i.app_id = $1", f.app.ID)
		}
		return count(t, tx, "SELECT count(*) FROM "+table+" WHERE app_id = $1", f.app.ID)
	}
	for _, table := range tables {
		if owned(table) == 0 {
			t.Fatalf("fixture has no %s rows: the test proves nothing for it", table)
		}
	}
	if err := st.Apps.Delete(ctx, f.app.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, table := range tables {
		if n := owned(table); n != 0 {
			t.Errorf("%s keeps %d rows of the deleted app", table, n)
		}
	}
	if _, err := st.Scripts.Get(ctx, other.script.ID); err != nil {
		t.Errorf("the other app's script is gone: %v", err)
	}
}
