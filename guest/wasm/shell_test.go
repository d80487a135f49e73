package main

import (
	"strings"
	"testing"

	"github.com/picloud/picloud/hostfuncs/abi"
)

type logged struct {
	level abi.Level
	text  string
}

// fakeHost stands in for the host functions.
type fakeHost struct {
	lines    []logged
	maxLines int
	expire   bool
}

func (h *fakeHost) log(level abi.Level, text string) abi.Status {
	if h.maxLines > 0 && len(h.lines) >= h.maxLines {
		return abi.StatusLimit
	}
	h.lines = append(h.lines, logged{level, text})
	return abi.StatusOK
}
func (h *fakeHost) now() int64                         { return 1_700_000_000_000_000_000 }
func (h *fakeHost) expired() bool                      { return h.expire }
func (h *fakeHost) echo(s string) (string, abi.Status) { return s, abi.StatusOK }
func (h *fakeHost) panicking() abi.Status              { return abi.StatusInternal }

func roundTrip(t *testing.T, s *shell, req abi.Request) abi.Response {
	t.Helper()
	var resp abi.Response
	if err := resp.UnmarshalBinary(s.invoke(req.AppendBinary(nil))); err != nil {
		t.Fatalf("response does not decode: %v", err)
	}
	return resp
}

func TestShellRuns(t *testing.T) {
	h := &fakeHost{}
	s := newShell(h)
	req := abi.Request{
		App: "shop", Script: "orders", Version: "v1", InvocationID: "inv-9",
		Source: `print("hi"); log::warn(40 + 2); #{app: ctx.app, kind: ctx.event.kind, env: ctx.env.REGION, id: ctx.invocation_id, now: type_of(time::now())}`,
		Event:  []byte(`{"kind":"http"}`),
		Env:    []abi.EnvVar{{Name: "REGION", Value: "eu"}},
	}
	resp := roundTrip(t, s, req)
	if resp.Status != abi.ResponseDone || resp.Error.Kind != "" {
		t.Fatalf("got %+v, want a successful run", resp)
	}
	want := `{"app":"shop","env":"eu","id":"inv-9","kind":"http","now":"timestamp"}`
	if string(resp.Value) != want || resp.Type != "map" || resp.Display != "" {
		t.Errorf("value: got %s of type %q, display %q; want %s of type map, no display", resp.Value, resp.Type, resp.Display, want)
	}
	if len(h.lines) != 2 || h.lines[0] != (logged{abi.LevelPrint, "hi"}) || h.lines[1] != (logged{abi.LevelWarn, "42"}) {
		t.Errorf("log: got %+v", h.lines)
	}
	if resp.Fuel <= 0 {
		t.Errorf("fuel: got %d, want > 0", resp.Fuel)
	}
	req.WantDisplay = true
	if resp := roundTrip(t, s, req); !strings.HasPrefix(resp.Display, `#{"app": "shop"`) {
		t.Errorf("display: got %q", resp.Display)
	}
}

func TestShellCachesByVersion(t *testing.T) {
	s := newShell(&fakeHost{})
	if resp := roundTrip(t, s, abi.Request{Version: "v1"}); resp.Status != abi.ResponseNeedSource {
		t.Fatalf("unknown version without source: got status %d, want NeedSource", resp.Status)
	}
	roundTrip(t, s, abi.Request{Version: "v1", Source: "1 + 1"})
	if resp := roundTrip(t, s, abi.Request{Version: "v1"}); string(resp.Value) != "2" {
		t.Errorf("cached version: got %+v, want 2", resp)
	}
	if n := s.programs.reset(); n != 1 {
		t.Errorf("reset dropped %d programs, want 1", n)
	}
	if resp := roundTrip(t, s, abi.Request{Version: "v1"}); resp.Status != abi.ResponseNeedSource {
		t.Errorf("after reset: got status %d, want NeedSource", resp.Status)
	}
}

func TestProgramCacheIsBounded(t *testing.T) {
	s := newShell(&fakeHost{})
	s.programs = newProgramCache(2, 100)
	for _, v := range []string{"a", "b", "c"} {
		roundTrip(t, s, abi.Request{Version: v, Source: "1"})
	}
	if s.programs.get("a") != nil || s.programs.get("c") == nil || s.programs.order.Len() != 2 {
		t.Errorf("entry bound: cache holds %d, oldest kept: %v", s.programs.order.Len(), s.programs.get("a") != nil)
	}
	roundTrip(t, s, abi.Request{Version: "big", Source: "1" + strings.Repeat(" ", 150)})
	if s.programs.order.Len() != 1 || s.programs.get("big") == nil {
		t.Errorf("byte bound: cache holds %d entries", s.programs.order.Len())
	}
}

func TestShellInvocationsAreIsolated(t *testing.T) {
	s := newShell(&fakeHost{})
	first := roundTrip(t, s, abi.Request{Version: "a", Source: `let secret = 7; fn leak() { 1 } secret`})
	if string(first.Value) != "7" {
		t.Fatalf("first run: got %+v", first)
	}
	tests := []struct{ src, wantKind string }{
		{"secret", "ErrorVariableNotFound"},
		{"leak()", "ErrorFunctionNotFound"},
	}
	for _, tt := range tests {
		resp := roundTrip(t, s, abi.Request{Version: tt.src, Source: tt.src})
		if resp.Error.Kind != tt.wantKind {
			t.Errorf("%s in a later run: got %+v, want %s", tt.src, resp.Error, tt.wantKind)
		}
	}
}

func TestShellErrors(t *testing.T) {
	tests := []struct {
		name, src string
		limits    abi.Limits
		expire    bool
		wantKind  string
		wantLine  uint32
	}{
		{"parse", "let x = ;", abi.Limits{}, false, "ErrorParsing", 1},
		{"parse at the end", "let x = (", abi.Limits{}, false, "ErrorParsing", 1},
		{"throw", "\nthrow \"no\"", abi.Limits{}, false, "ErrorRuntime", 2},
		{"fuel", "loop {}", abi.Limits{Fuel: 10_000}, false, "ErrorTooManyOperations", 0},
		{"cancelled", "loop {}", abi.Limits{}, true, "ErrorTerminated", 0},
		{"depth", "fn f(n) { f(n + 1) } f(0)", abi.Limits{MaxCallDepth: 10}, false, "ErrorStackOverflow", 0},
		{"memory", `let s = "xx"; loop { s += s; }`, abi.Limits{MaxMemory: 1 << 20}, false, "ErrorMemoryLimit", 0},
		{"unencodable result", "let a = []; for i in 0..2000 { a = [a]; } a", abi.Limits{}, false, "ErrorMismatchOutputType", 0},
		{"bad event", "1", abi.Limits{}, false, "ErrorMismatchDataType", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShell(&fakeHost{expire: tt.expire})
			req := abi.Request{Source: tt.src, Limits: tt.limits}
			if tt.name == "bad event" {
				req.Event = []byte("{")
			}
			resp := roundTrip(t, s, req)
			if resp.Error.Kind != tt.wantKind {
				t.Fatalf("got %+v, want kind %s", resp.Error, tt.wantKind)
			}
			if (tt.wantKind == "ErrorParsing") != (resp.Error.ParseKind != "") {
				t.Errorf("parse kind: got %q", resp.Error.ParseKind)
			}
			if tt.wantLine != 0 && resp.Error.Line != tt.wantLine {
				t.Errorf("line: got %d, want %d", resp.Error.Line, tt.wantLine)
			}
		})
	}
}

func TestShellStopsLoggingAtTheHostsCap(t *testing.T) {
	h := &fakeHost{maxLines: 2}
	s := newShell(h)
	resp := roundTrip(t, s, abi.Request{Source: `for i in 0..100 { print(i) } 1`})
	if resp.Error.Kind != "" || len(h.lines) != 2 {
		t.Fatalf("got %+v with %d lines, want success with 2", resp.Error, len(h.lines))
	}
	h.lines, h.maxLines = nil, 0
	roundTrip(t, s, abi.Request{Source: `print(1)`})
	if len(h.lines) != 1 {
		t.Errorf("the next invocation logged %d lines, want 1", len(h.lines))
	}
}

func TestShellRejectsBadRequests(t *testing.T) {
	s := newShell(&fakeHost{})
	var resp abi.Response
	if err := resp.UnmarshalBinary(s.invoke([]byte{abi.Version, 0xff})); err != nil {
		t.Fatal(err)
	}
	if resp.Status != abi.ResponseBadRequest {
		t.Errorf("got status %d, want BadRequest", resp.Status)
	}
}
