package cluster_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/cluster"
	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

// A member whose clock runs 3s ahead of the database's measures that at
// Join, stores it with its heartbeats, exports it, and leaves cleanly.
func TestMemberClockOffset(t *testing.T) {
	st := store.New(dbtest.Fresh(t))
	ctx := t.Context()
	reg := prometheus.NewRegistry()
	ahead := func() time.Time { return time.Now().Add(3 * time.Second) }
	m, err := cluster.Join(ctx, cluster.Config{
		Store: st, Name: "test:1", Role: cluster.RoleNode, Version: "v9", AdminAddr: "127.0.0.1:1",
		Interval: 10 * time.Millisecond, Registerer: reg, Now: ahead,
	})
	if err != nil {
		t.Fatal(err)
	}
	near := func(d time.Duration) bool { return d > 2500*time.Millisecond && d < 3500*time.Millisecond }
	if off := m.ClockOffset(); !near(off) {
		t.Fatalf("ClockOffset after Join = %v, want about 3s", off)
	}
	if n, err := testutil.GatherAndCount(reg, "picloud_clock_offset_seconds"); err != nil || n != 1 {
		t.Fatalf("picloud_clock_offset_seconds: %d series, %v", n, err)
	}
	// The heartbeats store it (polled: the beat is in another goroutine
	// and writes only to the database).
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := st.Members.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 && near(list[0].ClockOffset) {
			if got := list[0]; got.ID != m.ID() || got.Role != "node" || got.Version != "v9" || got.AdminAddr != "127.0.0.1:1" {
				t.Fatalf("member %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat stored the offset: %+v", list)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := m.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if list, err := st.Members.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after Leave: %+v, %v", list, err)
	}
}

func TestConfig(t *testing.T) {
	st := store.New(dbtest.Fresh(t))
	for name, cfg := range map[string]cluster.Config{
		"no store": {Name: "a", Role: cluster.RoleAll},
		"no name":  {Store: st, Role: cluster.RoleAll},
		"role":     {Store: st, Name: "a", Role: "boss"},
		"forget":   {Store: st, Name: "a", Role: cluster.RoleAll, Interval: time.Minute, ForgetAfter: time.Second},
	} {
		if m, err := cluster.Join(t.Context(), cfg); err == nil {
			_ = m.Leave(t.Context())
			t.Errorf("%s: Join succeeded", name)
		}
	}
}
