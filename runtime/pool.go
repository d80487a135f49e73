package runtime

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/picloud/picloud/hostfuncs"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// class is everything for one memory cap and backstop: wazero takes both per
// Runtime, so each class has its own Runtime and compiled guest (from the
// shared compilation cache) and its own spare instances.
type class struct {
	classKey
	ready chan struct{} // closed once rt and compiled are set, or err
	err   error

	rt       wazero.Runtime
	compiled wazero.CompiledModule
	spares   chan *instance
	refill   chan struct{}
}

type classKey struct {
	pages     uint32 // memory cap in 64 KiB pages
	interrupt bool   // WithCloseOnContextDone
}

// class returns the class for key, creating and compiling it on first use.
func (h *Host) class(ctx context.Context, key classKey) (*class, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	c, ok := h.classes[key]
	if !ok {
		c = &class{classKey: key, ready: make(chan struct{}), refill: make(chan struct{}, 1)}
		h.classes[key] = c
	}
	h.mu.Unlock()
	if ok {
		select {
		case <-c.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return c, c.err
	}
	defer close(c.ready)
	c.err = h.compile(ctx, c)
	if c.err != nil {
		h.mu.Lock()
		delete(h.classes, key) // let a later invocation try again
		h.mu.Unlock()
		return nil, c.err
	}
	if h.cfg.Spares > 0 {
		c.spares = make(chan *instance, h.cfg.Spares)
		h.mu.Lock()
		if !h.closed {
			h.wg.Add(1)
			go h.fillSpares(c)
			c.refill <- struct{}{}
		}
		h.mu.Unlock()
	}
	return c, nil
}

func (h *Host) compile(ctx context.Context, c *class) error {
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(h.cache).
		WithMemoryLimitPages(c.pages).
		WithCloseOnContextDone(c.interrupt)
	ctx = context.WithoutCancel(ctx) // the Runtime outlives this call
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	test := hostfuncs.Unavailable(hostfuncs.Testing())
	if h.cfg.TestFunctions {
		test = hostfuncs.Testing()
	}
	if _, err := hostfuncs.InstantiateWASI(ctx, rt); err != nil {
		rt.Close(ctx)
		return fmt.Errorf("runtime: %w", err)
	}
	if _, err := hostfuncs.Instantiate(ctx, rt, append([]hostfuncs.Family{hostfuncs.Log(), hostfuncs.Time(h.cfg.Now), test}, hostfuncs.EffectFamilies()...)...); err != nil {
		rt.Close(ctx)
		return fmt.Errorf("runtime: %w", err)
	}
	compiled, err := rt.CompileModule(compileCtx(ctx), h.guest)
	if err != nil {
		rt.Close(ctx)
		return fmt.Errorf("runtime: compiling the guest: %w", err)
	}
	c.rt, c.compiled = rt, compiled
	return nil
}

// fillSpares keeps c's spare instances topped up; it runs until Close.
func (h *Host) fillSpares(c *class) {
	defer h.wg.Done()
	for {
		select {
		case <-h.stop:
			for {
				select {
				case in := <-c.spares:
					in.close()
				default:
					return
				}
			}
		case <-c.refill:
		}
		for len(c.spares) < cap(c.spares) {
			in, err := h.instantiate(c)
			if err == nil {
				err = in.warmUp()
			}
			if err != nil {
				h.log.Error("spare instance", "err", err)
				break
			}
			select {
			case c.spares <- in:
			default:
				in.close()
			}
		}
	}
}

// instance is one warm guest. It runs one invocation at a time.
type instance struct {
	mod            api.Module
	mem            api.Memory
	buffer, invoke api.Function
	reset          api.Function
	bufPtr, bufCap uint32
	uses           int
	idleSince      time.Time
	known          map[string]struct{} // versions the guest has compiled, as far as we know
	req            []byte
	stack          [1]uint64
	stderr         *tail
	maxMemory      uint64
}

func (h *Host) instantiate(c *class) (*instance, error) {
	ctx := context.Background()
	stderr := &tail{}
	mod, err := c.rt.InstantiateModule(ctx, c.compiled, wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithSysWalltime().WithSysNanotime().
		WithRandSource(cryptoRand{}).
		WithStderr(stderr))
	if err != nil {
		return nil, fmt.Errorf("runtime: instantiating the guest: %w (%s)", err, stderr)
	}
	in := &instance{
		mod:       mod,
		mem:       mod.Memory(),
		buffer:    mod.ExportedFunction(abi.ExportBuffer),
		invoke:    mod.ExportedFunction(abi.ExportInvoke),
		reset:     mod.ExportedFunction(abi.ExportReset),
		known:     map[string]struct{}{},
		stderr:    stderr,
		maxMemory: uint64(c.pages) << 16,
	}
	if in.mem == nil || in.buffer == nil || in.invoke == nil || in.reset == nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("runtime: the guest does not export %s, %s and %s", abi.ExportBuffer, abi.ExportInvoke, abi.ExportReset)
	}
	return in, nil
}

func (in *instance) close() { in.mod.Close(context.Background()) }

// warmUp runs one empty invocation, so that the one-time costs of a fresh
// guest (its first heap growth, the standard library's registry, first-touch
// page faults) are paid before a request waits on it. Version is empty, so
// nothing is cached: the spare stays as clean as a fresh instance.
func (in *instance) warmUp() error {
	ctx := context.Background()
	resp, err := in.call(ctx, &abi.Request{Source: "()", Limits: abi.Limits{Fuel: 1000}})
	if err == nil && resp.Error.Kind != "" {
		err = fmt.Errorf("runtime: warming up a spare: %s", resp.Error.Text)
	}
	if err == nil {
		_, err = in.reset.Call(ctx)
	}
	if err != nil {
		in.close()
	}
	return err
}

// pool holds one app's instances.
type pool struct {
	app   string
	class *class
	sem   chan struct{} // one token per running invocation: the app's concurrency cap
	refs  int           // invocations holding this pool, guarded by Host.mu

	mu      sync.Mutex
	idle    []*instance // most recently used last
	retired bool        // replaced by a pool with other limits
}

// pool returns app's pool for class c and concurrency n, holding a reference
// that release drops.
func (h *Host) pool(app string, c *class, n int) (*pool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	p := h.pools[app]
	if p == nil || p.class != c || cap(p.sem) != n {
		if p != nil {
			p.retire()
		}
		p = &pool{app: app, class: c, sem: make(chan struct{}, n)}
		h.pools[app] = p
	}
	p.refs++
	return p, nil
}

func (p *pool) retire() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.retired = nil, true
	p.mu.Unlock()
	for _, in := range idle {
		in.close()
	}
}

// acquire waits for a free slot in p and returns an instance: the most
// recently used idle one, a spare, or a new one.
func (h *Host) acquire(ctx context.Context, p *pool) (*instance, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return in, nil
	}
	p.mu.Unlock()
	c := p.class
	select {
	case in := <-c.spares:
		select {
		case c.refill <- struct{}{}:
		default:
		}
		return in, nil
	default:
	}
	in, err := h.instantiate(c)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return in, nil
}

// release returns in to p, or closes it when discard is set, and frees the
// slot.
func (h *Host) release(p *pool, in *instance, discard bool) {
	if in != nil {
		p.mu.Lock()
		if discard || p.retired {
			p.mu.Unlock()
			in.close()
		} else {
			in.idleSince = time.Now()
			p.idle = append(p.idle, in)
			p.mu.Unlock()
		}
		<-p.sem
	}
	h.mu.Lock()
	p.refs--
	h.mu.Unlock()
}

// janitor closes instances idle for longer than IdleTimeout and forgets empty
// pools; it runs until Close.
func (h *Host) janitor() {
	defer h.wg.Done()
	t := time.NewTicker(max(h.cfg.IdleTimeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			h.evictIdle(now)
		}
	}
}

func (h *Host) evictIdle(now time.Time) {
	var victims []*instance
	h.mu.Lock()
	for app, p := range h.pools {
		p.mu.Lock()
		keep := p.idle[:0]
		for _, in := range p.idle {
			if now.Sub(in.idleSince) >= h.cfg.IdleTimeout {
				victims = append(victims, in)
			} else {
				keep = append(keep, in)
			}
		}
		clear(p.idle[len(keep):])
		p.idle = keep
		empty := len(keep) == 0
		p.mu.Unlock()
		if empty && p.refs == 0 {
			delete(h.pools, app)
		}
	}
	h.mu.Unlock()
	for _, in := range victims {
		in.close()
	}
}
