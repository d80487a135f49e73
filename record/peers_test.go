package record_test

import (
	"context"
	"testing"
	"time"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/listen"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/record"
)

// Two nodes on one database: each one's live tail shows the other's
// invocations too, once, and its own once.
func TestPeers(t *testing.T) {
	pool := dbtest.Fresh(t)
	st := store.New(pool)
	ctx := t.Context()
	a, err := st.Apps.Insert(ctx, store.App{Slug: "peers"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := st.Scripts.Insert(ctx, a.ID, "main")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{st: st, app: a, script: sc}

	announced := make(chan struct{}, 10)
	node := func(signal bool) *record.Recorder {
		r := newRecorder(t, st.Invocations, record.Config{
			FlushInterval: time.Millisecond,
			Announce: func(ctx context.Context, payload string) error {
				err := st.NotifyInvocations(ctx, payload)
				if signal {
					announced <- struct{}{}
				}
				return err
			},
			Fetch: st.Invocations.Named,
		})
		l, err := listen.Start(pool.Config().ConnConfig, listen.Config{},
			listen.Handler{Channel: store.InvocationsChannel, Notify: r.Heard})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		<-l.Ready()
		return r
	}
	one, two := node(false), node(true)
	tail, stop := two.Subscribe(a.ID)
	defer stop()

	own := f.invocation(1)
	two.Record(own)
	if got := next(t, tail); got.ID != own.ID {
		t.Fatalf("own invocation: got %s, want %s", got.ID, own.ID)
	}
	<-announced // two's own announcement is out: it must not show again

	remote := f.invocation(2)
	one.Record(remote)
	got := next(t, tail)
	if got.ID != remote.ID || got.App != "peers" || got.Script != "main" || len(got.Logs) != 1 || got.Logs[0].Message != "line 2" {
		t.Fatalf("the other node's invocation: got %+v, want %s with its logs", got, remote.ID)
	}
	select {
	case s := <-tail:
		t.Fatalf("an extra summary %s", s.ID)
	default:
	}
}

func next(t *testing.T, ch <-chan record.Summary) record.Summary {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no summary within 10 seconds")
		panic("unreachable")
	}
}

func TestAnnounceBatchSize(t *testing.T) {
	_, err := record.New(&stalled{}, record.Config{BatchSize: 500, Announce: func(context.Context, string) error { return nil }})
	if err == nil {
		t.Fatal("BatchSize 500 with Announce was accepted")
	}
}
