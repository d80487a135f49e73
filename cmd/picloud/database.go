package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/db/pgcluster"
)

// database is the pool the commands use and, without --database-url, the
// embedded cluster behind it.
type database struct {
	pool    *pgxpool.Pool
	cluster *pgcluster.Cluster
}

const connectTimeout = 10 * time.Second

// openDatabase connects to --database-url, or starts the embedded cluster
// in <data>/pg and connects to it. On error nothing is left running.
func (c *cli) openDatabase(ctx context.Context) (*database, error) {
	if c.databaseURL != "" {
		cfg, err := pgxpool.ParseConfig(c.databaseURL)
		if err != nil {
			return nil, oneLine(fmt.Errorf("DATABASE_URL: %w", err))
		}
		pool, err := connect(ctx, cfg)
		if err != nil {
			cc := cfg.ConnConfig
			return nil, oneLine(fmt.Errorf("database at DATABASE_URL (host=%s port=%d user=%s database=%s) is unreachable: %w: start that server or fix DATABASE_URL, or unset it to use the embedded database",
				cc.Host, cc.Port, cc.User, cc.Database, err))
		}
		return &database{pool: pool}, nil
	}

	dir := filepath.Join(c.data, "pg")
	cluster, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir, Logger: c.logger.With("component", "pgcluster")})
	if err != nil {
		return nil, oneLine(fmt.Errorf("embedded database: %w (the data directory is set by --data or PICLOUD_DATA; DATABASE_URL uses a PostgreSQL server of your own instead)", err))
	}
	cfg, err := pgxpool.ParseConfig(cluster.URL())
	if err == nil {
		var pool *pgxpool.Pool
		if pool, err = connect(ctx, cfg); err == nil {
			return &database{pool: pool, cluster: cluster}, nil
		}
	}
	stopErr := cluster.Stop(context.WithoutCancel(ctx))
	return nil, oneLine(errors.Join(fmt.Errorf("embedded database in %s: %w", dir, err), stopErr))
}

func connect(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// close closes the pool and stops the embedded cluster, even when ctx is
// already canceled (a shutdown).
func (d *database) close(ctx context.Context, log *slog.Logger) error {
	d.pool.Close()
	if d.cluster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := d.cluster.Stop(ctx); err != nil {
		log.ErrorContext(ctx, "stopping the embedded database failed", slog.Any("error", err))
		return err
	}
	return nil
}
