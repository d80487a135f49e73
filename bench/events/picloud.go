package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

// picloudSide is PiCloud as picloud serve runs it in one process: the
// sandbox, the effects, the recorder and the dispatcher, with a no-op
// script subscribed to topic "f1" once and to topic "f10" ten times.
type picloudSide struct {
	st   *store.Store
	host *runtime.Host
	fx   *effects.Manager
	rec  *record.Recorder
	d    *dispatch.Dispatcher
	app  store.App
	p    *probe
	cfg  dispatch.Config
}

func startPicloud(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, recordInvocations bool, slots, appConcurrency int) (*picloudSide, error) {
	s := &picloudSide{st: store.New(pool), p: newProbe()}
	var err error
	if s.host, err = runtime.New(ctx, runtime.Config{Logger: log}); err != nil {
		return nil, err
	}
	slug := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if s.app, err = s.st.Apps.Insert(ctx, store.App{Slug: slug, Limits: store.Limits{MaxConcurrency: int32(appConcurrency)}}); err != nil {
		return nil, err
	}
	sc, err := s.st.Scripts.Insert(ctx, s.app.ID, "noop")
	if err != nil {
		return nil, err
	}
	if _, err := s.st.Scripts.AddVersion(ctx, sc.ID, `()`); err != nil {
		return nil, err
	}
	if sc, err = s.st.Scripts.Activate(ctx, sc.ID, 1); err != nil {
		return nil, err
	}
	for i := range 11 {
		topic := "f10"
		if i == 0 {
			topic = "f1"
		}
		if _, err := s.st.Triggers.Insert(ctx, store.Trigger{AppID: s.app.ID, ScriptID: sc.ID, Kind: store.KindPubsub,
			Enabled: true, Pubsub: &store.PubsubTrigger{Pattern: topic}}); err != nil {
			return nil, err
		}
	}
	if s.rec, err = record.New(s.st.Invocations, record.Config{Logger: log}); err != nil {
		return nil, err
	}
	if s.fx, err = effects.New(effects.Config{Store: s.st, Wake: s.wake, Logger: log}); err != nil {
		return nil, err
	}
	cfg := dispatch.Config{Store: s.st, Invoker: s, Effects: s.fx, Logger: log, Slots: slots}
	if recordInvocations {
		cfg.Recorder = s.rec
	}
	s.cfg = cfg
	if s.d, err = dispatch.New(ctx, cfg); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *picloudSide) pause(ctx context.Context) error {
	d := s.d
	s.d = nil
	return d.Close(ctx)
}

func (s *picloudSide) resume(ctx context.Context) error {
	d, err := dispatch.New(ctx, s.cfg)
	if err != nil {
		return err
	}
	s.d = d
	return nil
}

func (s *picloudSide) wake() {
	if s.d != nil {
		s.d.Wake()
	}
}

func (s *picloudSide) close() {
	ctx := context.Background()
	_ = s.d.Close(ctx)
	_ = s.rec.Close(ctx)
	_ = s.host.Close(ctx)
}

func (s *picloudSide) name() string  { return "picloud" }
func (s *picloudSide) probe() *probe { return s.p }

// Invoke runs the script and tells the probe when it started: when the
// run returned, less the time it ran (queueing for an instance included in
// the latency, as it should be).
func (s *picloudSide) Invoke(ctx context.Context, req runtime.Request) (runtime.Result, error) {
	res, err := s.host.Invoke(ctx, req)
	end := time.Now()
	s.p.observe(publishedAt(req.Event), end.Add(-res.Duration), end)
	return res, err
}

// publishedAt reads ctx.event.pubsub.published_at without decoding the
// whole event.
func publishedAt(event []byte) time.Time {
	const key = `"published_at"`
	i := bytes.Index(event, []byte(key))
	if i < 0 {
		return time.Time{}
	}
	rest := bytes.TrimLeft(event[i+len(key):], ": ")
	if len(rest) == 0 || rest[0] != '"' {
		return time.Time{}
	}
	rest = rest[1:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t
}

func (s *picloudSide) publisher(fanout int) (func(ctx context.Context) error, error) {
	topic := fmt.Sprintf("f%d", fanout)
	msg := json.RawMessage(`{"n":1}`)
	return func(ctx context.Context) error {
		stage := s.fx.Stage(s.app)
		if _, err := stage.Publish(ctx, topic, msg); err != nil {
			return err
		}
		sum, err := s.fx.Commit(ctx, stage)
		if err != nil {
			return err
		}
		if sum.Deliveries != int64(fanout) {
			return fmt.Errorf("fan-out %d, want %d", sum.Deliveries, fanout)
		}
		return nil
	}, nil
}

// invokeCPU is the sandbox's CPU time per invocation of the no-op script,
// run n times in a row.
func (s *picloudSide) invokeCPU(ctx context.Context, n int) (time.Duration, error) {
	req := runtime.Request{App: s.app.Slug + "-cpu", Script: "noop", Version: "noop", Source: `()`, InvocationID: "x"}
	for range 100 { // warm
		if _, err := s.host.Invoke(ctx, req); err != nil {
			return 0, err
		}
	}
	c0 := cpuTime()
	for range n {
		if _, err := s.host.Invoke(ctx, req); err != nil {
			return 0, err
		}
	}
	return (cpuTime() - c0) / time.Duration(n), nil
}
