package store

import (
	"context"
	"time"
)

// Depth is the number of rows in one state and the age of the oldest.
type Depth struct {
	Rows   int64
	Oldest time.Duration // 0 when there are none
}

// OutboxDepth is the outbox at one moment, cluster-wide.
type OutboxDepth struct {
	// States maps "pending" (due now), "scheduled" (due later: delays and
	// retry backoffs), "running" and "waiting" (a queue without a
	// consumer) to their rows; a pending row's age counts from when it
	// became due, the others' from when they were created. States without
	// rows are absent.
	States map[string]Depth
	// Dead is the dead letters kept; its age counts from the failure.
	Dead Depth
}

// Depth reads the outbox's depth per state and the dead letters kept: one
// scan of the outbox (kept small by deleting delivered rows) and a count of
// outbox_dead.
func (s *Outbox) Depth(ctx context.Context) (OutboxDepth, error) {
	rows, err := s.q.OutboxDepth(ctx)
	if err != nil {
		return OutboxDepth{}, wrap(err, "read the outbox depth")
	}
	d := OutboxDepth{States: make(map[string]Depth, len(rows))}
	for _, r := range rows {
		d.States[r.State] = Depth{Rows: r.Deliveries, Oldest: seconds(r.OldestSeconds)}
	}
	dead, err := s.q.OutboxDeadDepth(ctx)
	if err != nil {
		return OutboxDepth{}, wrap(err, "count the dead letters")
	}
	d.Dead = Depth{Rows: dead.Dead, Oldest: seconds(dead.OldestSeconds)}
	return d, nil
}

// ServerInfo is the database server's clock and version.
type ServerInfo struct {
	Now        time.Time
	Version    string // e.g. "16.4 (Debian 16.4-1)"
	VersionNum int    // e.g. 160004
}

// ServerInfo reads the database's clock and version.
func (s *Store) ServerInfo(ctx context.Context) (ServerInfo, error) {
	r, err := s.q.DatabaseClock(ctx)
	if err != nil {
		return ServerInfo{}, wrap(err, "read the database server's clock and version")
	}
	return ServerInfo{Now: r.DbNow, Version: r.Version, VersionNum: int(r.VersionNum)}, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
