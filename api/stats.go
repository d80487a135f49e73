package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/db/store"
)

// GET /apps/{app}/stats: the dashboard's overview charts, aggregated by
// the database (store.Invocations.Stats, store.Outbox.Backlog).

const (
	defaultStatsMinutes = 60
	maxStatsMinutes     = 24 * 60
)

// statsJSON is an app's recent activity.
type statsJSON struct {
	Minutes int `json:"minutes"`
	// Since is the start of the first minute; Buckets has one entry per
	// minute from it to the current one, minutes without invocations
	// included (as zeros).
	Since   time.Time         `json:"since"`
	Buckets []statsBucket     `json:"buckets"`
	Totals  statsTotals       `json:"totals"`
	Backlog deliveriesBacklog `json:"backlog"`
}

type statsBucket struct {
	Minute         time.Time `json:"minute"`
	OK             int64     `json:"ok"`
	Error          int64     `json:"error"`
	FuelExhausted  int64     `json:"fuel_exhausted"`
	MemoryExceeded int64     `json:"memory_exceeded"`
	Timeout        int64     `json:"timeout"`
	// P50US and P99US are the median and 99th percentile duration in
	// microseconds; 0 for a minute without invocations.
	P50US int64 `json:"p50_us"`
	P99US int64 `json:"p99_us"`
}

type statsTotals struct {
	Invocations int64 `json:"invocations"`
	// Failed counts every outcome but ok.
	Failed int64 `json:"failed"`
	P50US  int64 `json:"p50_us"`
	P99US  int64 `json:"p99_us"`
}

// deliveriesBacklog is the app's outbox now.
type deliveriesBacklog struct {
	Pending  int64 `json:"pending"`
	Retrying int64 `json:"retrying"`
	Running  int64 `json:"running"`
	Waiting  int64 `json:"waiting"`
	Dead     int64 `json:"dead"`
}

func (s *Server) appStats(c *gin.Context) {
	minutes := defaultStatsMinutes
	if v := c.Query("minutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxStatsMinutes {
			s.fail(c, invalidParam("minutes", "want an integer from 1 to %d, got %q", maxStatsMinutes, v), nil)
			return
		}
		minutes = n
	}
	app := currentApp(c)
	ctx := c.Request.Context()
	now := s.cfg.Now().UTC().Truncate(time.Minute)
	since := now.Add(-time.Duration(minutes-1) * time.Minute)
	perMinute, total, err := s.cfg.Store.Invocations.Stats(ctx, app.ID, since)
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	backlog, err := s.cfg.Store.Outbox.Backlog(ctx, app.ID)
	if err != nil {
		s.fail(c, err, nil)
		return
	}

	out := statsJSON{
		Minutes: minutes, Since: since, Buckets: make([]statsBucket, minutes),
		Totals: statsTotals{Invocations: total.Invocations, Failed: total.Failed, P50US: total.P50.Microseconds(), P99US: total.P99.Microseconds()},
		Backlog: deliveriesBacklog{
			Pending: backlog.Pending, Retrying: backlog.Retrying, Running: backlog.Running,
			Waiting: backlog.Waiting, Dead: backlog.Dead,
		},
	}
	for i := range out.Buckets {
		out.Buckets[i].Minute = since.Add(time.Duration(i) * time.Minute)
	}
	for _, m := range perMinute {
		i := int(m.Minute.Sub(since) / time.Minute)
		if i < 0 || i >= minutes {
			continue // started in the future by the server's clock
		}
		b := &out.Buckets[i]
		b.OK, b.Error, b.FuelExhausted = m.Outcomes[store.OutcomeOK], m.Outcomes[store.OutcomeError], m.Outcomes[store.OutcomeFuelExhausted]
		b.MemoryExceeded, b.Timeout = m.Outcomes[store.OutcomeMemoryExceeded], m.Outcomes[store.OutcomeTimeout]
		b.P50US, b.P99US = m.P50.Microseconds(), m.P99.Microseconds()
	}
	c.JSON(http.StatusOK, out)
}
