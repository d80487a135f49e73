package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/picloud/picloud/db/dbtest"
)

var secretRE = regexp.MustCompile(`pct_[A-Za-z0-9_-]{20,}`)

// call makes an admin API request with a bearer token.
func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The first start prints an admin token once; with it a script goes from
// upload to answering on the public listener.
func TestServeAdminTokenAndDeploy(t *testing.T) {
	url := dbtest.EmptyURL(t)
	t.Setenv("PICLOUD_ADMIN_TOKEN", "")
	s := startServe(t, "--data", dataDir(t), "--database-url", url)
	secret := secretRE.FindString(s.out.String())
	if secret == "" || !strings.Contains(s.out.String(), "shown this once") {
		t.Fatalf("no admin token printed:\n%s", s.out.String())
	}
	api := "http://" + s.admin + "/api/v1"
	if code, body := call(t, "GET", api+"/whoami", secret, nil); code != 200 || body["name"] != "bootstrap admin" {
		t.Fatalf("whoami = %d %v", code, body)
	}
	if code, body := call(t, "POST", api+"/apps", secret, map[string]any{"slug": "shop"}); code != 201 {
		t.Fatalf("create app = %d %v", code, body)
	}
	code, body := call(t, "PUT", api+"/apps/shop/scripts/hello", secret, map[string]any{"source": `"hello " + ctx.event.http.method`})
	if code != 201 || body["endpoint"] != "http://"+s.public+"/shop/hello" {
		t.Fatalf("upload = %d %v", code, body)
	}
	// The ingress hears of the upload through LISTEN/NOTIFY.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Post("http://"+s.public+"/shop/hello", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			if string(got) != "hello POST" {
				t.Fatalf("public endpoint answered %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the public endpoint never answered: %d %s", resp.StatusCode, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop(t)

	// A restart prints no token.
	s = startServe(t, "--data", dataDir(t), "--database-url", url)
	if secretRE.MatchString(s.out.String()) {
		t.Fatalf("a restart printed a token:\n%s", s.out.String())
	}
	if code, _ := call(t, "GET", "http://"+s.admin+"/api/v1/whoami", secret, nil); code != 200 {
		t.Fatalf("the token stopped working after a restart: %d", code)
	}
}

// PICLOUD_ADMIN_TOKEN becomes the first admin token, and is never printed.
func TestServeAdminTokenFromEnv(t *testing.T) {
	const secret = "operator-chosen-admin-secret-42"
	t.Setenv("PICLOUD_ADMIN_TOKEN", secret)
	s := startServe(t, "--data", dataDir(t), "--database-url", dbtest.EmptyURL(t))
	if strings.Contains(s.out.String(), secret) || secretRE.MatchString(s.out.String()) {
		t.Fatalf("the output shows a secret:\n%s", s.out.String())
	}
	if code, body := call(t, "GET", "http://"+s.admin+"/api/v1/whoami", secret, nil); code != 200 || body["scopes"].([]any)[0] != "admin" {
		t.Fatalf("whoami = %d %v", code, body)
	}
}
