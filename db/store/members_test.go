package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

// Members join, beat with their clock offset, are listed, leave, and are
// forgotten once gone long enough; a forgotten member's beat brings it back.
func TestMembers(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	m := store.Member{Name: "a:1", Role: "node", Version: "v1", AdminAddr: "127.0.0.1:9000", PublicAddr: "127.0.0.1:9001"}
	id, dbNow, err := st.Members.Join(ctx, m)
	if err != nil || id == 0 || time.Since(dbNow) > time.Hour {
		t.Fatalf("Join = %d, %v, %v", id, dbNow, err)
	}
	m.ID, m.ClockOffset = id, -1500*time.Millisecond
	if _, err := st.Members.Beat(ctx, m); err != nil {
		t.Fatal(err)
	}
	other := must[int64](t)(func() (int64, error) {
		id, _, err := st.Members.Join(ctx, store.Member{Name: "b:2", Role: "manager"})
		return id, err
	}())
	if _, err := tx.Exec(ctx, `UPDATE cluster_members SET last_seen = now() - interval '2 hours' WHERE id = $1`, other); err != nil {
		t.Fatal(err)
	}
	list := must[[]store.Member](t)(st.Members.List(ctx))
	if len(list) != 2 {
		t.Fatalf("List = %+v, want 2 members", list)
	}
	got := list[0]
	if got.ID != id || got.Name != "a:1" || got.Role != "node" || got.Version != "v1" || got.AdminAddr != m.AdminAddr ||
		got.PublicAddr != m.PublicAddr || got.ClockOffset != m.ClockOffset || got.SeenAgo < 0 || got.SeenAgo > time.Second {
		t.Fatalf("List[0] = %+v", got)
	}
	if ago := list[1].SeenAgo; ago < time.Hour {
		t.Fatalf("the stale member was seen %v ago, want 2h", ago)
	}
	if n := must[int64](t)(st.Members.ForgetGone(ctx, time.Hour)); n != 1 {
		t.Fatalf("ForgetGone = %d, want 1", n)
	}
	// The forgotten member beats again: it is back under its id.
	if _, err := st.Members.Beat(ctx, store.Member{ID: other, Name: "b:2", Role: "manager"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Members.Leave(ctx, id); err != nil {
		t.Fatal(err)
	}
	list = must[[]store.Member](t)(st.Members.List(ctx))
	if len(list) != 1 || list[0].ID != other {
		t.Fatalf("after Leave and the beat: %+v", list)
	}
	// A role the table does not know is refused.
	if err := try(t, st, func(st *store.Store) (int64, error) {
		id, _, err := st.Members.Join(ctx, store.Member{Name: "c", Role: "boss"})
		return id, err
	}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Join with role boss: %v, want ErrInvalid", err)
	}
}

// The outbox depth counts rows per state with the age of the oldest, and
// the dead letters; ServerInfo reads the server's clock and version.
func TestOutboxDepthAndServerInfo(t *testing.T) {
	st, tx := txStore(t)
	ctx := t.Context()
	empty := must[store.OutboxDepth](t)(st.Outbox.Depth(ctx))
	if len(empty.States) != 0 || empty.Dead != (store.Depth{}) {
		t.Fatalf("empty outbox: %+v", empty)
	}
	f := newFixture(t, st, "depth")
	f.trigger(t, st, store.Trigger{Kind: store.KindPubsub, Pubsub: &store.PubsubTrigger{Pattern: "t"}})
	for range 3 {
		mustPublish(t, st, f.app.ID, "t", 1)
	}
	if _, err := tx.Exec(ctx, `UPDATE outbox SET run_at = now() - interval '1 minute' WHERE id = (SELECT min(id) FROM outbox)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE outbox SET run_at = now() + interval '1 hour' WHERE id = (SELECT max(id) FROM outbox)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox_dead (id, app_id, kind, event_id, payload, attempt, max_attempts, created_at, failed_at)
		VALUES (999, $1, 'pubsub', gen_random_uuid(), '{}', 3, 3, now(), now() - interval '10 seconds')`, f.app.ID); err != nil {
		t.Fatal(err)
	}
	d := must[store.OutboxDepth](t)(st.Outbox.Depth(ctx))
	if p := d.States["pending"]; p.Rows != 2 || p.Oldest < 59*time.Second || p.Oldest > 61*time.Second {
		t.Errorf("pending = %+v, want 2 rows, the oldest due for a minute", p)
	}
	if s := d.States["scheduled"]; s.Rows != 1 {
		t.Errorf("scheduled = %+v, want 1 row", s)
	}
	if len(d.States) != 2 {
		t.Errorf("states %v, want pending and scheduled", d.States)
	}
	if d.Dead.Rows != 1 || d.Dead.Oldest < 9*time.Second || d.Dead.Oldest > 11*time.Second {
		t.Errorf("dead = %+v, want 1 row, 10s old", d.Dead)
	}

	info := must[store.ServerInfo](t)(st.ServerInfo(ctx))
	if info.VersionNum < 100000 || info.Version == "" || time.Since(info.Now) > time.Hour {
		t.Fatalf("ServerInfo = %+v", info)
	}
}
