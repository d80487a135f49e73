package hostfuncs

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/wazerotest"
	"github.com/tetratelabs/wazero/sys"

	"github.com/picloud/picloud/hostfuncs/abi"
)

const memSize = 2 * 65536

func allFamilies() []Family {
	return append([]Family{Log(), Time(nil), Testing()}, EffectFamilies()...)
}

func TestUnavailable(t *testing.T) {
	mod, _ := newMod()
	for _, f := range Unavailable(Testing()).Functions {
		if got := abi.Status(call(context.Background(), mod, f, 0, 0, 0, 0, 0)[0]); got != abi.StatusUnavailable {
			t.Errorf("%s: got %v, want unavailable", f.Name, got)
		}
	}
}

// call runs f's guarded implementation the way wazero would.
func call(ctx context.Context, mod api.Module, f Function, params ...uint64) []uint64 {
	stack := make([]uint64, max(len(f.Params), len(f.Results)))
	copy(stack, params)
	guard(f)(ctx, mod, stack)
	return stack[:len(f.Results)]
}

// TestHostileArguments calls every host function with every combination of
// pointers and lengths at and beyond the edges of memory, with and without an
// invocation and with no memory at all: each call must return a known status
// and never panic.
func TestHostileArguments(t *testing.T) {
	edges := []uint64{0, 1, memSize - 4, memSize - 1, memSize, memSize + 1, 1<<31 - 1, 1<<32 - 1, 1<<32 + 5}
	inv := &Invocation{MaxLogLines: 3, MaxLogBytes: 64}
	ctxs := map[string]context.Context{
		"no invocation": context.Background(),
		"invocation":    WithInvocation(context.Background(), inv),
	}
	mods := map[string]api.Module{
		"memory":    wazerotest.NewModule(wazerotest.NewFixedMemory(memSize)),
		"no memory": wazerotest.NewModule(nil),
	}
	for _, fam := range allFamilies() {
		for _, f := range fam.Functions {
			for ctxName, ctx := range ctxs {
				for modName, mod := range mods {
					t.Run(fmt.Sprintf("%s/%s/%s", f.Name, ctxName, modName), func(t *testing.T) {
						params := make([]uint64, len(f.Params))
						var walk func(i int)
						walk = func(i int) {
							if i == len(params) {
								res := call(ctx, mod, f, params...)
								if len(f.Results) > 0 && f.Results[0] == i32 && f.Name != abi.FuncTimeExpired {
									if s := abi.Status(res[0]); s > abi.StatusInternal {
										t.Fatalf("%s%v: status %d out of range", f.Name, params, res[0])
									}
								}
								return
							}
							for _, e := range edges {
								params[i] = e
								walk(i + 1)
							}
						}
						walk(0)
					})
				}
			}
		}
	}
}

func newMod() (*wazerotest.Module, *wazerotest.Memory) {
	mem := wazerotest.NewFixedMemory(memSize)
	return wazerotest.NewModule(mem), mem
}

func TestLogWrite(t *testing.T) {
	mod, mem := newMod()
	copy(mem.Bytes, "hello\xffworld")
	inv := &Invocation{MaxLogLines: 2, MaxLogBytes: 100}
	ctx := WithInvocation(context.Background(), inv)

	tests := []struct {
		name           string
		level, ptr, n  uint64
		want           abi.Status
		wantLinesAfter int
	}{
		{"ok", uint64(abi.LevelInfo), 0, 5, abi.StatusOK, 1},
		{"invalid utf-8 is replaced", uint64(abi.LevelPrint), 0, 11, abi.StatusOK, 2},
		{"bad level", 99, 0, 5, abi.StatusBadPayload, 2},
		{"fault", uint64(abi.LevelInfo), memSize - 2, 5, abi.StatusFault, 2},
		{"line cap", uint64(abi.LevelWarn), 0, 5, abi.StatusLimit, 2},
	}
	for _, tt := range tests {
		got := abi.Status(call(ctx, mod, logWrite, tt.level, tt.ptr, tt.n)[0])
		if got != tt.want {
			t.Errorf("%s: got status %v, want %v", tt.name, got, tt.want)
		}
		if lines, _ := inv.Logs(); len(lines) != tt.wantLinesAfter {
			t.Errorf("%s: got %d lines, want %d", tt.name, len(lines), tt.wantLinesAfter)
		}
	}
	lines, dropped := inv.Logs()
	if lines[0].Text != "hello" || lines[0].Level != abi.LevelInfo {
		t.Errorf("line 0: got %+v", lines[0])
	}
	if lines[1].Text != "hello\uFFFDworld" {
		t.Errorf("line 1: got %q, want the invalid byte replaced", lines[1].Text)
	}
	if dropped != 1 {
		t.Errorf("dropped: got %d, want 1", dropped)
	}
	if got := abi.Status(call(context.Background(), mod, logWrite, 0, 0, 5)[0]); got != abi.StatusUnavailable {
		t.Errorf("outside an invocation: got %v, want unavailable", got)
	}
}

func TestLogByteCapTruncatesWithoutSplittingACharacter(t *testing.T) {
	mod, mem := newMod()
	copy(mem.Bytes, strings.Repeat("é", 10)) // 2 bytes each
	inv := &Invocation{MaxLogBytes: 7}
	ctx := WithInvocation(context.Background(), inv)
	if got := abi.Status(call(ctx, mod, logWrite, 0, 0, 20)[0]); got != abi.StatusOK {
		t.Fatalf("first line: got %v, want ok", got)
	}
	if got := abi.Status(call(ctx, mod, logWrite, 0, 0, 2)[0]); got != abi.StatusLimit {
		t.Fatalf("second line: got %v, want limit", got)
	}
	lines, dropped := inv.Logs()
	if lines[0].Text != "ééé" || dropped != 1 {
		t.Errorf("got %q and %d dropped, want \"ééé\" and 1", lines[0].Text, dropped)
	}
}

func TestTimeFunctions(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	fam := Time(func() time.Time { return at })
	mod, _ := newMod()
	if got := int64(call(context.Background(), mod, fam.Functions[0])[0]); got != at.UnixNano() {
		t.Errorf("time_now: got %d, want %d", got, at.UnixNano())
	}
	ctx, cancel := context.WithCancel(context.Background())
	if got := call(ctx, mod, timeExpired)[0]; got != 0 {
		t.Errorf("time_expired before cancel: got %d, want 0", got)
	}
	cancel()
	if got := call(ctx, mod, timeExpired)[0]; got != 1 {
		t.Errorf("time_expired after cancel: got %d, want 1", got)
	}
}

func TestEchoOutputConvention(t *testing.T) {
	mod, mem := newMod()
	copy(mem.Bytes[100:], "payload")
	const outLen = 8
	tests := []struct {
		name            string
		outPtr, outCap  uint64
		want            abi.Status
		wantLen         uint32
		wantOutContents string
	}{
		{"fits", 200, 16, abi.StatusOK, 7, "payload"},
		{"exact", 300, 7, abi.StatusOK, 7, "payload"},
		{"short", 400, 6, abi.StatusShortBuffer, 7, ""},
		{"out of memory", memSize - 3, 16, abi.StatusFault, 0, ""},
		{"overlapping", 102, 16, abi.StatusOK, 7, "payload"},
	}
	for _, tt := range tests {
		binary.LittleEndian.PutUint32(mem.Bytes[outLen:], 0)
		got := abi.Status(call(context.Background(), mod, testEcho, 100, 7, tt.outPtr, tt.outCap, outLen)[0])
		if got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			continue
		}
		if n := binary.LittleEndian.Uint32(mem.Bytes[outLen:]); n != tt.wantLen {
			t.Errorf("%s: out_len got %d, want %d", tt.name, n, tt.wantLen)
		}
		if tt.wantOutContents != "" {
			if s := string(mem.Bytes[tt.outPtr : tt.outPtr+7]); s != tt.wantOutContents {
				t.Errorf("%s: output got %q, want %q", tt.name, s, tt.wantOutContents)
			}
		}
	}
	// out_len_ptr outside memory: nothing is written.
	if got := abi.Status(call(context.Background(), mod, testEcho, 100, 7, 200, 16, memSize-2)[0]); got != abi.StatusFault {
		t.Errorf("bad out_len_ptr: got %v, want fault", got)
	}
}

func TestPanicBecomesStatusInternal(t *testing.T) {
	mod, _ := newMod()
	if got := abi.Status(call(context.Background(), mod, testPanic)[0]); got != abi.StatusInternal {
		t.Errorf("test_panic: got %v, want internal", got)
	}
}

// TestInstantiate defines the module in a real runtime and calls every
// function from a hand-assembled guest that imports them all and exports a
// forwarding function "call_<name>" for each, so the host functions see a real
// wazero memory and the real calling convention.
func TestInstantiate(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	var funcs []Function
	for _, fam := range allFamilies() {
		funcs = append(funcs, fam.Functions...)
	}
	if _, err := Instantiate(ctx, r, allFamilies()...); err != nil {
		t.Fatal(err)
	}
	guest, err := r.Instantiate(ctx, forwardingGuest(funcs))
	if err != nil {
		t.Fatal(err)
	}
	if !guest.Memory().Write(16, []byte("from wasm")) {
		t.Fatal("cannot write guest memory")
	}
	inv := &Invocation{}
	ictx := WithInvocation(ctx, inv)
	res, err := guest.ExportedFunction("call_"+abi.FuncLogWrite).Call(ictx, uint64(abi.LevelWarn), 16, 9)
	if err != nil || abi.Status(res[0]) != abi.StatusOK {
		t.Fatalf("log_write: got %v, %v; want ok", res, err)
	}
	if lines, _ := inv.Logs(); len(lines) != 1 || lines[0].Text != "from wasm" {
		t.Errorf("log lines: got %+v", lines)
	}
	res, err = guest.ExportedFunction("call_"+abi.FuncLogWrite).Call(ictx, 0, 1<<32-1, 2)
	if err != nil || abi.Status(res[0]) != abi.StatusFault {
		t.Errorf("log_write past memory: got %v, %v; want fault", res, err)
	}
	res, err = guest.ExportedFunction("call_" + abi.FuncTestPanic).Call(ctx)
	if err != nil || abi.Status(res[0]) != abi.StatusInternal {
		t.Errorf("test_panic: got %v, %v; want internal", res, err)
	}
	res, err = guest.ExportedFunction("call_"+abi.FuncTestEcho).Call(ctx, 16, 9, 100, 9, 8)
	if err != nil || abi.Status(res[0]) != abi.StatusOK {
		t.Errorf("test_echo: got %v, %v; want ok", res, err)
	}
	if got, _ := guest.Memory().Read(100, 9); string(got) != "from wasm" {
		t.Errorf("test_echo output: got %q", got)
	}
	if _, err := Instantiate(ctx, wazero.NewRuntime(ctx), Log(), Log()); err == nil {
		t.Error("Instantiate with a function defined twice: got nil error")
	}
}

// forwardingGuest assembles a wasm module with one page of memory that imports
// funcs from abi.ModuleName and exports "call_<name>" forwarding to each.
func forwardingGuest(funcs []Function) []byte {
	uleb := func(b []byte, v uint64) []byte {
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	name := func(b []byte, s string) []byte { return append(uleb(b, uint64(len(s))), s...) }
	section := func(out []byte, id byte, body []byte) []byte {
		return append(uleb(append(out, id), uint64(len(body))), body...)
	}
	n := uint64(len(funcs))
	var types, imports, fns, exports, code []byte
	types, imports, fns, exports, code = uleb(nil, n), uleb(nil, n), uleb(nil, n), uleb(nil, n+1), uleb(nil, n)
	for i, f := range funcs {
		types = uleb(append(types, 0x60), uint64(len(f.Params)))
		types = append(types, f.Params...)
		types = uleb(types, uint64(len(f.Results)))
		types = append(types, f.Results...)
		imports = append(name(name(imports, abi.ModuleName), f.Name), 0x00, byte(i))
		fns = uleb(fns, uint64(i))
		exports = uleb(append(name(exports, "call_"+f.Name), 0x00), n+uint64(i))
		body := []byte{0x00} // no locals
		for p := range f.Params {
			body = uleb(append(body, 0x20), uint64(p)) // local.get p
		}
		body = uleb(append(body, 0x10), uint64(i)) // call import i
		body = append(body, 0x0b)
		code = append(uleb(code, uint64(len(body))), body...)
	}
	exports = append(name(exports, "memory"), 0x02, 0x00)
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, types)
	out = section(out, 2, imports)
	out = section(out, 3, fns)
	out = section(out, 5, []byte{0x01, 0x00, 0x01}) // one memory, min 1 page
	out = section(out, 7, exports)
	return section(out, 10, code)
}

func TestTimeExpiredFollowsTheInvocation(t *testing.T) {
	mod, _ := newMod()
	done := make(chan struct{})
	tests := []struct {
		name string
		inv  *Invocation
		want uint64
	}{
		{"no deadline", &Invocation{}, 0},
		{"future deadline", &Invocation{Deadline: time.Now().Add(time.Hour), Done: done}, 0},
		{"past deadline", &Invocation{Deadline: time.Now().Add(-time.Millisecond)}, 1},
	}
	for _, tt := range tests {
		if got := call(WithInvocation(context.Background(), tt.inv), mod, timeExpired)[0]; got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
	close(done)
	inv := &Invocation{Deadline: time.Now().Add(time.Hour), Done: done}
	if got := call(WithInvocation(context.Background(), inv), mod, timeExpired)[0]; got != 1 {
		t.Errorf("caller gave up: got %d, want 1", got)
	}
}

func TestKillAbortsEveryHostCall(t *testing.T) {
	mod, _ := newMod()
	inv := &Invocation{}
	ctx := WithInvocation(context.Background(), inv)
	if got := abi.Status(call(ctx, mod, logWrite, 0, 0, 1)[0]); got != abi.StatusOK {
		t.Fatalf("before Kill: got %v, want ok", got)
	}
	inv.Kill()
	check := func(name string, f func()) {
		t.Helper()
		defer func() {
			e, ok := recover().(*sys.ExitError)
			if !ok || e.ExitCode() != ExitCodeKilled {
				t.Errorf("%s after Kill: got panic %v, want *sys.ExitError(%d)", name, e, ExitCodeKilled)
			}
		}()
		f()
	}
	check("log_write", func() { call(ctx, mod, logWrite, 0, 0, 1) })
	check("clock_time_get", func() { clockTimeGet(ctx, mod, []uint64{clockMonotonic, 0, 0}) })
}

func TestClockTimeGet(t *testing.T) {
	mod, mem := newMod()
	tests := []struct {
		name      string
		id, ptr   uint64
		wantErrno uint64
	}{
		{"realtime", clockRealtime, 8, 0},
		{"monotonic", clockMonotonic, 16, 0},
		{"bad id", 7, 8, errnoInval},
		{"fault", clockRealtime, memSize - 4, errnoFault},
	}
	for _, tt := range tests {
		stack := []uint64{tt.id, 0, tt.ptr}
		clockTimeGet(context.Background(), mod, stack)
		if stack[0] != tt.wantErrno {
			t.Errorf("%s: got errno %d, want %d", tt.name, stack[0], tt.wantErrno)
		}
	}
	if got := int64(binary.LittleEndian.Uint64(mem.Bytes[8:])); time.Since(time.Unix(0, got)) > time.Minute {
		t.Errorf("realtime clock: got %v", time.Unix(0, got))
	}
	if _, err := InstantiateWASI(context.Background(), wazero.NewRuntime(context.Background())); err != nil {
		t.Errorf("InstantiateWASI: %v", err)
	}
}
