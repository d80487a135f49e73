package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, loc, s string) time.Time {
	t.Helper()
	l, err := time.LoadLocation(loc)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, l)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ expr, tz, want string }{
		{"", "", "empty cron expression"},
		{"* * *", "", "expected"},
		{"61 * * * *", "", "above maximum"},
		{"@every 10ms", "", "at least 1s"},
		{"@every soon", "", "bad duration"},
		{"@fortnightly", "", "unrecognized descriptor"},
		{"* * * * *", "Mars/Olympus", "unknown time zone"},
		{"TZ=UTC * * * * *", "", "time zone separately"},
	} {
		_, err := Parse(tc.expr, tc.tz)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q, %q) = %v, want an error containing %q", tc.expr, tc.tz, err, tc.want)
		}
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct{ expr, tz, from, want string }{
		{"*/5 * * * *", "UTC", "2026-01-01 10:02:00", "2026-01-01 10:05:00"},
		{"30 * * * * *", "UTC", "2026-01-01 10:02:00", "2026-01-01 10:02:30"},
		{"@hourly", "UTC", "2026-01-01 10:02:00", "2026-01-01 11:00:00"},
		{"@every 30s", "UTC", "2026-01-01 10:02:00", "2026-01-01 10:02:30"},
		{"0 9 * * *", "Europe/Berlin", "2026-03-28 10:00:00", "2026-03-29 09:00:00"},
		{"0 9 * * *", "Europe/Berlin", "2026-10-24 10:00:00", "2026-10-25 09:00:00"},
		// 02:30 does not exist in Berlin on 2026-03-29 (clocks jump 02:00 → 03:00).
		{"30 2 * * *", "Europe/Berlin", "2026-03-28 03:00:00", "2026-03-30 02:30:00"},
	} {
		s, err := Parse(tc.expr, tc.tz)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		got := s.Next(mustTime(t, tc.tz, tc.from))
		if want := mustTime(t, tc.tz, tc.want); !got.Equal(want) {
			t.Errorf("%q in %s after %s = %s, want %s", tc.expr, tc.tz, tc.from, got, want)
		}
	}
}

func TestDSTKeepsLocalTime(t *testing.T) {
	s, err := Parse("0 9 * * *", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	times := s.NextN(mustTime(t, "America/New_York", "2026-03-06 12:00:00"), 5)
	if len(times) != 5 {
		t.Fatalf("NextN returned %d times", len(times))
	}
	for _, ft := range times {
		if h, m, _ := ft.In(s.Location()).Clock(); h != 9 || m != 0 {
			t.Errorf("fire time %s is not 09:00 local", ft)
		}
	}
	// The UTC hour moves by one across the 2026-03-08 change.
	if a, b := times[0].UTC().Hour(), times[4].UTC().Hour(); a != 14 || b != 13 {
		t.Errorf("UTC hours %d and %d, want 14 then 13", a, b)
	}
}

func TestDueCatchesUpOnce(t *testing.T) {
	s, err := Parse("* * * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	due := mustTime(t, "UTC", "2026-01-01 10:00:00")
	if fire, next := s.Due(due, due.Add(-time.Second)); fire || !next.Equal(due) {
		t.Errorf("before due: fire=%v next=%s", fire, next)
	}
	// Down for three hours: one delivery, then the next tick after now.
	now := due.Add(3*time.Hour + 10*time.Second)
	fire, next := s.Due(due, now)
	if want := mustTime(t, "UTC", "2026-01-01 13:01:00"); !fire || !next.Equal(want) {
		t.Errorf("after downtime: fire=%v next=%s, want true %s", fire, next, want)
	}
}
