// Package migrations holds PiCloud's schema as goose SQL migrations
// (NNNNN_name.sql, embedded in the binary) and applies them.
//
// Migrations only ever move forward in production: a change to the data
// model is a new file. Every migration has a Down section so tests can prove
// the schema goes down and up again.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// lockID is the advisory lock that serializes migrations across processes
// sharing a database ("picloud" in ASCII).
const lockID = 0x7069636c6f7564

// Migrator applies the embedded migrations to one database.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
	latest   int64
}

// Config configures a Migrator.
type Config struct {
	// Logger receives one line per applied migration.
	// Default: a logger that discards.
	Logger *slog.Logger
}

// New returns a Migrator for the database behind pool. Close releases what it
// holds; the pool stays open.
func New(pool *pgxpool.Pool, cfg Config) (*Migrator, error) {
	if pool == nil {
		return nil, errors.New("migrations: nil pool")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(cfg.Logger),
	)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	sources := p.ListSources()
	return &Migrator{db: db, provider: p, latest: sources[len(sources)-1].Version}, nil
}

// Close releases the Migrator's connection handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Latest is the version of the newest embedded migration.
func (m *Migrator) Latest() int64 { return m.latest }

// Up applies every pending migration and returns the versions it applied.
// A database migrated by a newer PiCloud is refused rather than touched.
func (m *Migrator) Up(ctx context.Context) ([]int64, error) {
	current, err := m.provider.GetDBVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: read schema version: %w", err)
	}
	if current > m.latest {
		return nil, fmt.Errorf("migrations: the database schema is at version %d, newer than this PiCloud knows (%d): run a newer PiCloud", current, m.latest)
	}
	results, err := m.provider.Up(ctx)
	applied := versions(results)
	if err != nil {
		return applied, fmt.Errorf("migrations: up: %w", err)
	}
	return applied, nil
}

// Down rolls back the newest applied migration and returns its version.
func (m *Migrator) Down(ctx context.Context) (int64, error) {
	r, err := m.provider.Down(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: down: %w", err)
	}
	return r.Source.Version, nil
}

// Reset rolls back every applied migration.
func (m *Migrator) Reset(ctx context.Context) error {
	if _, err := m.provider.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("migrations: reset: %w", err)
	}
	return nil
}

// Status is the state of one migration in the database.
type Status struct {
	Version   int64
	Name      string    // file name, e.g. 00001_apps.sql
	Applied   bool      // false: pending
	AppliedAt time.Time // zero when pending
}

// Status lists every embedded migration with whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	st, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		out = append(out, Status{
			Version:   s.Source.Version,
			Name:      s.Source.Path,
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// ErrPending means the database lacks migrations this PiCloud needs.
var ErrPending = errors.New("migrations pending")

// CheckCurrent returns nil when every embedded migration is applied, and an
// error wrapping ErrPending (or the database error) otherwise.
func (m *Migrator) CheckCurrent(ctx context.Context) error {
	pending, err := m.provider.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if pending {
		current, _ := m.provider.GetDBVersion(ctx)
		return fmt.Errorf("schema at version %d, want %d: %w", current, m.latest, ErrPending)
	}
	return nil
}

// Fingerprint is a hash of every embedded migration's name and contents:
// test helpers key their template databases with it.
func Fingerprint() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("migrations: fingerprint: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func versions(results []*goose.MigrationResult) []int64 {
	out := make([]int64, 0, len(results))
	for _, r := range results {
		if r.Error == nil {
			out = append(out, r.Source.Version)
		}
	}
	return out
}
