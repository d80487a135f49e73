// Package store is PiCloud's data access: thin, typed wrappers over the
// sqlc queries in db/queries that take a pool or a transaction, return
// domain types and turn database errors into ErrNotFound, ErrConflict and
// ErrInvalid.
//
//	st := store.New(pool)            // or store.New(tx)
//	app, err := st.Apps.Insert(ctx, store.App{Slug: "shop"})
//	err = st.InTx(ctx, func(st *store.Store) error { ... })
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// DBTX is what the store runs queries on: *pgxpool.Pool, *pgx.Conn and
// pgx.Tx all satisfy it. Begin on a transaction opens a savepoint, so store
// methods that need several statements stay atomic either way.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store groups the per-table stores over one DBTX.
type Store struct {
	db DBTX
	q  *dbsqlc.Queries

	Apps        *Apps
	Scripts     *Scripts
	Triggers    *Triggers
	Outbox      *Outbox
	KV          *KV
	Invocations *Invocations
	Tokens      *Tokens
	Nodes       *Nodes
	Members     *Members
	Secrets     *Secrets
}

// New returns a Store that runs its queries on db.
func New(db DBTX) *Store {
	q := dbsqlc.New(db)
	return &Store{
		db:          db,
		q:           q,
		Apps:        &Apps{q: q},
		Scripts:     &Scripts{q: q},
		Triggers:    &Triggers{db: db, q: q},
		Outbox:      &Outbox{q: q},
		KV:          &KV{q: q},
		Invocations: &Invocations{db: db, q: q},
		Tokens:      &Tokens{db: db, q: q},
		Nodes:       &Nodes{q: q},
		Members:     &Members{q: q},
		Secrets:     &Secrets{q: q},
	}
}

// InTx runs fn with a Store on a transaction (a savepoint when the Store
// already runs on one), committed when fn returns nil and rolled back
// otherwise.
func (s *Store) InTx(ctx context.Context, fn func(*Store) error) error {
	return inTx(ctx, s.db, func(tx pgx.Tx) error { return fn(New(tx)) })
}

func inTx(ctx context.Context, db DBTX, fn func(pgx.Tx) error) error {
	if err := pgx.BeginFunc(ctx, db, fn); err != nil {
		return err
	}
	return nil
}

var (
	// ErrNotFound: the row, or a row it refers to, does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a row with the same unique key exists.
	ErrConflict = errors.New("already exists")
	// ErrInvalid: the database rejected a value (a CHECK constraint, a
	// malformed or too long value, a non-numeric KV value to increment).
	ErrInvalid = errors.New("invalid")
)

// Error is a store failure: what was attempted, its kind (ErrNotFound,
// ErrConflict, ErrInvalid, or nil for anything else) and the cause. Both
// errors.Is(err, store.ErrConflict) and errors.As(err, **pgconn.PgError)
// work on it.
type Error struct {
	Op         string // e.g. `insert app "shop"`
	Kind       error  // ErrNotFound, ErrConflict, ErrInvalid or nil
	Constraint string // the violated constraint, when there is one
	Err        error  // the cause
}

func (e *Error) Error() string {
	switch {
	case e.Kind != nil && e.Constraint != "":
		return fmt.Sprintf("store: %s: %v (%s)", e.Op, e.Kind, e.Constraint)
	case e.Kind != nil:
		return fmt.Sprintf("store: %s: %v", e.Op, e.Kind)
	default:
		return fmt.Sprintf("store: %s: %v", e.Op, e.Err)
	}
}

func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// wrap turns a database error into an *Error for op; nil stays nil.
func wrap(err error, op string, args ...any) error {
	if err == nil {
		return nil
	}
	if len(args) > 0 {
		op = fmt.Sprintf(op, args...)
	}
	e := &Error{Op: op, Err: err}
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		e.Kind = ErrNotFound
	case errors.As(err, &pgErr):
		e.Constraint = pgErr.ConstraintName
		switch pgErr.Code {
		case "23505": // unique_violation
			e.Kind = ErrConflict
		case "23503": // foreign_key_violation: the referenced row is missing
			e.Kind = ErrNotFound
		case "23514", "23502", "23001", // check, not null, restrict
			"22P02", "22001", "22003", "22023", "2201B": // bad text, too long, out of range, bad parameter, bad regex
			e.Kind = ErrInvalid
			if e.Constraint == "" {
				e.Constraint = pgErr.Message
			}
		}
	}
	return e
}

// notFound is the error of an update or delete that matched no row.
func notFound(op string, args ...any) error {
	return &Error{Op: fmt.Sprintf(op, args...), Kind: ErrNotFound, Err: pgx.ErrNoRows}
}
