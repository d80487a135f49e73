package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// insertInvocations writes n invocations of f's script, a second apart from
// t0, the odd ones failed, each with two log lines; it returns them.
func insertInvocations(t *testing.T, st *store.Store, f fixture, n int) []store.Invocation {
	t.Helper()
	invs := make([]store.Invocation, n)
	for i := range invs {
		id := newID()
		invs[i] = store.Invocation{
			ID: id, AppID: f.app.ID, ScriptID: f.script.ID, Version: 1, TriggerKind: store.KindHTTP,
			StartedAt: t0.Add(time.Duration(i) * time.Second), Duration: 1500 * time.Microsecond,
			FuelUsed: 100, PeakMemoryBytes: 65536, Outcome: store.OutcomeOK,
			Result: json.RawMessage(`{"ok":true}`), Event: json.RawMessage(`{"kind":"http"}`),
			Logs: []store.LogLine{
				{Seq: 1, Level: "info", Message: "start", At: t0},
				{Seq: 2, Level: "warn", Message: "end", At: t0.Add(time.Millisecond)},
			},
		}
		if i%2 == 1 {
			invs[i].Outcome, invs[i].Error, invs[i].ErrorLine, invs[i].ErrorColumn = store.OutcomeError, "boom", 3, 7
			invs[i].TriggerKind, invs[i].TriggerID, invs[i].OutboxID, invs[i].Attempt = store.KindQueue, 9, 11, 2
			invs[i].OutboundRequests = json.RawMessage(`[{"method":"GET","host":"api.example.com","status":200,"duration_ms":12,"bytes":34}]`)
		}
	}
	if err := st.Invocations.InsertBatch(t.Context(), invs); err != nil {
		t.Fatalf("InsertBatch: %v", err)
	}
	return invs
}

func TestInvocations(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "inv")
	g := newFixture(t, st, "inv2")
	invs := insertInvocations(t, st, f, 5)
	insertInvocations(t, st, g, 1)

	got := must[store.Invocation](t)(st.Invocations.Get(ctx, invs[1].ID))
	want := invs[1]
	want.Logs = nil
	got.StartedAt = got.StartedAt.UTC()
	if got.ID != want.ID || got.Outcome != store.OutcomeError || got.Error != "boom" || got.ErrorLine != 3 || got.ErrorColumn != 7 ||
		got.Duration != want.Duration || got.TriggerID != 9 || got.OutboxID != 11 || got.Attempt != 2 || !got.StartedAt.Equal(want.StartedAt) ||
		!jsonEqual(got.Result, want.Result) || got.FuelUsed != 100 || got.PeakMemoryBytes != 65536 ||
		!jsonEqual(got.OutboundRequests, want.OutboundRequests) {
		t.Fatalf("Get = %+v", got)
	}
	if got := must[store.Invocation](t)(st.Invocations.Get(ctx, invs[0].ID)); got.Attempt != 1 || got.TriggerID != 0 || got.Error != "" || got.OutboundRequests != nil {
		t.Fatalf("defaults: %+v", got)
	}
	if _, err := st.Invocations.Get(ctx, uuid.New()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing): got %v, want ErrNotFound", err)
	}
	logs := must[[]store.LogLine](t)(st.Invocations.Logs(ctx, invs[2].ID))
	if len(logs) != 2 || logs[0].Message != "start" || logs[1].Level != "warn" {
		t.Fatalf("Logs = %+v", logs)
	}

	ids := func(f store.InvocationFilter) []uuid.UUID {
		t.Helper()
		var out []uuid.UUID
		for {
			page := must[[]store.Invocation](t)(st.Invocations.List(ctx, f))
			if len(page) == 0 {
				return out
			}
			for _, p := range page {
				out = append(out, p.ID)
			}
			last := page[len(page)-1]
			f.Before = &store.InvocationCursor{StartedAt: last.StartedAt, ID: last.ID}
		}
	}
	tests := []struct {
		name string
		f    store.InvocationFilter
		want []int
	}{
		{"all", store.InvocationFilter{Limit: 2}, []int{4, 3, 2, 1, 0}},
		{"errors", store.InvocationFilter{Outcome: store.OutcomeError, Limit: 1}, []int{3, 1}},
		{"queue", store.InvocationFilter{TriggerKind: store.KindQueue, Limit: 10}, []int{3, 1}},
		{"script", store.InvocationFilter{ScriptID: f.script.ID, Limit: 10}, []int{4, 3, 2, 1, 0}},
		{"other script", store.InvocationFilter{ScriptID: g.script.ID, Limit: 10}, nil},
		{"since", store.InvocationFilter{Since: t0.Add(3 * time.Second), Limit: 10}, []int{4, 3}},
		{"until", store.InvocationFilter{Until: t0.Add(2 * time.Second), Limit: 1}, []int{1, 0}},
		{"window", store.InvocationFilter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second), Limit: 10}, []int{2, 1}},
	}
	for _, tt := range tests {
		tt.f.AppID = f.app.ID
		got := ids(tt.f)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d invocations, want %d", tt.name, len(got), len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if got[i] != invs[w].ID {
				t.Errorf("%s: position %d is not invocation %d", tt.name, i, w)
			}
		}
	}

	if n := must[int64](t)(st.Invocations.DeleteBefore(ctx, t0.Add(2*time.Second), 100)); n != 3 { // 2 of f, 1 of g
		t.Fatalf("DeleteBefore = %d, want 3", n)
	}
	if n := count(t, tx, "SELECT count(*) FROM invocation_logs WHERE invocation_id = $1", invs[0].ID); n != 0 {
		t.Fatalf("logs of a deleted invocation remain: %d", n)
	}
	if _, err := st.Invocations.Get(ctx, invs[2].ID); err != nil {
		t.Fatalf("a later invocation was deleted: %v", err)
	}
	bad := []store.Invocation{{ID: newID(), AppID: f.app.ID, ScriptID: f.script.ID, TriggerKind: store.KindHTTP, Outcome: "exploded", StartedAt: t0}}
	if err := st.Invocations.InsertBatch(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown outcome: got %v, want ErrInvalid", err)
	}
}
