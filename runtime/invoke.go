package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/picloud/picloud/hostfuncs"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// KindInternal is the ScriptError kind of a failure of the sandbox rather than
// the script: a trap, a guest panic.
const KindInternal = "ErrorInternal"

// Invoke runs one invocation and returns its Result. The error is nil when the
// outcome is ok; otherwise it is a *ScriptError (wrapping ErrFuelExhausted,
// ErrMemoryLimit or ErrTimeout for those limits), ErrTimeout when a guest that
// did not yield was stopped, the caller's context error, or a sandbox failure.
// The Result is filled in every case the guest ran.
func (h *Host) Invoke(ctx context.Context, req Request) (Result, error) {
	lim := req.Limits.withDefaults()
	c, err := h.class(ctx, classKey{lim.pages(), h.interrupt(req.App)})
	if err != nil {
		return Result{}, err
	}
	p, err := h.pool(req.App, c, lim.Concurrency)
	if err != nil {
		return Result{}, err
	}
	in, err := h.acquire(ctx, p)
	if err != nil {
		h.release(p, nil, false)
		return Result{}, err
	}
	if h.testHookAcquire != nil {
		h.testHookAcquire(req.App, in)
	}
	res, discard, err := h.run(ctx, in, c, &req, lim)
	if discard {
		h.log.DebugContext(ctx, "sandbox instance replaced", "app", req.App, "script", req.Script, "invocation_id", req.InvocationID, "outcome", string(res.Outcome), "uses", in.uses, "memory", in.mem.Size())
	}
	h.release(p, in, discard)
	return res, err
}

// run performs the invocation on in and says whether in must be discarded.
func (h *Host) run(ctx context.Context, in *instance, c *class, req *Request, lim Limits) (res Result, discard bool, err error) {
	start := time.Now()
	deadline := start.Add(lim.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	inv := &hostfuncs.Invocation{
		App: req.App, Script: req.Script, ID: req.InvocationID,
		MaxLogLines: lim.MaxLogLines, MaxLogBytes: lim.MaxLogBytes,
		Deadline: deadline, Done: ctx.Done(),
		Effects: req.Effects,
		HTTP:    req.HTTP,
	}
	// The call's own context ends only at the backstop's deadline: the caller's
	// cancellation and the wall-time limit reach the guest through time_expired,
	// so that it can stop cleanly first.
	callCtx, cancel := context.WithDeadline(hostfuncs.WithInvocation(context.WithoutCancel(ctx), inv), deadline.Add(h.cfg.Grace))
	defer cancel()
	if !c.interrupt {
		defer context.AfterFunc(callCtx, inv.Kill)()
		// A guest the trap cannot stop is stuck for good: count it and move
		// its app to the interrupting backstop.
		var returned atomic.Bool
		defer returned.Store(true)
		stuck := time.AfterFunc(time.Until(deadline.Add(h.cfg.Grace+h.cfg.StuckAfter)), func() {
			if !returned.Load() {
				h.log.ErrorContext(ctx, "sandbox guest did not stop: a goroutine and a core are lost until the process restarts; the app now runs with the interrupting backstop",
					"app", req.App, "script", req.Script, "invocation_id", req.InvocationID)
				h.markStuck(req.App)
			}
		})
		defer stuck.Stop()
	}

	areq := abi.Request{
		App: req.App, Script: req.Script, Version: req.Version, InvocationID: req.InvocationID,
		Event: req.Event, WantDisplay: req.Display,
		Limits: abi.Limits{
			Fuel:          lim.Fuel,
			MaxMemory:     lim.MaxMemory,
			MaxCallDepth:  uint32(max(lim.MaxCallDepth, 0)),
			MaxStringLen:  uint32(max(lim.MaxStringLen, 0)),
			MaxArrayLen:   uint32(max(lim.MaxArrayLen, 0)),
			MaxMapLen:     uint32(max(lim.MaxMapLen, 0)),
			GoMemoryLimit: lim.Memory * 3 / 4,
		},
	}
	for k, v := range req.Env {
		areq.Env = append(areq.Env, abi.EnvVar{Name: k, Value: v})
	}
	_, known := in.known[req.Version]
	if !known || req.Version == "" {
		areq.Source = req.Source
	}
	in.uses++
	resp, callErr := in.call(callCtx, &areq)
	if callErr == nil && resp.Status == abi.ResponseNeedSource {
		areq.Source = req.Source
		resp, callErr = in.call(callCtx, &areq)
	}
	res.Duration = time.Since(start)
	res.Logs, res.LogsDropped = inv.Logs()

	discard = in.uses >= h.cfg.MaxUses || int64(in.mem.Size()) > h.cfg.HighWater
	if callErr != nil {
		return h.trapped(ctx, in, inv, callCtx, res, callErr)
	}
	switch resp.Status {
	case abi.ResponseDone:
	case abi.ResponseNeedSource:
		res.Outcome = OutcomeError
		return res, discard, fmt.Errorf("runtime: no source for %s version %q", req.Script, req.Version)
	default:
		res.Outcome = OutcomeError
		return res, true, fmt.Errorf("runtime: the guest rejected the request: %s", resp.Error.Message)
	}
	if req.Version != "" && resp.Error.Kind != KindParsing {
		if len(in.known) >= 64 {
			clear(in.known)
		}
		in.known[req.Version] = struct{}{}
	}
	res.Fuel, res.PeakMemory = resp.Fuel, resp.PeakMemory
	if resp.Error.Kind == "" {
		res.Outcome, res.Value, res.Type, res.Display = OutcomeOK, resp.Value, resp.Type, resp.Display
		return res, discard, nil
	}
	se := &ScriptError{
		Kind: resp.Error.Kind, Message: resp.Error.Message, Text: resp.Error.Text,
		Line: int(resp.Error.Line), Col: int(resp.Error.Col), ParseKind: resp.Error.ParseKind,
	}
	res.Error = se
	res.Outcome = OutcomeError
	switch se.Kind {
	case "ErrorTooManyOperations":
		res.Outcome, se.limit = OutcomeFuelExhausted, ErrFuelExhausted
	case "ErrorMemoryLimit", "ErrorDataTooLarge":
		res.Outcome, se.limit = OutcomeMemoryExceeded, ErrMemoryLimit
	case "ErrorTerminated":
		if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			se.limit = err // the caller gave up
		} else {
			res.Outcome, se.limit = OutcomeTimeout, ErrTimeout
		}
	case KindInternal:
		discard = true
	}
	return res, discard, se
}

// KindParsing is the error kind of a script that does not compile.
const KindParsing = "ErrorParsing"

// trapped handles a call that did not return normally: the backstop stopped
// it, the hard memory cap trapped, or the guest crashed. The instance is lost.
func (h *Host) trapped(ctx context.Context, in *instance, inv *hostfuncs.Invocation, callCtx context.Context, res Result, callErr error) (Result, bool, error) {
	stderr := in.stderr.String()
	switch {
	case callCtx.Err() != nil:
		res.Outcome = OutcomeTimeout
		h.log.WarnContext(ctx, "sandbox backstop stopped a guest that did not yield", "app", inv.App, "script", inv.Script, "invocation_id", inv.ID, "after", res.Duration)
		res.Error = &ScriptError{Kind: "ErrorTerminated", Message: "script terminated: wall-time limit exceeded", Text: "script terminated: wall-time limit exceeded", limit: ErrTimeout}
		return res, true, res.Error
	case strings.Contains(stderr, "out of memory") || uint64(in.mem.Size())+1<<20 > in.maxMemory:
		res.Outcome = OutcomeMemoryExceeded
		res.Error = &ScriptError{Kind: "ErrorMemoryLimit", Message: "out of memory: the sandbox's memory cap was reached", Text: "out of memory: the sandbox's memory cap was reached", limit: ErrMemoryLimit}
		return res, true, res.Error
	default:
		res.Outcome = OutcomeError
		h.log.ErrorContext(ctx, "sandbox guest trapped", "app", inv.App, "script", inv.Script, "invocation_id", inv.ID, "err", callErr, "stderr", stderr)
		return res, true, fmt.Errorf("runtime: the sandbox failed: %w (stderr %q, memory %d of %d)", callErr, stderr, in.mem.Size(), in.maxMemory)
	}
}

// call sends one request to the guest and decodes its response.
func (in *instance) call(ctx context.Context, r *abi.Request) (abi.Response, error) {
	in.req = r.AppendBinary(in.req[:0])
	n := uint32(len(in.req))
	if n > in.bufCap {
		in.stack[0] = uint64(max(n, 64<<10))
		if err := in.buffer.CallWithStack(ctx, in.stack[:]); err != nil {
			return abi.Response{}, err
		}
		in.bufPtr, in.bufCap = uint32(in.stack[0]), max(n, 64<<10)
	}
	if !in.mem.Write(in.bufPtr, in.req) {
		return abi.Response{}, errors.New("runtime: the guest's exchange buffer is outside its memory")
	}
	in.stack[0] = uint64(n)
	if err := in.invoke.CallWithStack(ctx, in.stack[:]); err != nil {
		return abi.Response{}, err
	}
	ptr, size := uint32(in.stack[0]>>32), uint32(in.stack[0])
	out, ok := in.mem.Read(ptr, size)
	var resp abi.Response
	if !ok {
		return resp, errors.New("runtime: the guest's response is outside its memory")
	}
	if err := resp.UnmarshalBinary(out); err != nil {
		return resp, fmt.Errorf("runtime: the guest's response: %w", err)
	}
	return resp, nil
}
