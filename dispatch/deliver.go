package dispatch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

// errStale is a completion the database refused: the row is no longer this
// node's at this attempt (its lease expired and it was rescued).
var errStale = errors.New("dispatch: the delivery's lease was lost")

// deliver runs one claimed delivery to its end: done, retried or
// dead-lettered.
func (d *Dispatcher) deliver(del store.Delivery) {
	ctx := d.workCtx
	c := store.Claimed{ID: del.ID, Attempt: del.Attempt}
	t, err := d.targets.get(ctx, d.st, del.ScriptID)
	if err != nil {
		d.failed(ctx, del, fmt.Sprintf("the script could not be loaded: %v", err))
		return
	}
	event := Event(del)
	stage := d.cfg.Effects.Stage(t.app)
	id := uuid.Must(uuid.NewV7())
	started := d.cfg.Now()
	req := runtime.Request{
		App: t.app.Slug, Script: t.name, Version: t.key, Source: t.source,
		InvocationID: id.String(), Event: event, Env: t.app.Env, Limits: t.limits,
		Effects: stage,
	}
	sec, err := d.cfg.Secrets.Secrets(ctx, t.app.ID)
	if err != nil {
		d.log.ErrorContext(ctx, "reading the app's secrets failed: the script runs without them", "app", t.app.Slug, "err", err)
	}
	req.Env = secrets.Env(req.Env, sec)
	out := d.cfg.Egress.AppClient(t.app.Egress.Allowlist, t.app.Egress.AllowPrivate, int(t.app.Limits.MaxOutboundRequests)).WithSecrets(sec)
	defer out.Close()
	if out != nil {
		req.HTTP = out
	}
	res, runErr := d.cfg.Invoker.Invoke(ctx, req)
	inv := store.Invocation{
		ID: id, AppID: t.app.ID, ScriptID: del.ScriptID, Version: t.version, TriggerKind: del.Kind,
		TriggerID: del.TriggerID, OutboxID: del.ID, Attempt: del.Attempt, StartedAt: started, Event: event,
	}
	if runErr != nil && res.Outcome == "" && ctx.Err() != nil {
		// A forced shutdown canceled the run before it started: the row
		// goes back with Release, the attempt uncounted.
		return
	}
	record.Fill(&inv, res, runErr, t.app.DebugOutput)
	record.Outbound(&inv, out)

	if res.Outcome == runtime.OutcomeOK && runErr == nil {
		if err := d.complete(ctx, c, stage); err != nil {
			inv.Outcome, inv.Result = store.OutcomeError, nil
			inv.Error = "the script succeeded but its effects were not committed: " + err.Error()
			if errors.Is(err, errStale) {
				d.stats.stale.Add(1)
				d.log.WarnContext(ctx, "a delivery finished after its lease was lost: its effects were dropped, another attempt runs it",
					"delivery_id", del.ID, "attempt", del.Attempt)
				d.settled(del.ID)
			} else {
				d.failed(ctx, del, inv.Error)
			}
		}
	} else {
		msg := inv.Error
		if msg == "" {
			msg = string(inv.Outcome)
		}
		d.failed(ctx, del, msg)
	}
	if d.cfg.Recorder != nil {
		d.cfg.Recorder.Record(record.Invocation{Invocation: inv, App: t.app.Slug, Script: t.name})
	}
}

// complete finishes a successful delivery: through the batch completer when
// the script staged nothing, else in one transaction with its effects,
// fenced by the claim.
func (d *Dispatcher) complete(ctx context.Context, c store.Claimed, stage *effects.Stage) error {
	if stage.Empty() {
		d.done.add(c)
		d.stats.delivered.Add(1)
		return nil
	}
	var sum effects.Summary
	err := d.st.InTx(ctx, func(st *store.Store) error {
		var err error
		if sum, err = stage.Commit(ctx, st); err != nil {
			return err
		}
		n, err := st.Outbox.Complete(ctx, d.node, []store.Claimed{c})
		if err != nil {
			return err
		}
		if n != 1 {
			return errStale
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.settled(c.ID)
	d.stats.delivered.Add(1)
	d.cfg.Effects.Woke(sum)
	return nil
}

// failed ends a failed attempt: back to pending after the backoff, or to
// the dead letters on the last attempt.
func (d *Dispatcher) failed(ctx context.Context, del store.Delivery, msg string) {
	defer d.settled(del.ID)
	c := store.Claimed{ID: del.ID, Attempt: del.Attempt}
	// The outcome must be written even when a shutdown is canceling runs.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if del.Attempt >= del.MaxAttempts {
		ok, err := d.st.Outbox.FailFinal(ctx, d.node, c, msg)
		switch {
		case err != nil:
			d.log.ErrorContext(ctx, "dead-lettering a delivery failed; its lease will expire", "delivery_id", del.ID, "err", err)
		case ok:
			d.stats.deadLettered.Add(1)
			d.Wake() // the app's deadletter triggers have deliveries now
		default:
			d.stats.stale.Add(1)
		}
		return
	}
	runAt := d.cfg.Now().Add(Backoff(del.Attempt, d.cfg.MaxBackoff))
	ok, err := d.st.Outbox.Fail(ctx, d.node, c, runAt, msg)
	switch {
	case err != nil:
		d.log.ErrorContext(ctx, "recording a failed delivery failed; its lease will expire", "delivery_id", del.ID, "err", err)
	case ok:
		d.stats.failed.Add(1)
		d.poke() // arm the timer for its retry
	default:
		d.stats.stale.Add(1)
	}
}

// Backoff is the wait before retrying after the given failed attempt (1 for
// the first): min(ceiling, 4^(attempt-1) s) × U(0.8, 1.2).
func Backoff(attempt int32, ceiling time.Duration) time.Duration {
	base := math.Pow(4, float64(max(attempt, 1)-1))
	d := time.Duration(math.Min(base*float64(time.Second), float64(ceiling)))
	return time.Duration(float64(d) * (0.8 + rand.Float64()*0.4))
}

// Event is ctx.event for a delivery:
//
//	#{kind, attempt, delivery_id, event_id, <kind>: the kind's object}
//
// where the kind's object is the row's payload: pubsub (topic, message,
// message_id, published_at), cron (schedule, fired_at), queue (queue,
// payload, message_id), kv (key, op, value) or deadletter (event, error,
// attempts, and the dead delivery's kind, trigger_id, delivery_id and
// event_id).
func Event(del store.Delivery) []byte {
	b := make([]byte, 0, len(del.Payload)+120)
	b = append(b, `{"kind":"`...)
	b = append(b, del.Kind...)
	b = append(b, `","attempt":`...)
	b = strconv.AppendInt(b, int64(del.Attempt), 10)
	b = append(b, `,"delivery_id":`...)
	b = strconv.AppendInt(b, del.ID, 10)
	b = append(b, `,"event_id":"`...)
	b = append(b, del.EventID.String()...)
	b = append(b, `","`...)
	b = append(b, del.Kind...)
	b = append(b, `":`...)
	b = append(b, del.Payload...)
	return append(b, '}')
}
