package dashboard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandler(t *testing.T) {
	built := fstest.MapFS{
		"index.html":                        {Data: []byte("placeholder: run make dashboard")},
		"app/index.html":                    {Data: []byte("<!doctype html>the app")},
		"app/favicon.svg":                   {Data: []byte("<svg/>")},
		"app/_app/immutable/entry/start.js": {Data: []byte("export {}")},
	}
	placeholder := fstest.MapFS{"index.html": {Data: []byte("placeholder: run make dashboard")}}

	tests := []struct {
		name   string
		fsys   fstest.MapFS
		path   string
		status int
		body   string
		cache  string
	}{
		{"root", built, "/", http.StatusOK, "the app", "no-cache"},
		{"deep link", built, "/apps/shop/scripts", http.StatusOK, "the app", "no-cache"},
		{"deep link with a trailing slash", built, "/apps/shop/scripts/hello/", http.StatusOK, "the app", "no-cache"},
		{"asset", built, "/favicon.svg", http.StatusOK, "<svg/>", ""},
		{"immutable asset", built, "/_app/immutable/entry/start.js", http.StatusOK, "export {}", "public, max-age=31536000, immutable"},
		{"missing asset", built, "/_app/immutable/missing.js", http.StatusNotFound, "", ""},
		{"placeholder root", placeholder, "/", http.StatusOK, "make dashboard", "no-cache"},
		{"placeholder deep link", placeholder, "/apps/shop/scripts", http.StatusOK, "make dashboard", "no-cache"},
		{"placeholder missing asset", placeholder, "/missing.js", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler(tt.fsys).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
			}
			if tt.cache != "" && rec.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("GET %s: Cache-Control %q, want %q", tt.path, rec.Header().Get("Cache-Control"), tt.cache)
			}
		})
	}
}

// The embedded files serve either the built app or the placeholder.
func TestEmbedded(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/apps/shop/scripts", nil))
	want := "make dashboard"
	if Built() {
		want = "_app/immutable"
	}
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
		t.Errorf("GET /apps/shop/scripts = %d, want 200 containing %q:\n%s", rec.Code, want, rec.Body.String())
	}
}
