package pgcluster

import (
	"context"
	"fmt"
	"path/filepath"
)

// Running reports whether a PostgreSQL server runs in the cluster directory
// dir and returns the URL of its database (database "" means "picloud"),
// without taking ownership: for tools that inspect a running installation,
// such as picloud doctor.
func Running(dir, database string) (url string, ok bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	if database == "" {
		database = "picloud"
	}
	c := &Cluster{cfg: Config{Dir: abs}}
	if _, ok := c.runningPostmaster(); !ok {
		return "", false
	}
	return connURL(abs, database), true
}

// Restart restarts the server in immediate mode: every session is cut and
// the server recovers from its write-ahead log, as after a crash. Chaos
// tests use it to check that clients survive a database crash.
func (c *Cluster) Restart(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("pgcluster: restart PostgreSQL in %s: the cluster was stopped", c.cfg.Dir)
	}
	if err := c.pgctl(ctx, "restart", "-m", "immediate", "-w", "-s", "-t", c.timeoutSeconds(),
		"-l", filepath.Join(c.cfg.Dir, "postgresql.log")); err != nil {
		return fmt.Errorf("pgcluster: restart PostgreSQL in %s: %w%s", c.cfg.Dir, err, c.logHint())
	}
	return nil
}
