package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/dbtest"
)

type report struct {
	OK      bool
	Checks  []struct{ Name, Status, Detail string }
	Members []struct {
		Name          string
		ClockOffsetMs float64 `json:"clock_offset_ms"`
	}
}

func (r report) status(name string) string {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return "missing"
}

func doctor(t *testing.T, args ...string) (report, error, string) {
	t.Helper()
	out := newOutput()
	err := run(t.Context(), append([]string{"doctor", "--json"}, args...), out, out)
	var r report
	if jerr := json.Unmarshal([]byte(out.String()), &r); jerr != nil {
		t.Fatalf("doctor --json printed no report (%v):\n%s", jerr, out.String())
	}
	return r, err, out.String()
}

// On a migrated database with a data directory and an empty cache, every
// check passes but the cache's, which warns. Pending migrations and a
// member whose clock is off fail, and make doctor exit non-zero.
func TestDoctor(t *testing.T) {
	url := dbtest.EmptyURL(t)
	data := t.TempDir()
	cache := t.TempDir()
	common := []string{"--database-url", url, "--data", data, "--cache-dir", cache}

	r, err, out := doctor(t, common...)
	if err == nil || r.OK || r.status("migrations") != "fail" || r.status("database") != "ok" {
		t.Fatalf("unmigrated database: %v\n%s", err, out)
	}

	if err := run(t.Context(), []string{"migrate", "up", "--database-url", url}, newOutput(), newOutput()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "guest.wasm"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err, out = doctor(t, common...)
	if err != nil || !r.OK {
		t.Fatalf("doctor = %v\n%s", err, out)
	}
	for _, name := range []string{"data", "cache", "database", "migrations", "clock"} {
		if r.status(name) != "ok" {
			t.Errorf("check %s = %s, want ok\n%s", name, r.status(name), out)
		}
	}

	// A member 5s ahead of the database fails the clock check.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), `INSERT INTO cluster_members (name, role, clock_offset_ms) VALUES ('skewed:1', 'node', 5000)`); err != nil {
		t.Fatal(err)
	}
	r, err, out = doctor(t, common...)
	if err == nil || r.status("clock") != "fail" || len(r.Members) != 1 || r.Members[0].Name != "skewed:1" {
		t.Fatalf("a skewed member: %v\n%s", err, out)
	}
	if !strings.Contains(out, "skewed:1 (node), +5s") {
		t.Fatalf("the clock check does not name the skewed member:\n%s", out)
	}

	// The human form: one line per check, the member table.
	hout := newOutput()
	_ = run(t.Context(), append([]string{"doctor"}, common...), hout, hout)
	for _, want := range []string{"OK    database", "FAIL  clock", "MEMBER", "skewed:1"} {
		if !strings.Contains(hout.String(), want) {
			t.Errorf("the human report lacks %q:\n%s", want, hout.String())
		}
	}

	// A missing data directory and an empty cache warn with DATABASE_URL.
	r, _, out = doctor(t, "--database-url", url, "--data", filepath.Join(data, "nope"), "--cache-dir", t.TempDir())
	if r.status("data") != "warn" || r.status("cache") != "warn" {
		t.Fatalf("missing data directory and empty cache:\n%s", out)
	}
}
