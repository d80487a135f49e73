package metrics_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/metrics"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

type recorded []record.Invocation

func (r *recorded) Record(inv record.Invocation) { *r = append(*r, inv) }

func inv(app string, kind store.Kind, outcome store.Outcome, outbox int64, attempt int32) record.Invocation {
	return record.Invocation{App: app, Invocation: store.Invocation{
		TriggerKind: kind, Outcome: outcome, OutboxID: outbox, Attempt: attempt,
		Duration: 2 * time.Millisecond, FuelUsed: 500,
	}}
}

// Every invocation is counted by app, outcome and kind, observed in the
// histograms, and passed on; outbox runs count as delivery attempts, and
// those past the first as retries.
func TestInvocations(t *testing.T) {
	reg := metrics.NewRegistry()
	var next recorded
	var logs bytes.Buffer
	m, err := metrics.NewInvocations(reg, &next, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m.Record(inv("shop", store.KindHTTP, store.OutcomeOK, 0, 0))
	m.Record(inv("shop", store.KindHTTP, store.OutcomeError, 0, 0))
	m.Record(inv("shop", store.KindPubsub, store.OutcomeOK, 7, 1))
	m.Record(inv("blog", store.KindPubsub, store.OutcomeTimeout, 8, 3))
	withEgress := inv("shop", store.KindHTTP, store.OutcomeOK, 0, 0)
	withEgress.OutboundRequests = []byte(`[{"method":"GET","host":"a","status":200,"bytes":10},{"method":"GET","host":"a","status":503,"bytes":5},{"method":"GET","host":"b","error":"blocked"}]`)
	m.Record(withEgress)
	if len(next) != 5 {
		t.Fatalf("passed on %d invocations, want 5", len(next))
	}
	want := `
# HELP picloud_invocations_total Invocations that ran, by app, outcome (ok, error, fuel_exhausted, memory_exceeded, timeout) and trigger kind.
# TYPE picloud_invocations_total counter
picloud_invocations_total{app="blog",outcome="timeout",trigger="pubsub"} 1
picloud_invocations_total{app="shop",outcome="error",trigger="http"} 1
picloud_invocations_total{app="shop",outcome="ok",trigger="http"} 2
picloud_invocations_total{app="shop",outcome="ok",trigger="pubsub"} 1
# HELP picloud_delivery_attempts_total Outbox deliveries run (each attempt once), by trigger kind and outcome.
# TYPE picloud_delivery_attempts_total counter
picloud_delivery_attempts_total{outcome="ok",trigger="pubsub"} 1
picloud_delivery_attempts_total{outcome="timeout",trigger="pubsub"} 1
# HELP picloud_delivery_retries_total Outbox deliveries run again after a failed or interrupted attempt, by trigger kind.
# TYPE picloud_delivery_retries_total counter
picloud_delivery_retries_total{trigger="pubsub"} 1
# HELP picloud_egress_requests_total Outbound HTTP requests scripts made, by app and result: the status class (2xx, 3xx, 4xx, 5xx) or the failure's kind.
# TYPE picloud_egress_requests_total counter
picloud_egress_requests_total{app="shop",result="2xx"} 1
picloud_egress_requests_total{app="shop",result="5xx"} 1
picloud_egress_requests_total{app="shop",result="blocked"} 1
# HELP picloud_egress_response_bytes_total Bytes of outbound HTTP response bodies scripts read, by app.
# TYPE picloud_egress_response_bytes_total counter
picloud_egress_response_bytes_total{app="shop"} 15
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"picloud_invocations_total", "picloud_delivery_attempts_total", "picloud_delivery_retries_total",
		"picloud_egress_requests_total", "picloud_egress_response_bytes_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "picloud_invocation_duration_seconds", "picloud_invocation_fuel"); n != 4 {
		t.Fatalf("%d histogram series, want 2 kinds × 2 histograms", n)
	}
	// A second registration in the same registry is refused, not a panic.
	// Failures are logged at info level with their invocation id; the
	// successes only at debug level.
	if n := strings.Count(logs.String(), "msg=invocation"); n != 2 || !strings.Contains(logs.String(), "outcome=timeout") ||
		!strings.Contains(logs.String(), "invocation_id=") || !strings.Contains(logs.String(), "attempt=3") {
		t.Fatalf("logged:\n%s", logs.String())
	}
	if _, err := metrics.NewInvocations(reg, nil, nil); err == nil {
		t.Fatal("registering the invocation metrics twice succeeded")
	}
}

type sandbox struct{ s runtime.Stats }

func (s sandbox) Stats() runtime.Stats { return s.s }

type dispatcher struct{ s dispatch.Stats }

func (d dispatcher) Stats() dispatch.Stats { return d.s }

type recStats struct{ s record.Stats }

func (r recStats) Stats() record.Stats { return r.s }

// The scrape-time sources: the pool, the sandbox, the recorder and the
// outbox, read through the handler as Prometheus would.
func TestSources(t *testing.T) {
	pool := dbtest.Fresh(t)
	st := store.New(pool)
	ctx := t.Context()
	app, err := st.Apps.Insert(ctx, store.App{Slug: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.Outbox.PushAfter(ctx, app.ID, "jobs", [16]byte{1}, []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	err = metrics.Register(reg, metrics.Sources{
		Pool:       pool,
		Sandbox:    sandbox{runtime.Stats{Apps: 2, Running: 1, Idle: 3, Spares: 1}},
		Recorder:   recStats{record.Stats{Recorded: 10, Written: 8, Dropped: 2, Pending: 1}},
		Outbox:     st.Outbox,
		Dispatcher: dispatcher{dispatch.Stats{Claimed: 5, Delivered: 4, DeadLettered: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.Handler(reg))
	defer srv.Close()
	body := scrape(t, srv.URL)
	for _, line := range []string{
		`picloud_db_pool_connections{state="acquired"} `,
		`picloud_sandbox_instances{state="idle"} 3`,
		`picloud_sandbox_apps 2`,
		`picloud_recorder_dropped_total 2`,
		`picloud_recorder_pending 1`,
		`picloud_outbox_deliveries{state="waiting"} 1`,
		`picloud_outbox_deliveries{state="pending"} 0`,
		`picloud_outbox_dead_letters 0`,
		`picloud_outbox_depth_errors_total 0`,
		`picloud_dispatch_claimed_total 5`,
		`picloud_dispatch_dead_lettered_total 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("the scrape lacks %q", line)
		}
	}
	if t.Failed() {
		t.Log(body)
	}

	// Within OutboxEvery the last depth is reused: a second push does not
	// show until it has passed.
	if _, _, _, err := st.Outbox.PushAfter(ctx, app.ID, "jobs", [16]byte{2}, []byte(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	if body := scrape(t, srv.URL); !strings.Contains(body, `picloud_outbox_deliveries{state="waiting"} 1`) {
		t.Fatal("the outbox was queried again within OutboxEvery")
	}
}

// A failing outbox query is counted and leaves the outbox gauges out
// until a query succeeds; the rest of the scrape is served.
func TestSourcesOutboxDown(t *testing.T) {
	pool := dbtest.Fresh(t)
	st := store.New(pool)
	reg := metrics.NewRegistry()
	if err := metrics.Register(reg, metrics.Sources{Pool: pool, Outbox: st.Outbox, OutboxEvery: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	srv := httptest.NewServer(metrics.Handler(reg))
	defer srv.Close()
	body := scrape(t, srv.URL)
	if !strings.Contains(body, "picloud_outbox_depth_errors_total 1") || strings.Contains(body, "picloud_outbox_deliveries") ||
		!strings.Contains(body, "picloud_db_pool_max_connections") {
		t.Fatalf("scrape with the database closed:\n%s", body)
	}
	if err := metrics.Register(metrics.NewRegistry(), metrics.Sources{OutboxEvery: -1}); err == nil {
		t.Fatal("a negative OutboxEvery was accepted")
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(b)
}
