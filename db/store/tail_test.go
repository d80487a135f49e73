package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
)

// Named reads invocations with their logs and names, for other nodes' live
// tails; NotifyInvocations announces them.
func TestNamedAndNotifyInvocations(t *testing.T) {
	st, pool := freshStore(t)
	ctx := t.Context()
	f := newFixture(t, st, "tail")
	invs := insertInvocations(t, st, f, 3)

	got := must[[]store.NamedInvocation](t)(st.Invocations.Named(ctx, []uuid.UUID{invs[2].ID, invs[1].ID, uuid.New()}))
	if len(got) != 2 || got[0].ID != invs[1].ID || got[1].ID != invs[2].ID {
		t.Fatalf("Named = %+v, want invocations 1 and 2, oldest first", got)
	}
	if g := got[0]; g.App != "tail" || g.Script != "main" || g.Error != "boom" || g.ErrorLine != 3 || len(g.Logs) != 2 ||
		g.Logs[1].Message != "end" || g.Duration != 1500*time.Microsecond {
		t.Fatalf("Named[0] = %+v", g)
	}
	if got := must[[]store.NamedInvocation](t)(st.Invocations.Named(ctx, []uuid.UUID{uuid.New()})); len(got) != 0 {
		t.Fatalf("Named(missing) = %+v", got)
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+store.InvocationsChannel); err != nil {
		t.Fatal(err)
	}
	if err := st.NotifyInvocations(ctx, "node-a 1,2"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.Conn().WaitForNotification(wctx)
	if err != nil || n.Channel != store.InvocationsChannel || n.Payload != "node-a 1,2" {
		t.Fatalf("notification %+v, %v", n, err)
	}
}
