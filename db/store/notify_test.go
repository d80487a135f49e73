package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/picloud/picloud/db/store"
)

// A route change is announced when its transaction commits, never when it
// rolls back.
func TestNotifyRoutes(t *testing.T) {
	st, pool := freshStore(t)
	ctx := t.Context()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+store.RoutesChannel); err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	err = st.InTx(ctx, func(st *store.Store) error {
		if err := st.NotifyRoutes(ctx, 41); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	err = st.InTx(ctx, func(st *store.Store) error { return st.NotifyRoutes(ctx, 42) })
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.Conn().WaitForNotification(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Channel != store.RoutesChannel || n.Payload != "42" {
		t.Fatalf("got %s %q, want %s \"42\" (the rolled back 41 must not arrive)", n.Channel, n.Payload, store.RoutesChannel)
	}
}
