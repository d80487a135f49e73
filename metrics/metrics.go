// Package metrics exports PiCloud's Prometheus metrics. Nothing here touches
// the client library's global registry: the binary builds one registry per
// process with NewRegistry, hands it to Register and NewInvocations, and
// serves it with Handler (on the admin listener's /metrics).
//
//	reg := metrics.NewRegistry()
//	rec, _ := metrics.NewInvocations(reg, recorder, log) // counts, logs, then records
//	_ = metrics.Register(reg, metrics.Sources{Pool: pool, Sandbox: host, Recorder: recorder, Outbox: st.Outbox})
//	mux.Handle("/metrics", metrics.Handler(reg))
//
// Counters and histograms are updated as invocations are recorded; gauges of
// other components are read from them at each scrape (Sources). The
// metrics and their labels are listed in docs/OPERATIONS.md.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every PiCloud metric.
const Namespace = "picloud"

// NewRegistry returns a registry with the Go runtime's and the process's
// collectors (go_goroutines, process_resident_memory_bytes, …).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves reg in the Prometheus text format (or OpenMetrics when
// asked). A collector that fails leaves its metrics out of the scrape
// rather than failing it.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          reg, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	})
}
