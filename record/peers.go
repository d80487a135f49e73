package record

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
)

// Nodes that share a database show each other's invocations in their live
// tails: after each batch a recorder sends one notification,
//
//	<node> <id>,<id>,…
//
// naming itself and the invocations it wrote (36-byte UUIDs: 200 fit in
// PostgreSQL's 8000-byte payload). A recorder that hears another node's
// announcement while it has subscribers reads those invocations back
// (Config.Fetch) and shows them as its own.

// maxAnnounced is the most ids one announcement carries.
const maxAnnounced = 200

// maxHeard bounds the announced ids waiting to be read.
const maxHeard = 10_000

func newNodeName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// announce tells the other nodes about a written batch.
func (r *Recorder) announce(batch []store.Invocation) {
	if r.cfg.Announce == nil {
		return
	}
	var b strings.Builder
	b.Grow(len(r.node) + 1 + 37*len(batch))
	b.WriteString(r.node)
	b.WriteByte(' ')
	for i, inv := range batch {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(inv.ID.String())
	}
	ctx, cancel := context.WithTimeout(r.abortCtx, r.cfg.WriteTimeout)
	defer cancel()
	if err := r.cfg.Announce(ctx, b.String()); err != nil {
		r.log.Warn("announcing written invocations to the other nodes failed; their live tails miss them", slog.Any("err", err))
	}
}

// Heard takes another node's announcement (the listen.Handler of
// store.InvocationsChannel): its invocations go to this node's live-tail
// subscribers. Announcements of this recorder's own, and any heard while
// nobody subscribes, are ignored.
func (r *Recorder) Heard(payload string) {
	if r.cfg.Fetch == nil {
		return
	}
	node, list, ok := strings.Cut(payload, " ")
	if !ok || node == r.node {
		return
	}
	r.mu.Lock()
	if len(r.subs) == 0 || r.closed {
		r.mu.Unlock()
		return
	}
	for _, s := range strings.Split(list, ",") {
		id, err := uuid.Parse(s)
		if err != nil || len(r.heard) >= maxHeard {
			continue
		}
		r.heard = append(r.heard, id)
	}
	r.mu.Unlock()
	select {
	case r.fetch <- struct{}{}:
	default:
	}
}

// fetcher reads what Heard queued and publishes it, until Close.
func (r *Recorder) fetcher() {
	defer close(r.fetcherDone)
	for {
		select {
		case <-r.stop:
			return
		case <-r.fetch:
		}
		r.mu.Lock()
		ids := r.heard
		r.heard = nil
		r.mu.Unlock()
		for len(ids) > 0 {
			n := min(len(ids), 500)
			ctx, cancel := context.WithTimeout(r.abortCtx, r.cfg.WriteTimeout)
			invs, err := r.cfg.Fetch(ctx, ids[:n])
			cancel()
			ids = ids[n:]
			if err != nil {
				r.log.Warn("reading other nodes' invocations for the live tail failed", slog.Any("err", err))
				continue
			}
			r.mu.Lock()
			for i := range invs {
				if r.closed {
					break
				}
				r.publish(&Invocation{Invocation: invs[i].Invocation, App: invs[i].App, Script: invs[i].Script})
			}
			r.mu.Unlock()
		}
	}
}
