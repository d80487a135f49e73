package chaos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/picloud/picloud/client"
	"github.com/picloud/picloud/cluster/clustertest"
)

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// TestScaling measures, for a cluster of 1, 2 and 3 nodes on this machine,
// the most HTTP requests per second (a hello-world script) and the most
// deliveries per second (each request publishes once; a no-op script
// receives it), with a closed loop of 32 clients spread over the nodes for
// 10 s after a warm-up, and the CPU each costs in the nodes, the manager
// and PostgreSQL, read from /proc. A delivery's CPU includes its publish. Not in CI: it is skipped
// without PICLOUD_SCALING=1 (make bench-cluster).
func TestScaling(t *testing.T) {
	if os.Getenv("PICLOUD_SCALING") == "" {
		t.Skip("set PICLOUD_SCALING=1 to run the scaling bench (make bench-cluster)")
	}
	const clients, measure = 32, 10 * time.Second
	var table strings.Builder
	fmt.Fprintf(&table, "\ncores: %d\nload      nodes  per s    node CPU µs  db CPU µs  manager CPU µs  loadgen CPU µs  errors  backlog", goruntime.NumCPU())
	for _, n := range []int{1, 2, 3} {
		c := clustertest.Start(t, clustertest.Config{Nodes: n, Binary: binary})
		cl := setup(t, c)
		ctx := t.Context()
		if _, err := cl.Deploy(ctx, "chaos", "publish", `pubsub::publish_durable("bench", ctx.event.http.path); "published"`); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Deploy(ctx, "chaos", "sink", `ctx.event.pubsub.message.len()`); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.CreateTrigger(ctx, "chaos", "pubsub", client.NewTrigger{Script: "sink", Pubsub: &client.PubsubTrigger{Pattern: "bench"}}); err != nil {
			t.Fatal(err)
		}
		for _, nd := range c.Nodes {
			awaitOK(t, "http://"+nd.Public+"/chaos/publish", "published")
		}
		// HTTP: a hello-world script, per request. Deliveries: each
		// request publishes once (committed before the response) and a
		// no-op script receives it; per delivery, publish included.
		for _, l := range []struct{ what, path string }{{"http", "/chaos/hello"}, {"delivery", "/chaos/publish"}} {
			closedLoop(targets(c), l.path, clients, 2*time.Second) // warm-up
			delivered0 := delivered(t, c)
			nodeCPU0, dbCPU0, mgrCPU0, selfCPU0 := nodesCPU(c), c.DatabaseCPU(), c.Manager.CPU(), selfCPU()
			ok, failed := closedLoop(targets(c), l.path, clients, measure)
			nodeCPU, dbCPU, mgrCPU, self := nodesCPU(c)-nodeCPU0, c.DatabaseCPU()-dbCPU0, c.Manager.CPU()-mgrCPU0, selfCPU()-selfCPU0
			count, backlog := ok, int64(0)
			if l.what == "delivery" {
				count = int64(delivered(t, c) - delivered0)
				backlog = ok - count
			}
			per := func(d time.Duration) string {
				if count == 0 {
					return "-"
				}
				return fmtFloat(float64(d.Microseconds()) / float64(count))
			}
			fmt.Fprintf(&table, "\n%-9s %-6d %-8.0f %-12s %-10s %-15s %-15s %-7d %d", l.what, n, float64(count)/measure.Seconds(),
				per(nodeCPU), per(dbCPU), per(mgrCPU), per(self), failed, backlog)
		}
		for _, p := range c.Procs() {
			p.Signal(t, syscall.SIGTERM)
			<-p.Exited()
		}
	}
	t.Log(table.String())
}

// delivered sums the nodes' picloud_dispatch_delivered_total.
func delivered(t *testing.T, c *clustertest.Cluster) float64 {
	var sum float64
	for _, n := range c.Nodes {
		sum += n.Metrics(t)["picloud_dispatch_delivered_total"]
	}
	return sum
}

func nodesCPU(c *clustertest.Cluster) time.Duration {
	var d time.Duration
	for _, n := range c.Nodes {
		d += n.CPU()
	}
	return d
}

// selfCPU is the CPU this test process (the load generator) used so far.
func selfCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// closedLoop runs clients that each send GET path back to back to the
// targets in turn, for d, and counts the successes and failures.
func closedLoop(targets []string, path string, clients int, d time.Duration) (ok, failed int64) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var okN, failN atomic.Int64
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := targets[i%len(targets)] + path
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failN.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					okN.Add(1)
				} else {
					failN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return okN.Load(), failN.Load()
}
