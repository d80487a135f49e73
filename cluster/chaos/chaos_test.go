package chaos

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/client"
	"github.com/picloud/picloud/cluster/clustertest"
)

// setup deploys the chaos app's HTTP script through the manager and waits
// until every node serves it.
func setup(t *testing.T, c *clustertest.Cluster) *client.Client {
	t.Helper()
	ctx := t.Context()
	cl, err := client.New(client.Config{URL: "http://" + c.Manager.Admin, Token: clustertest.Token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateApp(ctx, client.NewApp{Slug: "chaos"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Deploy(ctx, "chaos", "hello", `"ok " + ctx.event.http.path`); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		awaitOK(t, "http://"+n.Public+"/chaos/hello")
	}
	return cl
}

func awaitOK(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, body, err := getURL(url); err == nil && code == 200 && body == "ok /hello" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getURL(url string) (int, string, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func targets(c *clustertest.Cluster) []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, "http://"+n.Public)
	}
	return out
}

func okResult(r result) bool { return r.err == nil && r.status == 200 && r.body == "ok /hello" }

// TestChaos: one manager and three nodes under steady HTTP traffic for
// about 25 seconds; node 2 is killed with SIGKILL and restarted, and
// PostgreSQL crashes and recovers (pg_ctl restart -m immediate). Requests
// fail only to the killed node while it is down, and around the database's
// restart.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos test runs for about 30 seconds")
	}
	c := clustertest.Start(t, clustertest.Config{Nodes: 3, Binary: binary})
	setup(t, c)

	const rate = 150 // requests per second, over all nodes
	ld := startLoad(targets(c), "/chaos/hello", rate, 3)
	var windows []window
	pause := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-t.Context().Done():
		}
	}

	pause(4 * time.Second)
	killed := c.Nodes[1]
	w := window{what: "node 2 killed", target: 1, start: time.Now()}
	killed.Kill(t)
	pause(3 * time.Second)
	killed.Start(t)
	w.end = time.Now()
	windows = append(windows, w)
	t.Logf("node 2 was down for %v", w.end.Sub(w.start).Round(time.Millisecond))

	pause(4 * time.Second)
	w = window{what: "database restart", target: -1, start: time.Now()}
	c.RestartDatabase(t)
	// The nodes' pools notice dead connections on their next use; allow a
	// second for that after the server is back.
	w.end = time.Now().Add(time.Second)
	windows = append(windows, w)
	t.Logf("the database restarted in %v", time.Since(w.start).Round(time.Millisecond))

	pause(10 * time.Second)
	res := ld.stop()

	outside, inside := failures(res, okResult, windows)
	t.Logf("%d requests; failures inside the fault windows: %v", len(res), inside)
	for i, r := range outside {
		if i == 10 {
			t.Errorf("… and %d more", len(outside)-10)
			break
		}
		t.Errorf("failed outside every fault window: %v", r)
	}
	if len(res) < rate*15 {
		t.Errorf("only %d requests in 25 s at %d/s: the load generator or the nodes stalled", len(res), rate)
	}
	// Every process is still ready and answers.
	for _, p := range c.Procs() {
		if code, body, err := p.Get("/readyz"); err != nil || code != 200 {
			t.Errorf("%s /readyz after the faults: %d %s %v", p.Name, code, body, err)
		}
	}
}

// TestTermUnderLoad: SIGTERM turns a node's /readyz to 503 "draining" at
// once while it keeps serving for --drain-delay, then it exits cleanly
// within its deadline: requests it accepted all succeed, it leaves the
// member list, and it holds no delivery.
func TestTermUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := clustertest.Start(t, clustertest.Config{Nodes: 2, Binary: binary, NodeArgs: []string{"--drain-delay", "1s", "--shutdown-timeout", "10s"}})
	setup(t, c)
	node := c.Nodes[0]
	ld := startLoad(targets(c)[:1], "/chaos/hello", 100, 2)
	time.Sleep(time.Second)

	termAt := time.Now()
	node.Signal(t, syscall.SIGTERM)
	// Draining is visible at once, while it still serves.
	code, body, err := node.Get("/readyz")
	if err != nil || code != 503 || !strings.Contains(body, `"draining"`) {
		t.Fatalf("/readyz right after SIGTERM = %d %s %v; want 503 draining", code, body, err)
	}
	select {
	case <-node.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("the node did not exit within 30s of SIGTERM:\n%s", node.Log())
	}
	if err := node.Err(); err != nil {
		t.Fatalf("the node exited with %v:\n%s", err, node.Log())
	}
	res := ld.stop()
	var before, after, failedBefore int
	for _, r := range res {
		switch {
		case r.at.Before(termAt.Add(900 * time.Millisecond)): // within the drain delay: must be served
			before++
			if !okResult(r) {
				failedBefore++
				t.Errorf("a request during the drain failed: %v", r)
			}
		default:
			after++
		}
	}
	t.Logf("%d requests before and during the drain (%d failed), %d after", before, failedBefore, after)

	conn, err := pgx.Connect(t.Context(), c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var members, leased int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM cluster_members WHERE admin_addr = $1`, node.Admin).Scan(&members); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM outbox WHERE state = 1`).Scan(&leased); err != nil {
		t.Fatal(err)
	}
	if members != 0 || leased != 0 {
		t.Fatalf("after a clean stop: %d member rows, %d leased deliveries; want none", members, leased)
	}
}
