package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/picloud/picloud/db/migrations"
	"github.com/picloud/picloud/db/pgcluster"
	"github.com/picloud/picloud/db/store"
)

type doctorOptions struct {
	json      bool
	cacheDir  string
	maxSkew   time.Duration
	minFreeMB int64
}

// The statuses of a check: only a failed one makes doctor exit non-zero.
const (
	statusOK   = "ok"
	statusWarn = "warn"
	statusFail = "fail"
)

// minServerVersion is the oldest PostgreSQL PiCloud's schema runs on
// (gen_random_uuid in core, as in 13).
const minServerVersion = 130000

// memberAlive is how recently a member must have beaten to count as
// running: three of cluster.Config's default 5s heartbeats.
const memberAlive = 15 * time.Second

type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

type doctorMember struct {
	Name           string  `json:"name"`
	Role           string  `json:"role"`
	Version        string  `json:"version"`
	AdminAddr      string  `json:"admin_addr"`
	SeenSecondsAgo float64 `json:"seen_seconds_ago"`
	ClockOffsetMs  float64 `json:"clock_offset_ms"`
}

type doctorReport struct {
	OK      bool           `json:"ok"`
	Checks  []doctorCheck  `json:"checks"`
	Members []doctorMember `json:"members"`
}

func (r *doctorReport) add(name, status, format string, args ...any) {
	r.Checks = append(r.Checks, doctorCheck{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)})
}

func newDoctorCmd(c *cli) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the database, the migrations, the data directory, the compilation cache and the cluster's clocks",
		Long: `Check what a PiCloud installation needs: the database (reachable, its
version), the migrations (current), the data directory (exists, owned by
this user, writable, free space), the sandbox's compilation cache (present,
its size) and the clocks: this machine's and every running member's
(from their heartbeats) against the database server's.

Without a database URL it checks the embedded database: through its socket
when it runs, else by starting and stopping it, as migrate does.

Each check is ok, warn or fail; doctor exits non-zero when one fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.doctor(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	f.StringVar(&o.cacheDir, "cache-dir", "", "the sandbox's compilation cache; empty: the cache/ folder of the data directory")
	f.DurationVar(&o.maxSkew, "max-skew", time.Second, "the largest clock offset from the database server that passes")
	f.Int64Var(&o.minFreeMB, "min-free-mb", 1024, "the least free space in the data directory's file system that passes, in MiB (below 4 times that warns)")
	return cmd
}

func (c *cli) doctor(ctx context.Context, o doctorOptions) (err error) {
	r := &doctorReport{Members: []doctorMember{}}
	embedded := c.databaseURL == ""
	c.checkDataDir(r, embedded, o.minFreeMB<<20)
	if o.cacheDir == "" {
		o.cacheDir = filepath.Join(c.data, "cache")
	}
	checkCache(r, o.cacheDir)

	pool, where, closeDB, err := c.doctorDatabase(ctx)
	if err != nil {
		r.add("database", statusFail, "%v", err)
	} else {
		defer func() { err = errors.Join(err, closeDB()) }()
		c.checkDatabase(ctx, r, pool, where, o.maxSkew)
	}

	r.OK = true
	for _, ch := range r.Checks {
		r.OK = r.OK && ch.Status != statusFail
	}
	if o.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := r.print(c.stdout); err != nil {
		return err
	}
	if !r.OK {
		n := 0
		for _, ch := range r.Checks {
			if ch.Status == statusFail {
				n++
			}
		}
		return fmt.Errorf("doctor: %d of %d checks failed", n, len(r.Checks))
	}
	return nil
}

func (r *doctorReport) print(w interface{ Write([]byte) (int, error) }) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, ch := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.ToUpper(ch.Status), ch.Name, ch.Detail)
	}
	if len(r.Members) > 0 {
		fmt.Fprintln(tw, "\nMEMBER\tROLE\tVERSION\tADMIN\tSEEN\tCLOCK")
		for _, m := range r.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1fs ago\t%+.1fms\n", m.Name, m.Role, m.Version, m.AdminAddr, m.SeenSecondsAgo, m.ClockOffsetMs)
		}
	}
	return tw.Flush()
}

// doctorDatabase connects to DATABASE_URL, or to the embedded database
// through its socket when it runs, or starts the embedded database. close
// undoes what it did.
func (c *cli) doctorDatabase(ctx context.Context) (pool *pgxpool.Pool, where string, close func() error, err error) {
	if c.databaseURL == "" {
		dir := filepath.Join(c.data, "pg")
		if url, ok := pgcluster.Running(dir, ""); ok {
			cfg, err := pgxpool.ParseConfig(url)
			if err != nil {
				return nil, "", nil, err
			}
			pool, err := connect(ctx, cfg)
			if err != nil {
				return nil, "", nil, oneLine(fmt.Errorf("the embedded database in %s runs but does not answer: %w", dir, err))
			}
			return pool, "the embedded database in " + dir, func() error { pool.Close(); return nil }, nil
		}
	}
	db, err := c.openDatabase(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	where = "DATABASE_URL"
	if db.cluster != nil {
		where = "the embedded database in " + db.cluster.Dir() + " (started for this check)"
	}
	return db.pool, where, func() error { return db.close(ctx, c.logger) }, nil
}

func (c *cli) checkDatabase(ctx context.Context, r *doctorReport, pool *pgxpool.Pool, where string, maxSkew time.Duration) {
	st := store.New(pool)
	sent := time.Now()
	info, err := st.ServerInfo(ctx)
	back := time.Now()
	if err != nil {
		r.add("database", statusFail, "%s: %v", where, err)
		return
	}
	status := statusOK
	if info.VersionNum < minServerVersion {
		status = statusFail
	}
	r.add("database", status, "PostgreSQL %s at %s, round trip %v (PiCloud needs 13 or newer)", info.Version, where, back.Sub(sent).Round(10*time.Microsecond))

	m, err := migrations.New(pool, migrations.Config{Logger: c.logger.With("component", "migrations")})
	if err != nil {
		r.add("migrations", statusFail, "%v", err)
		return
	}
	defer m.Close()
	if err := m.CheckCurrent(ctx); err != nil {
		r.add("migrations", statusFail, "%v: run picloud migrate up, or start picloud serve", err)
		return
	}
	r.add("migrations", statusOK, "the schema is at version %d, current", m.Latest())

	// This machine's offset, from the midpoint of the round trip.
	self := sent.Add(back.Sub(sent) / 2).Sub(info.Now)
	worst, worstName := self, "this machine"
	members, err := st.Members.List(ctx)
	if err != nil {
		r.add("clock", statusFail, "this machine is %s from the database; the member list: %v", signed(self), err)
		return
	}
	alive := 0
	for _, mb := range members {
		r.Members = append(r.Members, doctorMember{
			Name: mb.Name, Role: mb.Role, Version: mb.Version, AdminAddr: mb.AdminAddr,
			SeenSecondsAgo: mb.SeenAgo.Seconds(), ClockOffsetMs: float64(mb.ClockOffset) / float64(time.Millisecond),
		})
		if mb.SeenAgo > memberAlive {
			continue
		}
		alive++
		if abs(mb.ClockOffset) > abs(worst) {
			worst, worstName = mb.ClockOffset, mb.Name+" ("+mb.Role+")"
		}
	}
	status = statusOK
	if abs(worst) > maxSkew {
		status = statusFail
	}
	r.add("clock", status, "this machine is %s from the database's clock; the largest offset of %d running members and this machine: %s, %s (at most %v passes)",
		signed(self), alive, worstName, signed(worst), maxSkew)
}

func (c *cli) checkDataDir(r *doctorReport, embedded bool, minFree int64) {
	dir := c.data
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !embedded:
		r.add("data", statusWarn, "%s does not exist; with DATABASE_URL it only holds the compilation cache, created at the first start", dir)
		return
	case errors.Is(err, fs.ErrNotExist):
		r.add("data", statusFail, "%s does not exist: picloud serve creates it, or set --data (PICLOUD_DATA)", dir)
		return
	case err != nil:
		r.add("data", statusFail, "%v", err)
		return
	case !fi.IsDir():
		r.add("data", statusFail, "%s is not a directory", dir)
		return
	}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		r.add("data", statusFail, "%s is owned by uid %d, and PiCloud runs as uid %d", dir, sys.Uid, os.Geteuid())
		return
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		r.add("data", statusFail, "%s is not writable: %v", dir, err)
		return
	}
	f.Close()
	os.Remove(f.Name())
	var fsys syscall.Statfs_t
	if err := syscall.Statfs(dir, &fsys); err != nil {
		r.add("data", statusFail, "free space of %s: %v", dir, err)
		return
	}
	free := int64(fsys.Bavail) * int64(fsys.Bsize)
	status := statusOK
	switch {
	case free < minFree:
		status = statusFail
	case free < 4*minFree:
		status = statusWarn
	}
	r.add("data", status, "%s: owned by this user, writable, %s free (below %s fails)", dir, bytesIEC(free), bytesIEC(minFree))
}

func checkCache(r *doctorReport, dir string) {
	var size int64
	files := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
				files++
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && files == 0:
		r.add("cache", statusWarn, "%s is empty: the first start compiles the sandbox's guest, which takes a while (set --cache-dir where it persists)", dir)
	case err != nil:
		r.add("cache", statusFail, "%s: %v", dir, err)
	default:
		r.add("cache", statusOK, "%s: %d files, %s", dir, files, bytesIEC(size))
	}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// signed shows an offset with its sign: +1.2ms is ahead of the database.
func signed(d time.Duration) string {
	d = d.Round(100 * time.Microsecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
