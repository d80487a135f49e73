package record_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/hostfuncs/abi"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(dbtest.Wrap(m)) }

// batches wraps a Writer and reports every batch it is handed.
type batches struct {
	record.Writer
	sizes chan int
}

func (b *batches) InsertBatch(ctx context.Context, invs []store.Invocation) error {
	err := b.Writer.InsertBatch(ctx, invs)
	if err == nil {
		b.sizes <- len(invs)
	}
	return err
}

type fixture struct {
	st     *store.Store
	app    store.App
	script store.Script
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	st := store.New(dbtest.Tx(t))
	ctx := t.Context()
	app, err := st.Apps.Insert(ctx, store.App{Slug: "rec"})
	if err != nil {
		t.Fatal(err)
	}
	script, err := st.Scripts.Insert(ctx, app.ID, "main")
	if err != nil {
		t.Fatal(err)
	}
	return fixture{st: st, app: app, script: script}
}

func (f fixture) invocation(i int) record.Invocation {
	return record.Invocation{
		Invocation: store.Invocation{
			ID: uuid.Must(uuid.NewV7()), AppID: f.app.ID, ScriptID: f.script.ID, Version: 1,
			TriggerKind: store.KindHTTP, StartedAt: time.Now(), Duration: time.Millisecond,
			Outcome: store.OutcomeOK, Result: json.RawMessage(fmt.Sprint(i)),
			Logs: []store.LogLine{{Seq: 0, Level: "info", Message: fmt.Sprint("line ", i), At: time.Now()}},
		},
		App: f.app.Slug, Script: f.script.Name,
	}
}

func (f fixture) count(t *testing.T) int {
	t.Helper()
	invs, err := f.st.Invocations.List(t.Context(), store.InvocationFilter{AppID: f.app.ID, Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	return len(invs)
}

func newRecorder(t *testing.T, w record.Writer, cfg record.Config) *record.Recorder {
	t.Helper()
	r, err := record.New(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// Full batches are written at once, in batches of at most BatchSize, and
// every row arrives with its logs.
func TestBatches(t *testing.T) {
	f := newFixture(t)
	w := &batches{Writer: f.st.Invocations, sizes: make(chan int, 100)}
	r := newRecorder(t, w, record.Config{BatchSize: 10, FlushInterval: time.Hour})
	first := f.invocation(0)
	r.Record(first)
	for i := 1; i < 25; i++ {
		r.Record(f.invocation(i))
	}
	// Two full batches go out without waiting for the interval.
	for total := 0; total < 20; {
		n := <-w.sizes
		if n > 10 {
			t.Fatalf("a batch of %d, want at most BatchSize 10", n)
		}
		total += n
	}
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.count(t); got != 25 {
		t.Fatalf("%d invocations written, want 25", got)
	}
	logs, err := f.st.Invocations.Logs(t.Context(), first.ID)
	if err != nil || len(logs) != 1 || logs[0].Message != "line 0" {
		t.Fatalf("logs of the first = %+v, %v", logs, err)
	}
	if s := r.Stats(); s.Recorded != 25 || s.Written != 25 || s.Dropped != 0 || s.Pending != 0 {
		t.Fatalf("Stats = %+v", s)
	}
}

// A batch that does not fill is written after FlushInterval.
func TestFlushInterval(t *testing.T) {
	f := newFixture(t)
	w := &batches{Writer: f.st.Invocations, sizes: make(chan int, 100)}
	r := newRecorder(t, w, record.Config{BatchSize: 100, FlushInterval: time.Millisecond})
	r.Record(f.invocation(1))
	r.Record(f.invocation(2))
	for total := 0; total < 2; {
		total += <-w.sizes
	}
	if got := f.count(t); got != 2 {
		t.Fatalf("%d invocations written, want 2", got)
	}
}

// Close writes what is buffered.
func TestCloseFlushes(t *testing.T) {
	f := newFixture(t)
	r, err := record.New(f.st.Invocations, record.Config{BatchSize: 100, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		r.Record(f.invocation(i))
	}
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.count(t); got != 7 {
		t.Fatalf("%d invocations written after Close, want 7", got)
	}
	r.Record(f.invocation(8)) // after Close: dropped, not written
	if s := r.Stats(); s.Written != 7 || s.Dropped != 1 {
		t.Fatalf("Stats = %+v, want 7 written and 1 dropped", s)
	}
}

// stalled is a database that does not answer until released.
type stalled struct {
	release chan struct{}
	entered chan struct{}
	mu      sync.Mutex
	rows    int
}

func (s *stalled) InsertBatch(ctx context.Context, invs []store.Invocation) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	s.rows += len(invs)
	s.mu.Unlock()
	return nil
}

// When the database stalls, the buffer keeps the newest MaxPending and
// counts what it drops; nothing is lost silently.
func TestBoundedBuffer(t *testing.T) {
	f := fixture{app: store.App{ID: 1, Slug: "a"}, script: store.Script{ID: 1, Name: "s"}}
	db := &stalled{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	r := newRecorder(t, db, record.Config{BatchSize: 5, MaxPending: 20, FlushInterval: time.Millisecond})
	r.Record(f.invocation(0))
	<-db.entered // the writer holds a batch of 1 and waits on the database
	for i := 1; i <= 100; i++ {
		r.Record(f.invocation(i))
	}
	s := r.Stats()
	if s.Pending != 20 || s.Dropped != 80 || s.Recorded != 101 {
		t.Fatalf("Stats with a stalled database = %+v, want 20 pending and 80 dropped", s)
	}
	close(db.release)
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	s = r.Stats()
	if db.rows != 21 || s.Written != 21 || s.Written+s.Dropped != s.Recorded {
		t.Fatalf("after release: %d rows written, Stats = %+v; want 21", db.rows, s)
	}
}

// Close gives up when its context ends and says how much it abandoned.
func TestCloseTimeout(t *testing.T) {
	f := fixture{app: store.App{ID: 1, Slug: "a"}, script: store.Script{ID: 1, Name: "s"}}
	db := &stalled{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	r, err := record.New(db, record.Config{BatchSize: 2, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r.Record(f.invocation(i))
	}
	<-db.entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = r.Close(ctx)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "5 invocations not written") {
		t.Fatalf("Close = %v, want 5 invocations not written", err)
	}
}

// flaky fails its first n writes.
type flaky struct {
	record.Writer
	mu    sync.Mutex
	fails int
}

func (f *flaky) InsertBatch(ctx context.Context, invs []store.Invocation) error {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return errors.New("connection refused")
	}
	return f.Writer.InsertBatch(ctx, invs)
}

// A failed write is retried; rows whose script was deleted meanwhile are
// skipped without losing the others of their batch.
func TestRetryAndOrphans(t *testing.T) {
	f := newFixture(t)
	w := &flaky{Writer: f.st.Invocations, fails: 2}
	r := newRecorder(t, w, record.Config{BatchSize: 10, FlushInterval: time.Millisecond, RetryInterval: time.Millisecond})
	orphan := f.invocation(0)
	orphan.ScriptID = -1 // a deleted script
	r.Record(f.invocation(1))
	r.Record(orphan)
	r.Record(f.invocation(2))
	if err := r.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := r.Stats()
	if s.Written != 2 || s.Orphaned != 1 || s.Failures != 2 || s.Dropped != 0 {
		t.Fatalf("Stats = %+v, want 2 written, 1 orphaned after 2 failures", s)
	}
	if got := f.count(t); got != 2 {
		t.Fatalf("%d rows, want 2", got)
	}
}

func TestTail(t *testing.T) {
	f := newFixture(t)
	other := f
	other.app.ID, other.app.Slug = f.app.ID+1, "other"
	r, err := record.New(&stalled{release: make(chan struct{}), entered: make(chan struct{}, 1)}, record.Config{TailBuffer: 2})
	if err != nil {
		t.Fatal(err)
	}
	mine, stopMine := r.Subscribe(f.app.ID)
	all, _ := r.Subscribe(record.AllApps)
	gone, stopGone := r.Subscribe(f.app.ID)
	stopGone()
	stopGone() // twice is fine
	if _, ok := <-gone; ok {
		t.Fatal("an ended subscription's channel is open")
	}

	inv := f.invocation(1)
	inv.Error, inv.ErrorLine, inv.ErrorColumn, inv.Outcome = "boom", 2, 3, store.OutcomeError
	r.Record(inv)
	r.Record(other.invocation(2))
	got := <-mine
	if got.ID != inv.ID || got.App != "rec" || got.Script != "main" || got.Outcome != store.OutcomeError ||
		got.Error != "boom" || got.ErrorLine != 2 || got.DurationUS != 1000 || len(got.Logs) != 1 || got.Logs[0].Message != "line 1" {
		t.Fatalf("summary = %+v", got)
	}
	select {
	case s := <-mine:
		t.Fatalf("app subscriber got another app's invocation %+v", s)
	default:
	}
	if a, b := <-all, <-all; a.App != "rec" || b.App != "other" {
		t.Fatalf("AllApps got %s, %s", a.App, b.App)
	}
	// A subscriber that does not read misses summaries; recording goes on.
	for i := range 5 {
		r.Record(f.invocation(i))
	}
	if s := r.Stats(); s.TailDrops == 0 {
		t.Fatalf("Stats = %+v, want tail drops", s)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = r.Close(ctx) // the stalled database never answers
	for range mine {
	}
	for range all {
	}
	stopMine() // after Close: nothing to do
	if ch, _ := r.Subscribe(f.app.ID); ch != nil {
		if _, ok := <-ch; ok {
			t.Fatal("Subscribe after Close returned an open channel")
		}
	}
}

func TestFill(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := runtime.Result{
		Outcome: runtime.OutcomeOK, Value: json.RawMessage(`{"a":1}`), Fuel: 42, PeakMemory: 4096,
		Duration: 3 * time.Millisecond, LogsDropped: 2,
		Logs: []runtime.LogLine{
			{Time: t0, Level: abi.LevelPrint, Text: "printed"},
			{Time: t0, Level: abi.LevelDebug, Text: "debugged"},
			{Time: t0, Level: abi.LevelWarn, Text: "warned"},
		},
	}
	var inv store.Invocation
	record.Fill(&inv, res, nil, false)
	if inv.Outcome != store.OutcomeOK || string(inv.Result) != `{"a":1}` || inv.FuelUsed != 42 || inv.PeakMemoryBytes != 4096 ||
		inv.Duration != 3*time.Millisecond || inv.Error != "" {
		t.Fatalf("Fill = %+v", inv)
	}
	var lines []string
	for _, l := range inv.Logs {
		lines = append(lines, fmt.Sprintf("%d %s %s", l.Seq, l.Level, l.Message))
	}
	want := "0 info printed|1 warn warned|2 warn 2 more log lines dropped: the invocation's log limit was reached"
	if got := strings.Join(lines, "|"); got != want {
		t.Fatalf("logs without debug output:\n got %s\nwant %s", got, want)
	}
	record.Fill(&inv, res, nil, true)
	if len(inv.Logs) != 4 || inv.Logs[1].Level != "debug" || inv.Logs[1].Message != "debugged" {
		t.Fatalf("logs with debug output = %+v", inv.Logs)
	}

	se := &runtime.ScriptError{Kind: "ErrorTooManyOperations", Message: "too many operations", Line: 3, Col: 7, Text: "main:3:7: too many operations"}
	inv = store.Invocation{}
	record.Fill(&inv, runtime.Result{Outcome: runtime.OutcomeFuelExhausted, Error: se, Value: json.RawMessage(`1`)}, se, false)
	if inv.Outcome != store.OutcomeFuelExhausted || inv.Error != "main:3:7: too many operations" || inv.ErrorLine != 3 ||
		inv.ErrorColumn != 7 || inv.Result != nil {
		t.Fatalf("Fill of a fuel error = %+v", inv)
	}
	inv = store.Invocation{}
	record.Fill(&inv, runtime.Result{}, runtime.ErrClosed, false)
	if inv.Outcome != store.OutcomeError || inv.Error != runtime.ErrClosed.Error() {
		t.Fatalf("Fill of a failure before the run = %+v", inv)
	}
}

func TestOutbound(t *testing.T) {
	var inv store.Invocation
	record.Outbound(&inv, nil)
	if inv.OutboundRequests != nil {
		t.Fatalf("nil client: %s", inv.OutboundRequests)
	}
	c := egress.Policy{}.NewClient(time.Time{})
	defer c.Close()
	c.Do(context.Background(), egress.Request{URL: "http://10.0.0.1/secret-path?token=x"}) // blocked before any dial
	record.Outbound(&inv, c)
	if string(inv.OutboundRequests) != `[{"method":"GET","host":"10.0.0.1","duration_ms":0,"bytes":0,"error":"blocked"}]` {
		t.Fatalf("OutboundRequests = %s", inv.OutboundRequests)
	}
}

// lostAck writes its first batch, then reports a failure, as a connection
// lost between COMMIT and its acknowledgement (a database restart) does.
type lostAck struct {
	record.Writer
	lost bool
}

func (w *lostAck) InsertBatch(ctx context.Context, invs []store.Invocation) error {
	if err := w.Writer.InsertBatch(ctx, invs); err != nil {
		return err
	}
	if !w.lost {
		w.lost = true
		return errors.New("unexpected EOF")
	}
	return nil
}

// A batch written whose acknowledgement was lost is retried; its rows are
// already there, so the retry counts them as written instead of failing
// for ever on their unique ids.
func TestRetryAfterLostAcknowledgement(t *testing.T) {
	f := newFixture(t)
	w := &lostAck{Writer: f.st.Invocations}
	r := newRecorder(t, w, record.Config{BatchSize: 10, FlushInterval: time.Millisecond, RetryInterval: time.Millisecond})
	for i := range 3 {
		r.Record(f.invocation(i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := r.Stats(); s.Written != 3 || s.Dropped != 0 {
		t.Fatalf("Stats = %+v, want 3 written, none dropped", s)
	}
	if got := f.count(t); got != 3 {
		t.Fatalf("%d rows, want 3", got)
	}
}
