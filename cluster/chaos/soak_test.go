package chaos

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/picloud/picloud/cluster/clustertest"
)

// TestSoak runs a manager and two nodes under steady traffic for
// PICLOUD_SOAK (e.g. 3m; make soak) and samples every process's resident
// memory and goroutines from /metrics every 10 seconds: after a warm-up
// third, neither may keep growing. Not in CI: it is skipped without
// PICLOUD_SOAK.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("PICLOUD_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set PICLOUD_SOAK=3m to run the soak (make soak)")
	}
	c := clustertest.Start(t, clustertest.Config{Nodes: 2, Binary: binary})
	setup(t, c)
	ld := startLoad(targets(c), hello, 200, 4)

	type sample struct {
		at         time.Duration
		rss, gorts map[string]float64
	}
	var samples []sample
	start := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for time.Since(start) < d {
		<-tick.C
		s := sample{at: time.Since(start).Round(time.Second), rss: map[string]float64{}, gorts: map[string]float64{}}
		for _, p := range c.Procs() {
			m := p.Metrics(t)
			s.rss[p.Name], s.gorts[p.Name] = m["process_resident_memory_bytes"], m["go_goroutines"]
		}
		samples = append(samples, s)
	}
	res := ld.stop()
	failed := 0
	for _, r := range res {
		if !okResult(r) {
			failed++
		}
	}
	var b strings.Builder
	b.WriteString("\n   t  ")
	for _, p := range c.Procs() {
		b.WriteString(pad(p.Name+" RSS MiB", 18) + pad("goroutines", 12))
	}
	for _, s := range samples {
		b.WriteString("\n" + pad(s.at.String(), 6))
		for _, p := range c.Procs() {
			b.WriteString(pad(ftoa(s.rss[p.Name]/(1<<20)), 18) + pad(ftoa(s.gorts[p.Name]), 12))
		}
	}
	t.Logf("%d requests, %d failed; samples:%s", len(res), failed, b.String())
	if failed > 0 {
		t.Errorf("%d requests failed", failed)
	}
	if len(samples) < 6 {
		t.Fatalf("only %d samples: soak for at least a minute", len(samples))
	}
	// Compare the end of the run with the end of the warm-up third.
	warm, last := samples[len(samples)/3], samples[len(samples)-1]
	for _, p := range c.Procs() {
		if g0, g1 := warm.gorts[p.Name], last.gorts[p.Name]; g1 > g0+20 {
			t.Errorf("%s goroutines grew from %v to %v", p.Name, g0, g1)
		}
		if r0, r1 := warm.rss[p.Name], last.rss[p.Name]; r1 > r0*1.25+8<<20 {
			t.Errorf("%s RSS grew from %.1f to %.1f MiB", p.Name, r0/(1<<20), r1/(1<<20))
		}
	}
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-len(s))
}

func ftoa(f float64) string { return strings.TrimRight(strings.TrimRight(fmtFloat(f), "0"), ".") }
