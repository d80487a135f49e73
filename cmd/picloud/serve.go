package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/picloud/picloud/api"
	"github.com/picloud/picloud/cluster"
	"github.com/picloud/picloud/cron"
	"github.com/picloud/picloud/db/listen"
	"github.com/picloud/picloud/db/migrations"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/ingress"
	"github.com/picloud/picloud/metrics"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/retention"
	"github.com/picloud/picloud/runtime"
	"github.com/picloud/picloud/secrets"
)

type serveOptions struct {
	role              string
	addr              string
	publicAddr        string
	shutdownTimeout   time.Duration
	drainDelay        time.Duration
	cacheDir          string
	benchBareRoute    bool
	publicURL         string
	retainInvocations time.Duration
	retainDeadLetters time.Duration
	egress            egress.Policy // scripts' outbound HTTP; apps refine it
	secretKey         string
}

func newServeCmd(c *cli) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the PiCloud server",
		Long: `Run the PiCloud server: the admin listener (API, dashboard, /healthz,
/readyz, /metrics) and the public listener for HTTP triggers.

Without a database URL it runs a private PostgreSQL cluster from the server
binaries installed on the machine, in the pg/ folder of the data directory
(as the "postgres" system user when started as root), and stops it on exit.
Migrations run at every start.

Roles split the work for a cluster of processes sharing one database:
  all      everything in one process (the default)
  manager  the admin API, the dashboard, cron scheduling and maintenance
           (retention); no public listener
  node     the public listener, the dispatcher and the executor; its admin
           listener serves only /healthz, /readyz and /metrics
Run any number of each; docs/OPERATIONS.md describes a cluster.

On SIGTERM or SIGINT, /readyz answers 503 "draining" at once, the process
keeps serving for --drain-delay, then stops accepting, lets running
invocations finish within --shutdown-timeout, hands back what it holds and
exits. A second signal stops it at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.role, "role", cluster.RoleAll, "what this process runs: all, manager or node")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "admin listener address: API, dashboard, health checks, metrics")
	f.StringVar(&o.publicAddr, "public-addr", ":8081", "public listener address: HTTP triggers (not opened by a manager)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a shutdown waits for running requests and invocations")
	f.DurationVar(&o.drainDelay, "drain-delay", 0, "how long a shutdown keeps serving after /readyz turned 503, for a load balancer to notice (set it above its health-check interval)")
	f.StringVar(&o.cacheDir, "cache-dir", "", "the sandbox's compilation cache; empty: the cache/ folder of the data directory")
	f.StringVar(&o.publicURL, "public-url", "", "the public listener's URL as clients reach it, for the endpoint URLs the API shows; empty: http:// and the public address")
	f.BoolVar(&o.benchBareRoute, "bench-bare-route", false, "serve GET "+api.BenchBarePath+" on the public listener, the load bench's baseline (make bench)")
	f.DurationVar(&o.retainInvocations, "retain-invocations", retention.DefaultInvocations, "how long invocations and their logs are kept (managers delete older ones); 0 keeps them forever")
	f.StringVar(&o.secretKey, "secret-key", "", "the key apps' secrets are encrypted with: base64 of 32 random bytes (openssl rand -base64 32); empty: the data directory's "+secrets.KeyFile+", generated on first start. Every process of a cluster needs the same key")
	f.IntVar(&o.egress.MaxRequests, "egress-max-requests", egress.DefaultMaxRequests, "outbound HTTP requests per invocation (redirect hops included); an app's max_outbound_requests can only lower it")
	f.IntVar(&o.egress.MaxRedirects, "egress-max-redirects", egress.DefaultMaxRedirects, "redirects one outbound request follows; -1: none")
	f.Int64Var(&o.egress.MaxResponseBytes, "egress-max-response-bytes", egress.DefaultMaxResponseBytes, "bytes of an outbound response a script may read")
	f.Int64Var(&o.egress.MaxRequestBytes, "egress-max-request-bytes", egress.DefaultMaxRequestBytes, "bytes of an outbound request body")
	f.DurationVar(&o.egress.Timeout, "egress-timeout", egress.DefaultTimeout, "the longest outbound request; the invocation's remaining wall time bounds it too")
	f.DurationVar(&o.retainDeadLetters, "retain-dead-letters", retention.DefaultDeadLetters, "how long dead letters are kept after they failed; 0 keeps them forever")
	return cmd
}

// roleRuns says which parts a role runs.
type roleRuns struct {
	public bool // the public listener, the ingress, the dispatcher
	admin  bool // the admin API, the dashboard, cron, maintenance
}

func parseRole(role string) (roleRuns, error) {
	switch role {
	case cluster.RoleAll:
		return roleRuns{public: true, admin: true}, nil
	case cluster.RoleManager:
		return roleRuns{admin: true}, nil
	case cluster.RoleNode:
		return roleRuns{public: true}, nil
	}
	return roleRuns{}, fmt.Errorf("--role %q: want all, manager or node", role)
}

// keep turns a retention flag (0: forever) into retention.Config's terms
// (negative: forever).
func keep(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func (c *cli) serve(ctx context.Context, o serveOptions) (err error) {
	log := c.logger
	runs, err := parseRole(o.role)
	if err != nil {
		return err
	}
	if o.retainInvocations < 0 || o.retainDeadLetters < 0 {
		return errors.New("--retain-invocations and --retain-dead-letters must not be negative (0 keeps forever)")
	}
	// Listeners first: a port in use fails before anything starts.
	admin, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("admin listener: %w: choose a free address with --addr (PICLOUD_ADDR)", err)
	}
	defer admin.Close()
	var public net.Listener
	if runs.public {
		public, err = net.Listen("tcp", o.publicAddr)
		if err != nil {
			return fmt.Errorf("public listener: %w: choose a free address with --public-addr (PICLOUD_PUBLIC_ADDR)", err)
		}
		defer public.Close()
	}

	db, err := c.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.close(ctx, log)) }()

	m, err := migrations.New(db.pool, migrations.Config{Logger: log.With("component", "migrations")})
	if err != nil {
		return err
	}
	defer m.Close()
	applied, err := m.Up(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		log.InfoContext(ctx, "migrated the database", slog.Int("applied", len(applied)), slog.Int64("version", m.Latest()))
	}

	// Shutdown runs the defers below in reverse: the HTTP servers have
	// stopped accepting and finished their requests when Serve returns,
	// then the route reloads stop, the recorder writes what it buffered,
	// the sandbox closes, and the database stops last.
	st := store.New(db.pool)
	reg := metrics.NewRegistry()
	// Apps' secrets: the configured key, or the data directory's. A server
	// on a database of its own (--database-url) keeps nothing in the data
	// directory, so without a key it stores no secrets.
	var box *secrets.Box
	var secretEnv *secrets.Source
	if o.secretKey != "" || c.databaseURL == "" {
		key, generated, err := secrets.LoadKey(o.secretKey, c.data)
		if err != nil {
			return fmt.Errorf("the secret key: %w", err)
		}
		if generated {
			log.InfoContext(ctx, "generated the key for apps' secrets; back it up, and give every process of a cluster the same one (--secret-key)", "file", filepath.Join(c.data, secrets.KeyFile))
		}
		if box, err = secrets.New(key); err != nil {
			return err
		}
		secretEnv = secrets.NewSource(box, st.Secrets, 0)
	} else {
		log.WarnContext(ctx, "no --secret-key (PICLOUD_SECRET_KEY) with --database-url: apps cannot set secrets")
	}
	if o.cacheDir == "" {
		o.cacheDir = filepath.Join(c.data, "cache")
	}
	// A manager keeps the sandbox too: the API's and the dashboard's
	// "run with this event" runs scripts there.
	host, err := runtime.New(ctx, runtime.Config{
		CacheDir: o.cacheDir,
		Logger:   log.With("component", "runtime"),
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, host.Close(context.WithoutCancel(ctx))) }()
	// Nodes sharing the database show each other's invocations in their
	// live tails.
	rec, err := record.New(st.Invocations, record.Config{
		Logger: log.With("component", "record"), Announce: st.NotifyInvocations, Fetch: st.Invocations.Named,
	})
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownTimeout)
		defer cancel()
		err = errors.Join(err, rec.Close(flushCtx))
	}()
	// Every invocation is counted and logged on its way to the recorder.
	invs, err := metrics.NewInvocations(reg, rec, log.With("component", "invocations"))
	if err != nil {
		return err
	}
	sources := metrics.Sources{Pool: db.pool, Sandbox: host, Recorder: rec, Logger: log.With("component", "metrics")}
	if runs.admin {
		sources.Outbox = st.Outbox // cluster-wide: from the managers only
	}

	// A script's KV writes, publishes and queue pushes commit when it
	// succeeds; a commit that wrote deliveries wakes a dispatcher: this
	// process's, or the nodes' through a debounced NOTIFY. The dispatcher
	// may commit before it is set (it starts delivering at once); its own
	// poll finds those.
	var waker atomic.Pointer[func()]
	wake := func() {
		if w := waker.Load(); w != nil {
			(*w)()
		}
	}
	fx, err := effects.New(effects.Config{Store: st, Wake: wake, Logger: log.With("component", "effects")})
	if err != nil {
		return err
	}
	var handlers []listen.Handler
	hostname, _ := os.Hostname()
	name := hostname + ":" + strconv.Itoa(os.Getpid())
	if runs.public {
		d, err := dispatch.New(ctx, dispatch.Config{
			Store: st, Invoker: host, Effects: fx, Recorder: invs, Name: name, Logger: log.With("component", "dispatch"),
			Egress: &o.egress, Secrets: secretEnv,
		})
		if err != nil {
			return err
		}
		// The dispatcher stops claiming as soon as the shutdown begins,
		// while the HTTP servers drain: it finishes what runs within
		// --shutdown-timeout and hands back the rest.
		closed := make(chan error, 1)
		stopAfter := context.AfterFunc(ctx, func() {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownTimeout)
			defer cancel()
			closed <- d.Close(closeCtx)
		})
		defer func() {
			if stopAfter() { // no shutdown asked for: serve failed
				closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownTimeout)
				defer cancel()
				err = errors.Join(err, d.Close(closeCtx))
				return
			}
			err = errors.Join(err, <-closed)
		}()
		w := d.Wake
		waker.Store(&w)
		handlers = append(handlers, d.Handlers()...)
		sources.Dispatcher = d
	} else {
		n := dispatch.NewNotifier(st, 0, log.With("component", "dispatch"))
		defer n.Close()
		w := n.Notify
		waker.Store(&w)
	}
	if runs.admin {
		sched, err := cron.New(ctx, cron.Config{Store: st, Wake: wake, Logger: log.With("component", "cron")})
		if err != nil {
			return err
		}
		defer sched.Close()
		handlers = append(handlers, listen.Handler{Channel: store.RoutesChannel, Notify: sched.Changed})
		handlers = append(handlers, listen.Handler{Channel: store.InvocationsChannel, Notify: rec.Heard})
	}
	if err := metrics.Register(reg, sources); err != nil {
		return err
	}
	var ing *ingress.Handler
	if runs.public {
		ing, err = ingress.New(ctx, ingress.Config{
			Store: st, Invoker: host, Recorder: invs, Effects: fx, Logger: log.With("component", "ingress"),
			Egress: &o.egress, Secrets: secretEnv,
		})
		if err != nil {
			return err
		}
		defer ing.Close()
		handlers = append(handlers, listen.Handler{Channel: store.RoutesChannel, Notify: ing.Changed, Resync: ing.Resync})
	}
	changes, err := listen.Start(db.pool.Config().ConnConfig, listen.Config{Logger: log.With("component", "listen")}, listen.Merge(handlers...)...)
	if err != nil {
		return err
	}
	defer changes.Close()

	ready := []api.Check{
		{Name: "database", Check: db.pool.Ping},
		{Name: "migrations", Check: m.CheckCurrent},
		{Name: "sandbox", Check: func(context.Context) error {
			if n := host.Stuck(); n > 0 {
				return fmt.Errorf("%d guests did not stop at their deadline: restart this process", n)
			}
			return nil
		}},
	}
	apiCfg := api.Config{
		Logger:          log.With("component", "api"),
		ShutdownTimeout: o.shutdownTimeout,
		DrainDelay:      o.drainDelay,
		Metrics:         metrics.Handler(reg),
		Ready:           ready,
	}
	if runs.public {
		apiCfg.Public = ing
		apiCfg.BenchBareRoute = o.benchBareRoute
	}
	if runs.admin {
		if err := c.bootstrapToken(ctx, st); err != nil {
			return err
		}
		apiCfg.Store = st
		apiCfg.Invoker = host
		apiCfg.Effects = fx // the API's publishes, pushes, KV edits and runs wake the dispatchers
		apiCfg.Recorder = invs
		apiCfg.Egress = &o.egress
		if box != nil {
			apiCfg.Secrets, apiCfg.SecretEnv = box, secretEnv
		}
		apiCfg.Tail = rec
		apiCfg.PublicURL = o.publicURL
		if o.publicURL == "" && public != nil {
			apiCfg.PublicURL = publicURL("", public.Addr())
		}
		cleaner, err := retention.Start(retention.Config{
			Store: st, Invocations: keep(o.retainInvocations), DeadLetters: keep(o.retainDeadLetters),
			Registerer: reg, Logger: log.With("component", "retention"),
		})
		if err != nil {
			return err
		}
		defer cleaner.Close()
	} else {
		apiCfg.Dashboard = http.NotFoundHandler() // a node's admin listener is for probes and metrics
	}

	gin.SetMode(gin.ReleaseMode)
	srv, err := api.New(apiCfg)
	if err != nil {
		return err
	}

	member, err := cluster.Join(ctx, cluster.Config{
		Store: st, Name: name, Role: o.role, Version: version,
		AdminAddr: admin.Addr().String(), PublicAddr: addrOf(public),
		Registerer: reg, Logger: log.With("component", "cluster"),
	})
	if err != nil {
		return err
	}
	defer func() {
		// Best effort: a row left behind is forgotten by the others.
		leaveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := member.Leave(leaveCtx); err != nil {
			log.WarnContext(leaveCtx, "leaving the cluster's member list failed", slog.Any("err", err))
		}
	}()

	log.InfoContext(ctx, "ready",
		slog.String("role", o.role),
		slog.String("admin", "http://"+admin.Addr().String()),
		slog.String("public", urlOf(public)),
		slog.Bool("embedded_database", db.cluster != nil))
	return srv.Serve(ctx, admin, public)
}

// bootstrapToken gives a new installation its first admin token, shown
// once (or the operator's PICLOUD_ADMIN_TOKEN, stored as a hash).
func (c *cli) bootstrapToken(ctx context.Context, st *store.Store) error {
	adminSecret, _ := c.lookupEnv("PICLOUD_ADMIN_TOKEN")
	secret, created, err := api.Bootstrap(ctx, st, adminSecret)
	if err != nil {
		return err
	}
	switch {
	case secret != "":
		fmt.Fprintf(c.stdout, "Created the admin token; it is shown this once, keep it:\n\n    %s\n\n", secret)
	case created:
		c.logger.InfoContext(ctx, "created the admin token from PICLOUD_ADMIN_TOKEN")
	case adminSecret != "":
		c.logger.InfoContext(ctx, "PICLOUD_ADMIN_TOKEN ignored: tokens exist already; manage them through the API")
	}
	return nil
}

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

func urlOf(l net.Listener) string {
	if l == nil {
		return "none"
	}
	return "http://" + l.Addr().String()
}

// publicURL is the public listener's URL for the API's responses: the one
// given, or http:// and the listener's address (localhost for a wildcard
// one).
func publicURL(given string, addr net.Addr) string {
	if given != "" {
		return given
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
