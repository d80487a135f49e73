package dispatch_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/dispatch"
	"github.com/picloud/picloud/effects"
	"github.com/picloud/picloud/runtime"
)

// helperEnv, set to a database URL, makes the test binary a dispatcher
// node on that database (helperMain) instead of running tests: the crash
// tests start it as a subprocess and kill it.
const helperEnv = "PICLOUD_DISPATCH_HELPER_DB"

// helperMain runs a dispatcher with the production defaults until it is
// killed or interrupted. It prints "ready <node>" once it claims.
func helperMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := pgxpool.New(ctx, os.Getenv(helperEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	st := store.New(pool)
	h, err := runtime.New(ctx, runtime.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer h.Close(context.Background())
	var d *dispatch.Dispatcher
	fx, err := effects.New(effects.Config{Store: st, Wake: func() {
		if d != nil {
			d.Wake()
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d, err = dispatch.New(ctx, dispatch.Config{Store: st, Invoker: h, Effects: fx, Name: "helper"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("ready %d\n", d.Node())
	<-ctx.Done()
	if err := d.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startHelper starts a dispatcher node in a subprocess and returns it and
// its node id.
func startHelper(t *testing.T, dbURL string) (*exec.Cmd, int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dbURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if node, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- node
			}
		}
		close(ready)
	}()
	select {
	case node, ok := <-ready:
		if !ok {
			t.Fatal("the helper exited before it was ready")
		}
		id, err := strconv.ParseInt(node, 10, 64)
		if err != nil {
			t.Fatalf("helper: %q", node)
		}
		return cmd, id
	case <-time.After(60 * time.Second):
		t.Fatal("the helper did not start within 60s")
	}
	return nil, 0
}

// A dispatcher killed with SIGKILL in the middle of a delivery: the row is
// delivered again by another node within 15s (the production defaults),
// and its KV effects happen exactly once.
func TestKilledDispatcherIsRescued(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess and waits for a rescue")
	}
	url := dbtest.FreshURL(t)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := newEnvOn(t, pool)
	app := e.app
	app.Limits.FuelPerInvocation = 1 << 40
	if e.app, err = e.st.Apps.Update(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	// The counter is incremented, then the script works for 2s: the kill
	// lands after the increment was staged and before it could commit.
	sc := e.script("counter", `kv::incr("count", 1); let t = timestamp(); while t.elapsed < 2.0 { }`)
	e.trigger(sc, store.Trigger{Kind: store.KindQueue, Queue: &store.QueueTrigger{Queue: "q"}})

	helper, node := startHelper(t, url)
	e.push("q", 1, 0)
	e.eventually(20*time.Second, "the helper claimed the delivery", func() bool {
		return e.count(`SELECT count(*) FROM outbox WHERE state = 1 AND claimed_by = $1`, node) == 1
	})
	time.Sleep(300 * time.Millisecond) // into the script's run
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = helper.Wait()

	d := e.dispatcher(dispatch.Config{Name: "survivor"})
	e.eventually(20*time.Second, "the survivor claimed the delivery", func() bool {
		return e.count(`SELECT count(*) FROM outbox WHERE claimed_by = $1`, d.Node()) == 1 || e.kv("count") != ""
	})
	back := time.Since(killed)
	e.eventually(20*time.Second, "the delivery completed", func() bool { return e.count(`SELECT count(*) FROM outbox`) == 0 })
	if back > 15*time.Second {
		t.Fatalf("the dead dispatcher's delivery came back after %v, want within 15s", back)
	}
	if v := e.kv("count"); v != "1" {
		t.Fatalf("count = %q after a killed attempt and a retry, want exactly 1", v)
	}
	t.Logf("delivery back %v after SIGKILL", back.Round(time.Millisecond))
	// The retry was the second attempt, recorded as such.
	e.eventually(5*time.Second, "the retry was recorded", func() bool {
		return e.count(`SELECT count(*) FROM invocations WHERE attempt = 2 AND outcome = 'ok'`) == 1
	})
}
