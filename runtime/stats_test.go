package runtime

import (
	"context"
	"testing"
)

// Stats counts an app's pool, its idle instance after an invocation, the
// spare and the running instance while a script runs.
func TestStats(t *testing.T) {
	h := newHost(t, Config{})
	if s := h.Stats(); s.Apps != 0 || s.Running != 0 || s.Idle != 0 || s.Classes != 1 {
		t.Fatalf("new host: %+v", s)
	}
	mustOK(t, h, "a", "1 + 1", "2")
	s := h.Stats()
	if s.Apps != 1 || s.Idle != 1 || s.Running != 0 || s.Classes != 1 || s.Stuck != 0 {
		t.Fatalf("after one invocation: %+v", s)
	}
	var during Stats
	h.testHookAcquire = func(string, *instance) { during = h.Stats() }
	if _, err := h.Invoke(context.Background(), Request{App: "b", Script: "main", Version: "1", Source: "2", Limits: Limits{Concurrency: 1}}); err != nil {
		t.Fatal(err)
	}
	if during.Apps != 2 || during.Running != 1 {
		t.Fatalf("while running: %+v", during)
	}
}
