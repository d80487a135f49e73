package ingress

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/runtime"
)

// Problem codes of the durable effects (see package effects).
const (
	// 507: the script succeeded, but its KV writes would take the app over
	// its KV quota; nothing it did was kept.
	CodeKVQuotaExceeded = "kv_quota_exceeded"
	// 503: the script succeeded, but its effects could not be committed
	// (the database failed); nothing it did was kept.
	CodeEffectsNotCommitted = "effects_not_committed"
)

// stage returns a fresh stage for an invocation of app, or nil when the
// handler has no Config.Effects.
func (h *Handler) stage(app *appState) *effects.Stage {
	if h.cfg.Effects == nil {
		return nil
	}
	return h.cfg.Effects.Stage(app.app)
}

// commit commits what a successful invocation staged, in one transaction.
// When that fails the invocation is turned into a failed one (res and
// runErr, for the record) and the problem to answer with is returned.
func (h *Handler) commit(ctx context.Context, stage *effects.Stage, id uuid.UUID, res *runtime.Result, runErr *error) *problem {
	if stage == nil || *runErr != nil || res.Outcome != runtime.OutcomeOK {
		return nil
	}
	_, err := h.cfg.Effects.Commit(ctx, stage)
	if err == nil {
		return nil
	}
	res.Outcome, res.Value = runtime.OutcomeError, nil
	*runErr = fmt.Errorf("the script succeeded but its effects were not committed: %w", err)
	p := &problem{InvocationID: id.String()}
	if errors.Is(err, effects.ErrQuota) {
		p.Status, p.Code, p.Detail = http.StatusInsufficientStorage, CodeKVQuotaExceeded, err.Error()+"; nothing the script did was kept"
		return p
	}
	h.log.ErrorContext(ctx, "committing an HTTP invocation's effects failed", "invocation_id", id.String(), "err", err)
	p.Status, p.Code, p.Detail = http.StatusServiceUnavailable, CodeEffectsNotCommitted,
		"the script ran, but what it changed could not be saved; nothing was kept"
	return p
}
