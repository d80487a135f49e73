package pgcluster_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/pgcluster"
)

// Running finds a running cluster without owning it; an immediate restart
// cuts the sessions and keeps committed data; a stopped cluster neither
// runs nor restarts.
func TestRunningAndRestart(t *testing.T) {
	requireServer(t)
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	if _, ok := pgcluster.Running(dir, ""); ok {
		t.Fatal("Running before Start")
	}
	// With fsync on: NoSync also turns off synchronous commits, whose
	// last transactions an immediate restart may lose.
	c, err := pgcluster.Start(t.Context(), pgcluster.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	var conn *pgx.Conn
	url, ok := pgcluster.Running(dir, "")
	if !ok || url != c.URL() {
		t.Fatalf("Running = %q, %v; want %q", url, ok, c.URL())
	}
	exec1(t, url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	conn, err = pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := c.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(t.Context()); err == nil {
		t.Fatal("a session survived the immediate restart")
	}
	if n := count(t, url, "SELECT count(*) FROM kept"); n != 1 {
		t.Fatalf("%d rows after the restart, want 1", n)
	}
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := pgcluster.Running(dir, ""); ok {
		t.Fatal("Running after Stop")
	}
	if err := c.Restart(t.Context()); err == nil {
		t.Fatal("Restart after Stop succeeded")
	}
}
