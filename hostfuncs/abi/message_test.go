package abi

import (
	"bytes"
	"reflect"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	tests := []Request{
		{},
		{
			App: "shop", Script: "orders", Version: "v1-abc", InvocationID: "inv-1",
			Source: "let x = 40;\nx + 2", Event: []byte(`{"kind":"http"}`),
			Env:         []EnvVar{{"A", "1"}, {"B", ""}},
			Limits:      Limits{Fuel: 1 << 40, MaxMemory: 64 << 20, MaxCallDepth: 64, MaxStringLen: 1 << 20, MaxArrayLen: 1000, MaxMapLen: 7, GoMemoryLimit: -1},
			WantDisplay: true,
		},
	}
	for _, want := range tests {
		b := want.AppendBinary(nil)
		var got Request
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", b, err)
		}
		if len(want.Env) == 0 {
			got.Env = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	tests := []Response{
		{},
		{Status: ResponseDone, Value: []byte(`[1,2]`), Type: "array", Display: "[1, 2]", Fuel: 12, PeakMemory: 4096},
		{Status: ResponseDone, Fuel: 1 << 50, Error: ErrorInfo{Kind: "ErrorRuntime", Message: "boom", Text: "x:3:4: boom", Line: 3, Col: 4}},
		{Error: ErrorInfo{Kind: "ErrorParsing", ParseKind: "UnexpectedEOF"}},
		{Status: ResponseNeedSource},
	}
	for _, want := range tests {
		var got Response
		if err := got.UnmarshalBinary(want.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}
}

func TestUnmarshalRejectsTruncationAndTrailingBytes(t *testing.T) {
	req := Request{App: "a", Source: "1+1", Env: []EnvVar{{"k", "v"}}, Limits: Limits{Fuel: 100}}
	b := req.AppendBinary(nil)
	for i := range b {
		var r Request
		if err := r.UnmarshalBinary(b[:i]); err == nil {
			t.Errorf("UnmarshalBinary of %d/%d bytes: got nil error, want one", i, len(b))
		}
	}
	var r Request
	if err := r.UnmarshalBinary(append(b, 0)); err == nil {
		t.Error("UnmarshalBinary with a trailing byte: got nil error, want one")
	}
	bad := bytes.Clone(b)
	bad[0] = Version + 1
	if err := r.UnmarshalBinary(bad); err == nil {
		t.Error("UnmarshalBinary with another version: got nil error, want one")
	}
}

func TestUnmarshalCopies(t *testing.T) {
	req := Request{App: "app", Event: []byte("{}")}
	b := req.AppendBinary(nil)
	var got Request
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xff
	}
	if got.App != "app" || string(got.Event) != "{}" {
		t.Errorf("decoded request changed with its buffer: %+v", got)
	}
}

func FuzzRequestUnmarshal(f *testing.F) {
	f.Add((&Request{App: "a", Env: []EnvVar{{"x", "y"}}}).AppendBinary(nil))
	f.Add([]byte{Version, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Request
		if r.UnmarshalBinary(b) != nil {
			return
		}
		// What decodes re-encodes to the same bytes (the encoding is canonical
		// except for non-minimal varints, which we skip).
		again := r.AppendBinary(nil)
		var r2 Request
		if err := r2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-decode differs: %+v vs %+v", r, r2)
		}
	})
}

func FuzzResponseUnmarshal(f *testing.F) {
	f.Add((&Response{Value: []byte("1"), Error: ErrorInfo{Kind: "k"}}).AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Response
		_ = r.UnmarshalBinary(b)
	})
}

func TestStatusAndLevelNames(t *testing.T) {
	if got := StatusShortBuffer.String(); got != "short_buffer" {
		t.Errorf("StatusShortBuffer.String() = %q, want short_buffer", got)
	}
	if got := Status(99).String(); got != "status(99)" {
		t.Errorf("Status(99).String() = %q", got)
	}
	if Level(5).Valid() || !LevelError.Valid() {
		t.Error("Level.Valid wrong at the boundary")
	}
}
