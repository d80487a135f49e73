package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/egress"
	"github.com/picloud/picloud/record"
)

// Recorder records a finished invocation; *record.Recorder is one.
type Recorder interface {
	Record(inv record.Invocation)
}

var _ Recorder = (*record.Recorder)(nil)

// Invocations counts and logs every invocation it records, then hands it
// to the next Recorder. Use it wherever the process records invocations
// (the ingress, the API's invoke, the dispatcher) so all are counted.
type Invocations struct {
	next     Recorder
	log      *slog.Logger
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	fuel     *prometheus.HistogramVec
	attempts *prometheus.CounterVec
	retries  *prometheus.CounterVec
	egress   *prometheus.CounterVec
	egressB  *prometheus.CounterVec
}

// NewInvocations registers the invocation metrics with reg and returns the
// Recorder that updates them; next may be nil (count only). When log is
// not nil, each invocation is logged with its invocation_id: at debug level
// when it succeeded, at info level otherwise (a script's failure is its
// author's business, not an operator's alarm).
func NewInvocations(reg prometheus.Registerer, next Recorder, log *slog.Logger) (*Invocations, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Invocations{
		next: next,
		log:  log,
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "invocations_total",
			Help: "Invocations that ran, by app, outcome (ok, error, fuel_exhausted, memory_exceeded, timeout) and trigger kind.",
		}, []string{"app", "outcome", "trigger"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "invocation_duration_seconds",
			Help: "Time an invocation ran in the sandbox, waiting for an instance excluded, by trigger kind.",
			// From a no-op script (~0.1 ms) to the longest timeouts.
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"trigger"}),
		fuel: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "invocation_fuel",
			Help: "Interpreter steps (fuel) an invocation used, by trigger kind.",
			// From a one-line script to the largest budgets: 10 to 10^9.
			Buckets: prometheus.ExponentialBuckets(10, 10, 9),
		}, []string{"trigger"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "delivery_attempts_total",
			Help: "Outbox deliveries run (each attempt once), by trigger kind and outcome.",
		}, []string{"trigger", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "delivery_retries_total",
			Help: "Outbox deliveries run again after a failed or interrupted attempt, by trigger kind.",
		}, []string{"trigger"}),
	}
	m.egress = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "egress_requests_total",
		Help: "Outbound HTTP requests scripts made, by app and result: the status class (2xx, 3xx, 4xx, 5xx) or the failure's kind.",
	}, []string{"app", "result"})
	m.egressB = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "egress_response_bytes_total",
		Help: "Bytes of outbound HTTP response bodies scripts read, by app.",
	}, []string{"app"})
	for _, c := range []prometheus.Collector{m.total, m.duration, m.fuel, m.attempts, m.retries, m.egress, m.egressB} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register the invocation metrics: %w", err)
		}
	}
	return m, nil
}

// Record counts inv and passes it on.
func (m *Invocations) Record(inv record.Invocation) {
	kind, outcome := string(inv.TriggerKind), string(inv.Outcome)
	m.total.WithLabelValues(inv.App, outcome, kind).Inc()
	m.duration.WithLabelValues(kind).Observe(inv.Duration.Seconds())
	m.fuel.WithLabelValues(kind).Observe(float64(inv.FuelUsed))
	if inv.OutboxID != 0 {
		m.attempts.WithLabelValues(kind, outcome).Inc()
		if inv.Attempt > 1 {
			m.retries.WithLabelValues(kind).Inc()
		}
	}
	if len(inv.OutboundRequests) > 0 {
		m.countEgress(inv)
	}
	level := slog.LevelDebug
	if inv.Outcome != store.OutcomeOK {
		level = slog.LevelInfo
	}
	if m.log.Enabled(context.Background(), level) {
		attrs := []slog.Attr{
			slog.String("invocation_id", inv.ID.String()), slog.String("app", inv.App), slog.String("script", inv.Script),
			slog.Int("version", int(inv.Version)), slog.String("trigger", kind), slog.String("outcome", outcome),
			slog.Duration("duration", inv.Duration), slog.Int64("fuel_used", inv.FuelUsed),
		}
		if inv.OutboxID != 0 {
			attrs = append(attrs, slog.Int64("delivery", inv.OutboxID), slog.Int("attempt", int(inv.Attempt)))
		}
		if inv.Error != "" {
			attrs = append(attrs, slog.String("error", inv.Error))
		}
		m.log.LogAttrs(context.Background(), level, "invocation", attrs...)
	}
	if m.next != nil {
		m.next.Record(inv)
	}
}

// countEgress counts an invocation's outbound requests (egress.Record, as
// recorded).
func (m *Invocations) countEgress(inv record.Invocation) {
	var reqs []egress.Record
	if err := json.Unmarshal(inv.OutboundRequests, &reqs); err != nil {
		m.log.Warn("metrics: unreadable outbound requests", slog.String("invocation_id", inv.ID.String()), slog.Any("err", err))
		return
	}
	var bytes int64
	for _, r := range reqs {
		result := r.Error
		if result == "" {
			result = strconv.Itoa(r.Status/100) + "xx"
		}
		m.egress.WithLabelValues(inv.App, result).Inc()
		bytes += r.Bytes
	}
	if bytes > 0 {
		m.egressB.WithLabelValues(inv.App).Add(float64(bytes))
	}
}
