package store

import (
	"context"
	"time"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Members registers the serve processes of a cluster and their heartbeats.
type Members struct{ q *dbsqlc.Queries }

// Member is one serve process of the cluster.
type Member struct {
	ID         int64
	Name       string // e.g. host:pid, or the operator's --name
	Role       string // all, manager or node
	Version    string
	AdminAddr  string
	PublicAddr string
	StartedAt  time.Time
	LastSeen   time.Time // the database's clock at its last heartbeat
	// ClockOffset is the member's clock minus the database's, as it
	// measured at its previous heartbeat.
	ClockOffset time.Duration
	// SeenAgo is the time since its last heartbeat, by the database's clock.
	SeenAgo time.Duration
}

// Join registers m (ID, times and offset ignored) and returns its id and
// the database's clock.
func (s *Members) Join(ctx context.Context, m Member) (id int64, dbNow time.Time, err error) {
	r, err := s.q.ClusterMemberInsert(ctx, dbsqlc.ClusterMemberInsertParams{
		Name: m.Name, Role: m.Role, Version: m.Version, AdminAddr: m.AdminAddr, PublicAddr: m.PublicAddr,
	})
	if err != nil {
		return 0, time.Time{}, wrap(err, "register cluster member %q", m.Name)
	}
	return r.ID, r.DbNow, nil
}

// Beat marks member m.ID alive with m.ClockOffset (registering it again
// under the same id if it was forgotten) and returns the database's clock.
func (s *Members) Beat(ctx context.Context, m Member) (dbNow time.Time, err error) {
	t, err := s.q.ClusterMemberBeat(ctx, dbsqlc.ClusterMemberBeatParams{
		ID: m.ID, Name: m.Name, Role: m.Role, Version: m.Version, AdminAddr: m.AdminAddr, PublicAddr: m.PublicAddr,
		ClockOffsetMs: float64(m.ClockOffset) / float64(time.Millisecond),
	})
	if err != nil {
		return time.Time{}, wrap(err, "heartbeat of cluster member %d", m.ID)
	}
	return t, nil
}

// Leave removes member id.
func (s *Members) Leave(ctx context.Context, id int64) error {
	if _, err := s.q.ClusterMemberDelete(ctx, id); err != nil {
		return wrap(err, "remove cluster member %d", id)
	}
	return nil
}

// ForgetGone removes the members not seen within goneAfter and returns how
// many.
func (s *Members) ForgetGone(ctx context.Context, goneAfter time.Duration) (int64, error) {
	n, err := s.q.ClusterMemberDeleteGone(ctx, goneAfter.Seconds())
	if err != nil {
		return 0, wrap(err, "forget cluster members gone for %v", goneAfter)
	}
	return n, nil
}

// List returns every member, oldest first.
func (s *Members) List(ctx context.Context) ([]Member, error) {
	rows, err := s.q.ClusterMemberList(ctx)
	if err != nil {
		return nil, wrap(err, "list cluster members")
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = Member{
			ID: r.ID, Name: r.Name, Role: r.Role, Version: r.Version, AdminAddr: r.AdminAddr, PublicAddr: r.PublicAddr,
			StartedAt: r.StartedAt, LastSeen: r.LastSeen,
			ClockOffset: time.Duration(r.ClockOffsetMs * float64(time.Millisecond)),
			SeenAgo:     time.Duration(r.SeenSecondsAgo * float64(time.Second)),
		}
	}
	return out, nil
}
