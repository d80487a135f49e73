package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// riverSide is River v0.51.2 with its own benchmark's tuning
// (cmd/river/riverbench: FetchCooldown 2ms, FetchPollInterval 20ms, 2,000
// workers) and a worker that does nothing.
type riverSide struct {
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	p      *probe
}

type benchArgs struct {
	// T is when the job was inserted, in Unix nanoseconds.
	T int64 `json:"t"`
}

func (benchArgs) Kind() string { return "picloud_bench" }

type benchWorker struct {
	river.WorkerDefaults[benchArgs]
	p *probe
}

func (w *benchWorker) Work(_ context.Context, j *river.Job[benchArgs]) error {
	now := time.Now()
	w.p.observe(time.Unix(0, j.Args.T), now, now)
	return nil
}

func newRiver(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*riverSide, error) {
	driver := riverpgxv5.New(pool)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, err
	}
	s := &riverSide{pool: pool, p: newProbe()}
	workers := river.NewWorkers()
	river.AddWorker(workers, &benchWorker{p: s.p})
	s.client, err = river.NewClient(driver, &river.Config{
		FetchCooldown:     2 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2_000}},
		Workers:           workers,
	})
	if err != nil {
		return nil, err
	}
	if err := s.client.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *riverSide) name() string  { return "river" }
func (s *riverSide) probe() *probe { return s.p }

func (s *riverSide) publisher(fanout int) (func(ctx context.Context) error, error) {
	if fanout == 1 {
		return func(ctx context.Context) error {
			_, err := s.client.Insert(ctx, benchArgs{T: time.Now().UnixNano()}, nil)
			return err
		}, nil
	}
	return func(ctx context.Context) error {
		t := time.Now().UnixNano()
		params := make([]river.InsertManyParams, fanout)
		for i := range params {
			params[i] = river.InsertManyParams{Args: benchArgs{T: t}}
		}
		_, err := s.client.InsertMany(ctx, params)
		return err
	}, nil
}

func (s *riverSide) close(ctx context.Context) error { return s.client.Stop(ctx) }

func (s *riverSide) pause(ctx context.Context) error  { return s.client.Stop(ctx) }
func (s *riverSide) resume(ctx context.Context) error { return s.client.Start(ctx) }
