// Package listen keeps one PostgreSQL connection LISTENing on a few channels
// and hands every notification to the handler of its channel.
//
// A LISTEN connection can drop (a server restart, a network blip), and the
// notifications sent while it is down are lost. So the Listener reconnects
// with backoff and, after every connection, calls each handler's Resync:
// the handler reloads what it keeps in memory, since it cannot know what it
// missed.
//
//	l, err := listen.Start(pool.Config().ConnConfig, listen.Config{Logger: log},
//		listen.Handler{Channel: store.RoutesChannel, Notify: router.Changed, Resync: router.Resync})
//	defer l.Close()
package listen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Handler receives the notifications of one channel. Both functions run on
// the Listener's goroutine and must return quickly.
type Handler struct {
	Channel string
	// Notify receives each notification's payload.
	Notify func(payload string)
	// Resync, when set, is called after each connection, the first
	// included, once LISTEN is in place.
	Resync func()
}

// Config configures a Listener. The zero value is usable.
type Config struct {
	// Logger receives connection losses and reconnections. Default:
	// discard.
	Logger *slog.Logger
	// RetryMin is the wait before the first reconnection attempt; it
	// doubles up to RetryMax after each failure. Defaults 100ms and 5s.
	RetryMin, RetryMax time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RetryMin == 0 {
		c.RetryMin = 100 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5 * time.Second
	}
}

func (c *Config) validate() error {
	if c.RetryMin < 0 {
		return fmt.Errorf("listen: Config.RetryMin %v: must not be negative", c.RetryMin)
	}
	if c.RetryMax < c.RetryMin {
		return fmt.Errorf("listen: Config.RetryMax %v: must not be less than RetryMin %v", c.RetryMax, c.RetryMin)
	}
	return nil
}

// Listener owns the LISTEN connection and its goroutine.
type Listener struct {
	conn     *pgx.ConnConfig
	cfg      Config
	handlers map[string]Handler

	cancel context.CancelFunc
	done   chan struct{}

	readyOnce sync.Once
	ready     chan struct{}
}

// Start listens on the handlers' channels over connections made with conn
// (e.g. pool.Config().ConnConfig), in the background, until Close. It
// returns at once: the first connection is made in the background too, and
// Ready says when it is in place.
func Start(conn *pgx.ConnConfig, cfg Config, handlers ...Handler) (*Listener, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if conn == nil {
		return nil, errors.New("listen: nil connection config")
	}
	l := &Listener{
		conn: conn.Copy(), cfg: cfg, handlers: map[string]Handler{},
		done: make(chan struct{}), ready: make(chan struct{}),
	}
	for _, h := range handlers {
		if h.Channel == "" || h.Notify == nil {
			return nil, fmt.Errorf("listen: handler %q: needs a Channel and a Notify", h.Channel)
		}
		if _, dup := l.handlers[h.Channel]; dup {
			return nil, fmt.Errorf("listen: two handlers for channel %q", h.Channel)
		}
		l.handlers[h.Channel] = h
	}
	var ctx context.Context
	ctx, l.cancel = context.WithCancel(context.Background())
	go l.run(ctx)
	return l, nil
}

// Ready is closed once the first connection listens on every channel.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Close stops listening and closes the connection.
func (l *Listener) Close() {
	l.cancel()
	<-l.done
}

func (l *Listener) run(ctx context.Context) {
	defer close(l.done)
	log := l.cfg.Logger
	wait := l.cfg.RetryMin
	for {
		err := l.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == errListened {
			wait = l.cfg.RetryMin // it worked for a while: retry soon
			continue
		}
		log.WarnContext(ctx, "the LISTEN connection failed; retrying", slog.Any("err", err), slog.Duration("in", wait))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait = min(2*wait, l.cfg.RetryMax)
	}
}

// errListened ends a session that was listening: the connection was lost
// after it had worked.
var errListened = errors.New("listen: connection lost")

// session connects, listens and dispatches notifications until the
// connection fails or ctx ends.
func (l *Listener) session(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, l.conn)
	if err != nil {
		return fmt.Errorf("listen: connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
	}()
	for ch := range l.handlers {
		// LISTEN takes no parameters: the channel is quoted as an identifier.
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen: LISTEN %s: %w", ch, err)
		}
	}
	l.readyOnce.Do(func() { close(l.ready) })
	for _, h := range l.handlers {
		if h.Resync != nil {
			h.Resync()
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.cfg.Logger.WarnContext(ctx, "the LISTEN connection was lost; reconnecting", slog.Any("err", err))
			}
			return errListened
		}
		if h, ok := l.handlers[n.Channel]; ok {
			h.Notify(n.Payload)
		}
	}
}
