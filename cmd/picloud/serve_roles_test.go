package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picloud/picloud/db/dbtest"
)

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// awaitBody polls url until it answers 200 with want, and returns how long
// that took.
func awaitBody(t *testing.T, url, want string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		code, body := get(t, url)
		if code == 200 && body == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s answered %d %q, not %q, for %v", url, code, body, want, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A manager and a node share one database: the manager serves the admin
// API, the dashboard and the cluster-wide metrics but no public listener;
// the node serves HTTP triggers, and on its admin listener only probes and
// metrics. A script uploaded through the manager answers on the node
// within a second, and again after the node's LISTEN connection was
// killed. Both appear in the member list.
func TestServeRoles(t *testing.T) {
	url := dbtest.EmptyURL(t)
	const secret = "operator-chosen-admin-secret-42"
	t.Setenv("PICLOUD_ADMIN_TOKEN", secret)
	mgr := startServe(t, "--data", dataDir(t), "--database-url", url, "--role", "manager")
	node := startServe(t, "--data", dataDir(t), "--database-url", url, "--role", "node")

	if conn, err := net.Dial("tcp", mgr.public); err == nil {
		conn.Close()
		t.Fatal("the manager opened a public listener")
	}
	if code, _ := call(t, "GET", "http://"+mgr.admin+"/api/v1/whoami", secret, nil); code != 200 {
		t.Fatalf("manager whoami = %d", code)
	}
	if code, _ := call(t, "GET", "http://"+node.admin+"/api/v1/whoami", secret, nil); code != 404 {
		t.Fatalf("node whoami = %d, want 404: a node serves no API", code)
	}
	if code, _ := get(t, "http://"+node.admin+"/"); code != 404 {
		t.Fatalf("node / = %d, want 404: a node serves no dashboard", code)
	}
	for _, s := range []*server{mgr, node} {
		if code, body := getJSON(t, "http://"+s.admin+"/readyz"); code != 200 {
			t.Fatalf("/readyz = %d %v", code, body)
		}
	}
	_, mm := get(t, "http://"+mgr.admin+"/metrics")
	_, nm := get(t, "http://"+node.admin+"/metrics")
	for _, want := range []string{"go_goroutines ", "process_resident_memory_bytes ", "picloud_db_pool_max_connections ",
		`picloud_sandbox_instances{state="spare"}`, "picloud_recorder_dropped_total ", "picloud_clock_offset_seconds "} {
		if !strings.Contains(mm, want) || !strings.Contains(nm, want) {
			t.Errorf("a /metrics lacks %q", want)
		}
	}
	if !strings.Contains(mm, `picloud_outbox_deliveries{state="pending"} 0`) || strings.Contains(nm, "picloud_outbox_deliveries") {
		t.Error("the outbox gauges must come from the manager only")
	}

	api := "http://" + mgr.admin + "/api/v1"
	if code, body := call(t, "POST", api+"/apps", secret, map[string]any{"slug": "shop"}); code != 201 {
		t.Fatalf("create app = %d %v", code, body)
	}
	if code, body := call(t, "PUT", api+"/apps/shop/scripts/hello", secret, map[string]any{"source": `"v1"`}); code != 201 {
		t.Fatalf("upload = %d %v", code, body)
	}
	took := awaitBody(t, "http://"+node.public+"/shop/hello", "v1", 5*time.Second)
	t.Logf("the upload reached the node in %v", took)
	if took > time.Second {
		t.Errorf("the upload took %v to reach the node, want under a second", took)
	}

	// Kill every LISTEN connection (the node's and the manager's): the
	// next change still arrives, through the reconnection's resync if
	// its notification was lost.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var killed int
	if err := conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&killed); err != nil || killed < 1 {
		t.Fatalf("terminated %d LISTEN backends: %v", killed, err)
	}
	if code, body := call(t, "PUT", api+"/apps/shop/scripts/hello", secret, map[string]any{"source": `"v2"`}); code != 201 {
		t.Fatalf("second upload = %d %v", code, body)
	}
	took = awaitBody(t, "http://"+node.public+"/shop/hello", "v2", 5*time.Second)
	t.Logf("after the LISTEN connections were killed, the upload reached the node in %v", took)

	rows, err := conn.Query(t.Context(), `SELECT role FROM cluster_members ORDER BY role`)
	if err != nil {
		t.Fatal(err)
	}
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || strings.Join(roles, ",") != "manager,node" {
		t.Fatalf("member roles %v, %v; want manager and node", roles, err)
	}
	node.stop(t)
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM cluster_members WHERE role = 'node'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d node members after it stopped, %v; want it gone", n, err)
	}
}

func TestServeBadRole(t *testing.T) {
	if err := runErr(t, "serve", "--role", "boss", "--database-url", "postgres://127.0.0.1:1/x"); !strings.Contains(err.Error(), `--role "boss"`) {
		t.Fatalf("error %v", err)
	}
}
