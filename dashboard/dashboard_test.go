package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/picloud/picloud/dashboard"
)

func TestHandler(t *testing.T) {
	h := dashboard.Handler()
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, "make dashboard"},
		{"/apps/shop/scripts", http.StatusOK, "make dashboard"}, // a client-side route
		{"/missing.js", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
		}
	}
}
