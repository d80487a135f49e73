// Package pgcluster runs a private PostgreSQL cluster from the server
// binaries installed on the machine, so PiCloud needs no database setup: the
// cluster lives in a directory of its own, listens only on a unix socket in
// that directory, and is stopped when its owner stops it.
//
// Start initializes the directory on first use (initdb), starts the server
// (pg_ctl) and creates the database; a later Start reuses the data. Only one
// process owns a cluster at a time (a lock file beside the directory). A
// server left running by an owner that was killed is adopted by the next
// Start; a postmaster.pid left behind by a server that died is removed.
//
// PostgreSQL refuses to run as root. When the process runs as root, the
// cluster directory belongs to an unprivileged system user (Config.User,
// "postgres" by default, which Debian's postgresql package creates) and
// initdb and pg_ctl run as that user.
package pgcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// port only names the socket file (.s.PGSQL.<port>): the server listens on no
// TCP port, and the socket directory is private, so the default port is fine.
const port = 5432

// superuser is the database superuser initdb creates, whatever the OS user.
const superuser = "postgres"

// maxSocketPath is the longest unix socket path Linux accepts (sun_path less
// its terminating NUL).
const maxSocketPath = 107

// Config says where and how to run the cluster. The zero value is usable.
type Config struct {
	// Dir is the cluster's data directory, created and initialized with
	// initdb when missing or empty. The server's unix socket and its log
	// (postgresql.log) live in it too, and Dir+".lock" beside it marks the
	// owning process. Relative paths are taken from the working directory.
	// Default: ".picloud/pg".
	Dir string

	// BinDir is the directory holding initdb, pg_ctl and postgres.
	// Default: the directory of initdb found on PATH, else
	// /usr/lib/postgresql/<major>/bin for the major version that made an
	// existing cluster in Dir, else the newest one installed there.
	BinDir string

	// User is the unprivileged system user that owns the cluster and runs
	// the server when the process runs as root; ignored otherwise. It must
	// exist: it is never created. Default: "postgres".
	User string

	// Database is the database URL connects to; it is created on start when
	// missing. Default: "picloud".
	Database string

	// StartTimeout bounds the wait for the server to accept connections on
	// start and to stop on Stop. Default: 60s.
	StartTimeout time.Duration

	// NoSync turns off every fsync (initdb --no-sync, fsync, full page
	// writes, synchronous commit): much faster, and a crash of the machine
	// can corrupt the cluster. For throwaway test clusters only.
	// Default: false.
	NoSync bool

	// Logger receives what the cluster does (init, start, stop).
	// Default: a logger that discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		c.Dir = filepath.Join(".picloud", "pg")
	}
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return c, fmt.Errorf("pgcluster: Config.Dir %q: %w", c.Dir, err)
	}
	c.Dir = abs
	if c.User == "" {
		c.User = "postgres"
	}
	if c.Database == "" {
		c.Database = "picloud"
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func (c Config) validate() error {
	if strings.ContainsAny(c.Dir, ",\"'\n") {
		return fmt.Errorf("pgcluster: Config.Dir %q: must not contain commas, quotes or newlines (PostgreSQL's socket directory list cannot hold them)", c.Dir)
	}
	if n := len(socketPath(c.Dir)); n > maxSocketPath {
		return fmt.Errorf("pgcluster: Config.Dir %q: its socket path would be %d bytes, over the %d a unix socket allows: choose a shorter directory", c.Dir, n, maxSocketPath)
	}
	if c.StartTimeout < time.Second {
		return fmt.Errorf("pgcluster: Config.StartTimeout %v: must be at least 1s", c.StartTimeout)
	}
	if strings.ContainsRune(c.Database, 0) || len(c.Database) > 63 {
		return fmt.Errorf("pgcluster: Config.Database %q: must be at most 63 bytes without NUL", c.Database)
	}
	return nil
}

func socketPath(dir string) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
}

// Cluster is a running cluster owned by this process.
type Cluster struct {
	cfg    Config
	bin    string
	runAs  *runAs
	lock   *os.File
	url    string
	mu     sync.Mutex
	closed bool
}

// Start makes sure the cluster in cfg.Dir exists and runs, and that its
// database exists, then returns it. The caller owns it until Stop (or
// Release). On error nothing is left running that Start started.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	as, err := lookupRunAs(cfg.User)
	if err != nil {
		return nil, err
	}
	if err := prepareParent(cfg.Dir, as); err != nil {
		return nil, err
	}
	lock, err := acquireLock(cfg.Dir + ".lock")
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, runAs: as, lock: lock}
	if err := c.start(ctx); err != nil {
		c.releaseLock()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	log := c.cfg.Logger
	dir := c.cfg.Dir
	initialized, err := c.checkDir()
	if err != nil {
		return err
	}
	existing := ""
	if initialized {
		existing = readTrimmed(filepath.Join(dir, "PG_VERSION"))
	}
	c.bin, err = findBinDir(c.cfg.BinDir, existing, defaultBinGlob)
	if err != nil {
		return err
	}
	if initialized {
		if err := c.checkVersion(ctx, existing); err != nil {
			return err
		}
	} else {
		log.InfoContext(ctx, "initializing a PostgreSQL cluster", slog.String("dir", dir), slog.String("bin", c.bin))
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	if err := c.writeConf(); err != nil {
		return err
	}

	pid, running := c.runningPostmaster()
	if running {
		log.InfoContext(ctx, "reusing the PostgreSQL server an earlier run left running", slog.String("dir", dir), slog.Int("pid", pid))
	} else {
		c.removeStaleLocks(ctx)
		log.InfoContext(ctx, "starting PostgreSQL", slog.String("dir", dir))
		if err := c.pgctl(ctx, "start", "-w", "-s", "-t", c.timeoutSeconds(), "-l", filepath.Join(dir, "postgresql.log")); err != nil {
			// pg_ctl may have been stopped (a canceled ctx) after the server began.
			_ = c.stopServer(context.WithoutCancel(ctx))
			return fmt.Errorf("pgcluster: start PostgreSQL in %s: %w%s", dir, err, c.logHint())
		}
	}
	c.url = connURL(dir, c.cfg.Database)
	if err := c.ensureDatabase(ctx); err != nil {
		_ = c.stopServer(context.WithoutCancel(ctx)) // started or adopted: either way ours to stop
		return err
	}
	return nil
}

// URL is the connection string of the cluster's database, for pgx or libpq.
func (c *Cluster) URL() string { return c.url }

// Dir is the cluster's data directory, as an absolute path.
func (c *Cluster) Dir() string { return c.cfg.Dir }

// Stop shuts the server down (fast: open sessions are ended, committed work
// is kept) and gives up ownership. It is safe to call more than once.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	defer c.releaseLock()
	c.cfg.Logger.InfoContext(ctx, "stopping PostgreSQL", slog.String("dir", c.cfg.Dir))
	if err := c.stopServer(ctx); err != nil {
		return fmt.Errorf("pgcluster: stop PostgreSQL in %s: %w%s", c.cfg.Dir, err, c.logHint())
	}
	return nil
}

// Release gives up ownership and leaves the server running; the next Start
// on the same directory adopts it. Test helpers that share one cluster
// between test processes use it; a server should call Stop.
func (c *Cluster) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.releaseLock()
	}
}

func (c *Cluster) releaseLock() {
	if c.lock != nil {
		_ = c.lock.Close() // closing the descriptor drops the flock
		c.lock = nil
	}
}

func (c *Cluster) timeoutSeconds() string {
	return strconv.Itoa(int((c.cfg.StartTimeout + time.Second - 1) / time.Second))
}

// stopServer stops the server if one runs in the directory.
func (c *Cluster) stopServer(ctx context.Context) error {
	if _, running := c.runningPostmaster(); !running {
		return nil
	}
	return c.pgctl(ctx, "stop", "-m", "fast", "-w", "-s", "-t", c.timeoutSeconds())
}

// checkDir reports whether the directory already holds a cluster, creating
// it when missing, and rejects directories this process cannot use.
func (c *Cluster) checkDir() (initialized bool, err error) {
	dir := c.cfg.Dir
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.Mkdir(dir, 0o700); err != nil {
			return false, fmt.Errorf("pgcluster: create %s: %w: choose a writable directory", dir, unwrapPath(err))
		}
		if err := c.runAs.chown(dir); err != nil {
			return false, err
		}
		return false, nil
	case err != nil:
		return false, fmt.Errorf("pgcluster: %s: %w", dir, unwrapPath(err))
	case !fi.IsDir():
		return false, fmt.Errorf("pgcluster: %s is not a directory: remove it or choose another directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		if err := c.runAs.checkOwner(dir, fi); err != nil {
			return false, err
		}
		conf, _ := os.ReadFile(filepath.Join(dir, "postgresql.conf"))
		if !strings.Contains(string(conf), includeLine) {
			return false, fmt.Errorf("pgcluster: %s was not initialized by PiCloud, or its initialization was interrupted: remove it (a new cluster is made on the next start) or choose another directory", dir)
		}
		return true, c.runAs.checkWritable(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("pgcluster: %s: %w", dir, unwrapPath(err))
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("pgcluster: %s is neither empty nor a PostgreSQL data directory (no PG_VERSION): remove it or choose another directory", dir)
	}
	// An empty directory made beforehand, by root for instance: root hands
	// it over; anyone else must own it.
	if os.Geteuid() == 0 {
		return false, c.runAs.chown(dir)
	}
	if err := c.runAs.checkOwner(dir, fi); err != nil {
		return false, err
	}
	return false, c.runAs.checkWritable(dir)
}

func (c *Cluster) initdb(ctx context.Context) error {
	args := []string{"-D", c.cfg.Dir, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--no-locale"}
	if c.cfg.NoSync {
		args = append(args, "--no-sync")
	}
	out, err := c.command(ctx, "initdb", args...).CombinedOutput()
	if err == nil {
		err = appendInclude(filepath.Join(c.cfg.Dir, "postgresql.conf"))
	} else {
		err = fmt.Errorf("%w: %s", err, lastLine(out))
	}
	if err != nil {
		// initdb cleans up after itself unless it was killed (a canceled
		// ctx): leave the directory empty for the next try either way.
		c.emptyDir()
		return fmt.Errorf("pgcluster: initdb %s: %w", c.cfg.Dir, err)
	}
	return nil
}

// includeLine, appended to postgresql.conf once initdb succeeded, both loads
// picloud.conf and marks the initialization as complete.
const includeLine = "include_if_exists = 'picloud.conf'"

func appendInclude(conf string) error {
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, "\n# PiCloud rewrites picloud.conf at every start.\n"+includeLine+"\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (c *Cluster) emptyDir() {
	entries, _ := os.ReadDir(c.cfg.Dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(c.cfg.Dir, e.Name()))
	}
}

// writeConf writes the settings PiCloud needs, at every start, so a moved
// directory still gets its own socket path.
func (c *Cluster) writeConf() error {
	var b strings.Builder
	b.WriteString("# Written by PiCloud at every start: edit postgresql.conf instead.\n")
	b.WriteString("listen_addresses = ''\n")
	fmt.Fprintf(&b, "unix_socket_directories = '%s'\n", c.cfg.Dir)
	fmt.Fprintf(&b, "port = %d\n", port)
	if c.cfg.NoSync {
		b.WriteString("fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n")
	}
	path := filepath.Join(c.cfg.Dir, "picloud.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("pgcluster: write %s: %w", path, unwrapPath(err))
	}
	return c.runAs.chown(path)
}

// checkVersion rejects a cluster made by another major version than the
// binaries: the server would refuse it with a less helpful message.
func (c *Cluster) checkVersion(ctx context.Context, clusterVersion string) error {
	out, err := c.command(ctx, "pg_ctl", "--version").Output()
	if err != nil {
		return fmt.Errorf("pgcluster: %s --version: %w", filepath.Join(c.bin, "pg_ctl"), err)
	}
	// "pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		return fmt.Errorf("pgcluster: unexpected pg_ctl --version output %q", out)
	}
	major, _, _ := strings.Cut(fields[2], ".")
	if major != clusterVersion {
		return fmt.Errorf("pgcluster: the cluster in %s was made by PostgreSQL %s but the binaries in %s are version %s: install PostgreSQL %s (or set Config.BinDir to its binaries), or move the directory away",
			c.cfg.Dir, clusterVersion, c.bin, major, clusterVersion)
	}
	return nil
}

// runningPostmaster reports the postmaster serving this directory, if one
// runs: the pid in postmaster.pid must be alive and working in the directory
// (a postmaster's working directory is its data directory).
func (c *Cluster) runningPostmaster() (int, bool) {
	pid, ok := readPid(filepath.Join(c.cfg.Dir, "postmaster.pid"))
	if !ok {
		return 0, false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return pid, false
	}
	want, err := filepath.EvalSymlinks(c.cfg.Dir)
	if err != nil {
		return pid, false
	}
	return pid, cwd == want
}

// removeStaleLocks removes lock files a dead server left. PostgreSQL removes
// them itself unless their pid now belongs to another live process, which
// is common in containers after a restart.
func (c *Cluster) removeStaleLocks(ctx context.Context) {
	for _, name := range []string{"postmaster.pid", ".s.PGSQL." + strconv.Itoa(port) + ".lock"} {
		path := filepath.Join(c.cfg.Dir, name)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if err := os.Remove(path); err == nil {
			c.cfg.Logger.InfoContext(ctx, "removed a lock file left by a server that no longer runs", slog.String("file", path))
		}
	}
}

func (c *Cluster) ensureDatabase(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL(c.cfg.Dir, "postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: connect to PostgreSQL in %s: %w%s", c.cfg.Dir, err, c.logHint())
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", c.cfg.Database).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: look up database %q: %w", c.cfg.Database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.cfg.Database}.Sanitize()); err != nil {
		return fmt.Errorf("pgcluster: create database %q: %w", c.cfg.Database, err)
	}
	return nil
}

// pgctl runs pg_ctl on the directory with the given action and options.
func (c *Cluster) pgctl(ctx context.Context, action string, args ...string) error {
	args = append([]string{action, "-D", c.cfg.Dir}, args...)
	out, err := c.command(ctx, "pg_ctl", args...).CombinedOutput()
	if err != nil {
		if line := lastLine(out); line != "" {
			return fmt.Errorf("pg_ctl %s: %w: %s", action, err, line)
		}
		return fmt.Errorf("pg_ctl %s: %w", action, err)
	}
	return nil
}

// command prepares one of the PostgreSQL programs, run as the cluster's
// user, from a working directory every user can enter, without the PG*
// variables that could point it elsewhere.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = "/"
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	c.runAs.apply(cmd)
	return cmd
}

// logHint points at the server log's last complaint, if it has one.
func (c *Cluster) logHint() string {
	path := filepath.Join(c.cfg.Dir, "postgresql.log")
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	if len(data) > 64<<10 {
		data = data[len(data)-64<<10:]
	}
	var last, complaint string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		last = line
		if strings.Contains(line, "FATAL") || strings.Contains(line, "PANIC") || strings.Contains(line, "ERROR") {
			complaint = line
		}
	}
	if complaint == "" {
		complaint = last
	}
	return fmt.Sprintf(" (server log %s: %s)", path, complaint)
}

// connURL is the URL of a database of the cluster, over its unix socket.
func connURL(dir, database string) string {
	q := url.Values{}
	q.Set("host", dir)
	q.Set("port", strconv.Itoa(port))
	q.Set("user", superuser)
	q.Set("sslmode", "disable")
	u := url.URL{Scheme: "postgres", Path: "/" + database, RawQuery: q.Encode()}
	return u.String()
}

func readPid(path string) (int, bool) {
	first, _, _ := strings.Cut(readTrimmed(path), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

func readTrimmed(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// unwrapPath drops the *PathError wrapper when the message already names
// the path, keeping the cause.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// prepareParent creates the directory that holds the cluster directory and
// its lock file, and checks the cluster's user can reach it.
func prepareParent(dir string, as *runAs) error {
	parent := filepath.Dir(dir)
	if _, err := os.Stat(parent); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("pgcluster: create %s: %w: choose a writable directory", parent, unwrapPath(err))
		}
		if as != nil {
			// Whatever the umask, the cluster's user must be able to enter it.
			if err := os.Chmod(parent, 0o755); err != nil {
				return fmt.Errorf("pgcluster: %w", err)
			}
		}
	}
	return as.checkReachable(dir)
}

// acquireLock takes the exclusive lock that marks the owning process.
func acquireLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: create %s: %w: choose a writable directory", path, unwrapPath(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner := readTrimmed(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("pgcluster: %s is in use by another process (pid %s): stop it, or choose another directory", strings.TrimSuffix(path, ".lock"), owner)
		}
		return nil, fmt.Errorf("pgcluster: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// runAs is the unprivileged user the PostgreSQL programs run as when this
// process is root; nil when they run as this process's own user.
type runAs struct {
	name   string
	uid    int
	gid    int
	groups []uint32
}

func lookupRunAs(name string) (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, PostgreSQL must run as an unprivileged user, and user %q does not exist: install the Debian package \"postgresql\" (it creates the user %q), or run PiCloud as a normal user", name, name)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == 0 {
		return nil, fmt.Errorf("pgcluster: Config.User %q is root: PostgreSQL refuses to run as root; name an unprivileged user", name)
	}
	as := &runAs{name: name, uid: uid, gid: gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil {
				as.groups = append(as.groups, uint32(g))
			}
		}
	}
	return as, nil
}

func (a *runAs) apply(cmd *exec.Cmd) {
	if a == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: a.groups,
	}}
}

func (a *runAs) chown(path string) error {
	if a == nil {
		return nil
	}
	if err := os.Chown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("pgcluster: give %s to user %s: %w", path, a.name, err)
	}
	return nil
}

// checkOwner rejects a cluster directory that belongs to someone other than
// the user PostgreSQL will run as: it would refuse to start.
func (a *runAs) checkOwner(dir string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	want, wantName := os.Geteuid(), "this user"
	if a != nil {
		want, wantName = a.uid, "user "+a.name
	}
	if int(st.Uid) == want {
		return nil
	}
	owner := strconv.Itoa(int(st.Uid))
	if u, err := user.LookupId(owner); err == nil {
		owner += " (" + u.Username + ")"
	}
	return fmt.Errorf("pgcluster: %s is owned by uid %s, but PostgreSQL runs as %s: run PiCloud as its owner, or choose another directory", dir, owner, wantName)
}

// checkWritable rejects a directory the server could not write to.
func (a *runAs) checkWritable(dir string) error {
	if a != nil {
		return nil // owned by the user (checkOwner), who can fix its mode
	}
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return fmt.Errorf("pgcluster: %s is not writable: %w: fix its permissions, or choose another directory", dir, err)
	}
	return nil
}

// checkReachable makes sure the cluster's user can enter every directory on
// the way to dir (a root-owned 0700 home directory is the usual culprit).
func (a *runAs) checkReachable(dir string) error {
	if a == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && !a.canSearch(fi.Mode().Perm(), int(st.Uid), int(st.Gid)) {
			return fmt.Errorf("pgcluster: PostgreSQL runs as user %s (PiCloud runs as root), who cannot enter %s (mode %04o, owner uid %d): choose a directory outside it, or run PiCloud as a normal user",
				a.name, p, fi.Mode().Perm(), st.Uid)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (a *runAs) canSearch(mode os.FileMode, uid, gid int) bool {
	if uid == a.uid {
		return mode&0o100 != 0
	}
	inGroup := gid == a.gid
	for _, g := range a.groups {
		inGroup = inGroup || int(g) == gid
	}
	if inGroup {
		return mode&0o010 != 0
	}
	return mode&0o001 != 0
}
