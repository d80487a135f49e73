package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/picloud/picloud/api"
	"github.com/picloud/picloud/db/listen"
	"github.com/picloud/picloud/db/migrations"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/ingress"
	"github.com/picloud/picloud/record"
	"github.com/picloud/picloud/runtime"
)

type serveOptions struct {
	addr            string
	publicAddr      string
	shutdownTimeout time.Duration
	cacheDir        string
	benchBareRoute  bool
	publicURL       string
}

func newServeCmd(c *cli) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the PiCloud server",
		Long: `Run the PiCloud server: the admin listener (API, dashboard, /healthz,
/readyz) and the public listener for HTTP triggers.

Without a database URL it runs a private PostgreSQL cluster from the server
binaries installed on the machine, in the pg/ folder of the data directory
(as the "postgres" system user when started as root), and stops it on exit.
Migrations run at every start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "admin listener address: API, dashboard, health checks")
	f.StringVar(&o.publicAddr, "public-addr", ":8081", "public listener address: HTTP triggers")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a shutdown waits for running requests")
	f.StringVar(&o.cacheDir, "cache-dir", "", "the sandbox's compilation cache; empty: the cache/ folder of the data directory")
	f.StringVar(&o.publicURL, "public-url", "", "the public listener's URL as clients reach it, for the endpoint URLs the API shows; empty: http:// and the public address")
	f.BoolVar(&o.benchBareRoute, "bench-bare-route", false, "serve GET "+api.BenchBarePath+" on the public listener, the load bench's baseline (make bench)")
	return cmd
}

func (c *cli) serve(ctx context.Context, o serveOptions) (err error) {
	log := c.logger
	// Listeners first: a port in use fails before anything starts.
	admin, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("admin listener: %w: choose a free address with --addr (PICLOUD_ADDR)", err)
	}
	defer admin.Close()
	public, err := net.Listen("tcp", o.publicAddr)
	if err != nil {
		return fmt.Errorf("public listener: %w: choose a free address with --public-addr (PICLOUD_PUBLIC_ADDR)", err)
	}
	defer public.Close()

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
	if o.cacheDir == "" {
		o.cacheDir = filepath.Join(c.data, "cache")
	}
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
	ing, err := ingress.New(ctx, ingress.Config{
		Store: st, Invoker: host, Recorder: rec, Logger: log.With("component", "ingress"),
	})
	if err != nil {
		return err
	}
	defer ing.Close()
	changes, err := listen.Start(db.pool.Config().ConnConfig, listen.Config{Logger: log.With("component", "listen")},
		listen.Handler{Channel: store.RoutesChannel, Notify: ing.Changed, Resync: ing.Resync},
		listen.Handler{Channel: store.InvocationsChannel, Notify: rec.Heard})
	if err != nil {
		return err
	}
	defer changes.Close()

	// A new installation gets its first admin token, shown once (or the
	// operator's PICLOUD_ADMIN_TOKEN, stored as a hash).
	adminSecret, _ := c.lookupEnv("PICLOUD_ADMIN_TOKEN")
	secret, created, err := api.Bootstrap(ctx, st, adminSecret)
	if err != nil {
		return err
	}
	switch {
	case secret != "":
		fmt.Fprintf(c.stdout, "Created the admin token; it is shown this once, keep it:\n\n    %s\n\n", secret)
	case created:
		log.InfoContext(ctx, "created the admin token from PICLOUD_ADMIN_TOKEN")
	case adminSecret != "":
		log.InfoContext(ctx, "PICLOUD_ADMIN_TOKEN ignored: tokens exist already; manage them through the API")
	}

	gin.SetMode(gin.ReleaseMode)
	srv, err := api.New(api.Config{
		Logger:          log.With("component", "api"),
		ShutdownTimeout: o.shutdownTimeout,
		Store:           st,
		PublicURL:       publicURL(o.publicURL, public.Addr()),
		Public:          ing,
		BenchBareRoute:  o.benchBareRoute,
		Invoker:         host,
		Recorder:        rec,
		Tail:            rec,
		Ready: []api.Check{
			{Name: "database", Check: db.pool.Ping},
			{Name: "migrations", Check: m.CheckCurrent},
		},
	})
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "ready",
		slog.String("admin", "http://"+admin.Addr().String()),
		slog.String("public", "http://"+public.Addr().String()),
		slog.Bool("embedded_database", db.cluster != nil))
	return srv.Serve(ctx, admin, public)
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
