package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

func TestTriggerKindsRoundTrip(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "tr")
	next := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	tests := []store.Trigger{
		{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "POST", Path: "/users/:id"}},
		{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "*/5 * * * *", TimeZone: "Europe/Paris", NextRunAt: next}},
		{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "orders.*"}},
		{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "emails"}},
		{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "user:*", Ops: []string{"set"}}},
		{Kind: store.KindDeadletter, Deadletter: &store.DeadletterTrigger{SourceKind: store.KindQueue}},
	}
	for _, in := range tests {
		got := f.trigger(t, st, in)
		if got.ID == 0 || got.Kind != in.Kind || got.AppID != f.app.ID || got.ScriptID != f.script.ID || !got.Enabled || got.MaxAttempts != 10 {
			t.Errorf("%s: %+v", in.Kind, got)
		}
		in.ID, in.AppID, in.ScriptID, in.Enabled, in.MaxAttempts, in.CreatedAt, in.UpdatedAt =
			got.ID, got.AppID, got.ScriptID, got.Enabled, got.MaxAttempts, got.CreatedAt, got.UpdatedAt
		if in.Cron != nil {
			got.Cron.NextRunAt = got.Cron.NextRunAt.UTC()
		}
		if !reflect.DeepEqual(got, in) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", in.Kind, got, in)
		}
		again := must[store.Trigger](t)(st.Triggers.Get(ctx, got.ID))
		if again.Kind != in.Kind {
			t.Errorf("Get(%d) = %+v", got.ID, again)
		}
	}

	// Defaults: ANY details, UTC, both KV ops, every dead letter.
	cron := f.trigger(t, st, store.Trigger{Kind: store.KindCron, MaxAttempts: 3, Cron: &store.CronTrigger{Schedule: "@hourly"}})
	if cron.Cron.TimeZone != "UTC" || !cron.Cron.NextRunAt.IsZero() || cron.MaxAttempts != 3 {
		t.Errorf("cron defaults: %+v", cron.Cron)
	}
	kv := f.trigger(t, st, store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "cfg"}})
	if !reflect.DeepEqual(kv.KV.Ops, []string{"set", "delete"}) {
		t.Errorf("kv ops default: %v", kv.KV.Ops)
	}
	dl := f.trigger(t, st, store.Trigger{Kind: store.KindDeadletter, Deadletter: &store.DeadletterTrigger{}})
	if dl.Deadletter.SourceKind != "" {
		t.Errorf("deadletter default: %+v", dl.Deadletter)
	}

	all := must[[]store.Trigger](t)(st.Triggers.List(ctx, f.app.ID, ""))
	crons := must[[]store.Trigger](t)(st.Triggers.List(ctx, f.app.ID, store.KindCron))
	byScript := must[[]store.Trigger](t)(st.Triggers.ListByScript(ctx, f.script.ID))
	if len(all) != 9 || len(crons) != 2 || len(byScript) != 9 || all[0].Kind != store.KindHTTP {
		t.Fatalf("List: %d all, %d cron, %d by script", len(all), len(crons), len(byScript))
	}
	if got := must[store.Trigger](t)(st.Triggers.QueueConsumer(ctx, f.app.ID, "emails")); got.Queue.Queue != "emails" {
		t.Fatalf("QueueConsumer = %+v", got)
	}
	if _, err := st.Triggers.QueueConsumer(ctx, f.app.ID, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("QueueConsumer(other): got %v, want ErrNotFound", err)
	}
}

func TestTriggerRejects(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "rej")
	other := newFixture(t, st, "other")
	f.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/a"}})
	f.trigger(t, st, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q"}})

	tests := []struct {
		name string
		tr   store.Trigger
		want error
	}{
		{"no details", store.Trigger{Kind: store.KindHTTP}, store.ErrInvalid},
		{"other kind's details", store.Trigger{Kind: store.KindCron, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/"}}, store.ErrInvalid},
		{"two details", store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "z"}, Pubsub: &store.PubsubTrigger{Pattern: "*"}}, store.ErrInvalid},
		{"unknown kind", store.Trigger{Kind: "smtp"}, store.ErrInvalid},
		{"same route", store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/a"}}, store.ErrConflict},
		{"bad method", store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "BREW", Path: "/a"}}, store.ErrInvalid},
		{"relative path", store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "a"}}, store.ErrInvalid},
		{"second consumer", store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q"}}, store.ErrConflict},
		{"star mid pattern", store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "orders*"}}, store.ErrInvalid},
		{"star first", store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "*.created"}}, store.ErrInvalid},
		{"upper case topic", store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "Orders"}}, store.ErrInvalid},
		{"kv star mid", store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "a*b"}}, store.ErrInvalid},
		{"kv bad op", store.Trigger{Kind: store.KindKV, KV: &store.KVTrigger{KeyPattern: "a", Ops: []string{"get"}}}, store.ErrInvalid},
		{"deadletter of http", store.Trigger{Kind: store.KindDeadletter, Deadletter: &store.DeadletterTrigger{SourceKind: store.KindHTTP}}, store.ErrInvalid},
		{"max attempts", store.Trigger{Kind: store.KindPubsub, MaxAttempts: 101, Pubsub: &store.PubsubTrigger{Pattern: "a"}}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.tr
			tr.AppID, tr.ScriptID, tr.Enabled = f.app.ID, f.script.ID, true
			if _, err := st.Triggers.Insert(ctx, tr); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// A script of another app cannot be bound.
	_, err := st.Triggers.Insert(ctx, store.Trigger{AppID: f.app.ID, ScriptID: other.script.ID, Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "a"}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another app's script: got %v, want ErrNotFound", err)
	}
}

func TestTriggerEnableDeleteRoutes(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "en")
	a := f.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "GET", Path: "/a"}})
	b := f.trigger(t, st, store.Trigger{Kind: store.KindHTTP, HTTP: &store.HTTPTrigger{Method: "ANY", Path: "/b/*rest"}})

	routes := must[[]store.HTTPRoute](t)(st.Triggers.HTTPRoutes(ctx, f.app.ID))
	if len(routes) != 2 || routes[0] != (store.HTTPRoute{TriggerID: a.ID, ScriptID: f.script.ID, Method: "GET", Path: "/a"}) {
		t.Fatalf("HTTPRoutes = %+v", routes)
	}
	if err := st.Triggers.SetEnabled(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := must[store.Trigger](t)(st.Triggers.Get(ctx, a.ID)); got.Enabled {
		t.Fatal("still enabled")
	}
	routes = must[[]store.HTTPRoute](t)(st.Triggers.HTTPRoutes(ctx, f.app.ID))
	if len(routes) != 1 || routes[0].TriggerID != b.ID {
		t.Fatalf("HTTPRoutes after disabling /a = %+v", routes)
	}
	if err := st.Triggers.SetEnabled(ctx, -1, true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetEnabled(missing): got %v, want ErrNotFound", err)
	}
	if err := st.Triggers.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Triggers.Get(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if err := st.Triggers.Delete(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete: got %v, want ErrNotFound", err)
	}
}

func TestCronCursor(t *testing.T) {
	st, _ := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "cron")
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	due := f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@every 1m", NextRunAt: now.Add(-time.Minute)}})
	later := f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@daily", NextRunAt: now.Add(time.Hour)}})
	unscheduled := f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@daily"}})
	off := f.trigger(t, st, store.Trigger{Kind: store.KindCron, Cron: &store.CronTrigger{Schedule: "@daily", NextRunAt: now.Add(-time.Hour)}})
	if err := st.Triggers.SetEnabled(ctx, off.ID, false); err != nil {
		t.Fatal(err)
	}

	list := must[[]store.CronDue](t)(st.Triggers.CronDue(ctx, now, 10))
	if len(list) != 1 || list[0].TriggerID != due.ID || !list[0].Due.Equal(now.Add(-time.Minute)) || list[0].Schedule != "@every 1m" {
		t.Fatalf("CronDue = %+v", list)
	}
	if ok := must[bool](t)(st.Triggers.CronAdvance(ctx, due.ID, list[0].Due, now.Add(time.Minute))); !ok {
		t.Fatal("first CronAdvance lost")
	}
	// A second node that saw the same due time loses the race.
	if ok := must[bool](t)(st.Triggers.CronAdvance(ctx, due.ID, list[0].Due, now.Add(time.Minute))); ok {
		t.Fatal("second CronAdvance won too")
	}
	if got := must[[]store.CronDue](t)(st.Triggers.CronDue(ctx, now, 10)); len(got) != 0 {
		t.Fatalf("CronDue after advancing = %+v", got)
	}

	if err := st.Triggers.CronSetNext(ctx, unscheduled.ID, now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := st.Triggers.CronSetNext(ctx, later.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := must[store.Trigger](t)(st.Triggers.Get(ctx, later.ID)); !got.Cron.NextRunAt.IsZero() {
		t.Fatalf("CronSetNext(zero) left %v", got.Cron.NextRunAt)
	}
	list = must[[]store.CronDue](t)(st.Triggers.CronDue(ctx, now.Add(2*time.Hour), 10))
	if len(list) != 2 || list[0].TriggerID != unscheduled.ID || list[1].TriggerID != due.ID {
		t.Fatalf("CronDue later = %+v", list)
	}
	if err := st.Triggers.CronSetNext(ctx, -1, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CronSetNext(missing): got %v, want ErrNotFound", err)
	}
}
