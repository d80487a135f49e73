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

	"github.com/picloud/picloud/cluster/clustertest"
)

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// TestScaling measures the most HTTP requests per second a cluster of 1,
// 2 and 3 nodes serves on this machine (a closed loop of 32 clients spread
// over the nodes for 10 s, after a warm-up), and the CPU each request costs
// in the nodes, the manager and PostgreSQL. Not in CI: it is skipped
// without PICLOUD_SCALING=1 (make bench-cluster).
func TestScaling(t *testing.T) {
	if os.Getenv("PICLOUD_SCALING") == "" {
		t.Skip("set PICLOUD_SCALING=1 to run the scaling bench (make bench-cluster)")
	}
	const clients, measure = 32, 10 * time.Second
	var table strings.Builder
	fmt.Fprintf(&table, "\ncores: %d\nnodes  req/s    node CPU µs/req  db CPU µs/req  manager CPU µs/req  loadgen CPU µs/req  errors", goruntime.NumCPU())
	for _, n := range []int{1, 2, 3} {
		c := clustertest.Start(t, clustertest.Config{Nodes: n, Binary: binary})
		setup(t, c)
		closedLoop(targets(c), clients, 2*time.Second) // warm-up
		nodeCPU0, dbCPU0, mgrCPU0, selfCPU0 := nodesCPU(c), c.DatabaseCPU(), c.Manager.CPU(), selfCPU()
		ok, failed := closedLoop(targets(c), clients, measure)
		nodeCPU, dbCPU, mgrCPU, self := nodesCPU(c)-nodeCPU0, c.DatabaseCPU()-dbCPU0, c.Manager.CPU()-mgrCPU0, selfCPU()-selfCPU0
		per := func(d time.Duration) string {
			if ok == 0 {
				return "-"
			}
			return fmtFloat(float64(d.Microseconds()) / float64(ok))
		}
		fmt.Fprintf(&table, "\n%-6d %-8.0f %-16s %-14s %-19s %-19s %d", n, float64(ok)/measure.Seconds(),
			per(nodeCPU), per(dbCPU), per(mgrCPU), per(self), failed)
		for _, p := range c.Procs() {
			p.Signal(t, syscall.SIGTERM)
			<-p.Exited()
		}
	}
	t.Log(table.String())
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

// closedLoop runs clients that each send GET /chaos/hello back to back to
// the targets in turn, for d, and counts the successes and failures.
func closedLoop(targets []string, clients int, d time.Duration) (ok, failed int64) {
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
			url := targets[i%len(targets)] + "/chaos/hello"
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
