// Package schedule owns cron trigger schedules: parsing the expressions users
// write, in their time zone, and computing fire times. Parsing is
// github.com/robfig/cron/v3's; this package fixes the accepted forms and adds
// time zones, validation messages and the catch-up rule.
//
// Accepted: 5-field cron ("*/5 * * * *"), 6 fields with a leading seconds field
// ("30 */5 * * * *"), descriptors (@yearly, @annually, @monthly, @weekly,
// @daily, @midnight, @hourly) and "@every <duration>" (at least 1s). Time zones
// are IANA names ("Europe/Berlin"); the default is UTC. Fire times are computed
// in the zone, so "0 9 * * *" fires at 09:00 local time on both sides of a DST
// change; a local time skipped by a spring-forward gap does not fire that day.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a parsed cron expression in a time zone.
type Schedule struct {
	expr  string
	loc   *time.Location
	sched cron.Schedule
}

// Parse validates expr and tz ("" means UTC).
func Parse(expr, tz string) (*Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("empty cron expression: want 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, @hourly-style or @every <duration>")
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("cron expression %q: give the time zone separately, not inside the expression", expr)
	}
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: want an IANA name such as Europe/Berlin", tz)
	}
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("cron expression %q: bad duration: %v", expr, err)
		}
		if d < time.Second {
			return nil, fmt.Errorf("cron expression %q: @every needs at least 1s", expr)
		}
	}
	s, err := parser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %v", expr, err)
	}
	return &Schedule{expr: expr, loc: loc, sched: s}, nil
}

// String returns the expression as written.
func (s *Schedule) String() string { return s.expr }

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first fire time strictly after t.
func (s *Schedule) Next(t time.Time) time.Time {
	return s.sched.Next(t.In(s.loc))
}

// NextN returns the next n fire times after t (the dashboard's preview).
func (s *Schedule) NextN(t time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for range n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// Due decides what a scheduler does with a trigger whose cursor says the next
// tick was due at `due`, seen at `now`: if the tick is not due yet, fire is
// false. Otherwise one delivery fires for `due` — however many ticks were
// missed while nobody ran, they collapse into this one catch-up delivery — and
// next is the first tick after now, so there is no burst.
func (s *Schedule) Due(due, now time.Time) (fire bool, next time.Time) {
	if now.Before(due) {
		return false, due
	}
	return true, s.Next(now)
}
