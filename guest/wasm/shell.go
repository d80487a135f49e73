package main

import (
	"container/list"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/guest/rhai"
	"github.com/picloud/picloud/guest/syntax"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// host is what the shell needs from the host functions; exports_wasip1.go
// implements it with wasm imports, the tests with a fake.
type host interface {
	log(level abi.Level, text string) abi.Status
	now() int64
	expired() bool
	echo(s string) (string, abi.Status)
	panicking() abi.Status
}

// KindInternal is the error kind the shell reports when the interpreter itself
// panicked. The host discards such an instance.
const KindInternal = "ErrorInternal"

// shell runs invocations. Only immutable things survive from one invocation to
// the next: the compiled programs (by version) and the host-module registry.
type shell struct {
	host     host
	programs *programCache
	modules  *eval.Registry

	goMemoryLimit int64
	req           abi.Request
	resp          []byte
	logFull       bool // the host refused a log line in this invocation
}

func newShell(h host) *shell {
	s := &shell{host: h, programs: newProgramCache(64, 8<<20)}
	s.modules = s.registerModules()
	return s
}

// invoke decodes a request, runs it and returns the encoded response, which
// stays valid until the next call.
func (s *shell) invoke(b []byte) []byte {
	resp := s.run(b)
	s.resp = resp.AppendBinary(s.resp[:0])
	return s.resp
}

func (s *shell) run(b []byte) (resp abi.Response) {
	defer func() {
		if r := recover(); r != nil {
			resp = abi.Response{Error: abi.ErrorInfo{Kind: KindInternal, Message: fmt.Sprint("guest panic: ", r), Text: fmt.Sprintf("guest panic: %v\n%s", r, debug.Stack())}}
		}
	}()
	req := &s.req
	if err := req.UnmarshalBinary(b); err != nil {
		return abi.Response{Status: abi.ResponseBadRequest, Error: abi.ErrorInfo{Message: err.Error()}}
	}
	prog := s.programs.get(req.Version)
	if prog == nil {
		if req.Source == "" {
			return abi.Response{Status: abi.ResponseNeedSource}
		}
		p, err := rhai.Compile(req.Script, req.Source, rhai.Options{})
		if err != nil {
			return abi.Response{Error: errorInfo(err)}
		}
		prog = p
		if req.Version != "" {
			s.programs.put(req.Version, prog, len(req.Source))
		}
	}
	if l := req.Limits.GoMemoryLimit; l > 0 && l != s.goMemoryLimit {
		debug.SetMemoryLimit(l)
		s.goMemoryLimit = l
	}
	ctxVal, err := s.ctxValue(req)
	if err != nil {
		return abi.Response{Error: abi.ErrorInfo{Kind: string(eval.ErrorMismatchDataType), Message: err.Error(), Text: err.Error()}}
	}
	s.logFull = false
	l := req.Limits
	res, err := prog.Run(rhai.Env{
		Limits: rhai.Limits{
			Fuel:         l.Fuel,
			MaxCallDepth: int(l.MaxCallDepth),
			MaxMemory:    l.MaxMemory,
			MaxStringLen: int(l.MaxStringLen),
			MaxArrayLen:  int(l.MaxArrayLen),
			MaxMapLen:    int(l.MaxMapLen),
		},
		Vars:      []rhai.Var{{Name: "ctx", Value: ctxVal}},
		Print:     func(text string) { s.log(abi.LevelPrint, text) },
		Debug:     func(text string) { s.log(abi.LevelDebug, text) },
		Cancelled: s.host.expired,
		Modules:   s.modules,
	})
	resp.Fuel, resp.PeakMemory = res.Fuel, res.PeakMemory
	if err != nil {
		resp.Error = errorInfo(err)
		return resp
	}
	resp.Type = res.Value.TypeName()
	if req.WantDisplay {
		resp.Display = res.Value.String()
	}
	if resp.Value, err = rhai.ToJSON(res.Value); err != nil {
		msg := "the script's result cannot be encoded as JSON: " + err.Error()
		resp.Error = abi.ErrorInfo{Kind: string(eval.ErrorMismatchOutputType), Message: msg, Text: msg}
	}
	return resp
}

// ctxValue builds the script's ctx: event, app, script, version,
// invocation_id and env.
func (s *shell) ctxValue(req *abi.Request) (eval.Value, error) {
	event := eval.Unit()
	if len(req.Event) > 0 {
		v, err := rhai.FromJSON(req.Event)
		if err != nil {
			return event, fmt.Errorf("the event is not valid JSON: %w", err)
		}
		event = v
	}
	env := eval.NewMapCap(len(req.Env))
	for _, kv := range req.Env {
		env.Set(kv.Name, eval.Str(kv.Value))
	}
	ctx := eval.NewMapCap(6)
	ctx.Set("event", event)
	ctx.Set("app", eval.Str(req.App))
	ctx.Set("script", eval.Str(req.Script))
	ctx.Set("version", eval.Str(req.Version))
	ctx.Set("invocation_id", eval.Str(req.InvocationID))
	ctx.Set("env", eval.MapOf(env))
	return eval.MapOf(ctx), nil
}

func (s *shell) log(level abi.Level, text string) {
	if s.logFull {
		return
	}
	if s.host.log(level, text) == abi.StatusLimit {
		s.logFull = true
	}
}

// errorInfo describes a compile or run error for the host.
func errorInfo(err error) abi.ErrorInfo {
	info := abi.ErrorInfo{Message: err.Error(), Text: err.Error()}
	var ee *eval.Error
	if errors.As(err, &ee) {
		info.Kind, info.Message = string(ee.Kind), ee.Msg
		info.Line, info.Col = uint32(max(ee.Pos.Line, 0)), uint32(max(ee.Pos.Col, 0))
		return info
	}
	var se *syntax.Error
	if errors.As(err, &se) {
		info.Kind, info.Message, info.ParseKind = string(eval.ErrorParsing), se.Msg, se.Kind
		info.Line, info.Col = uint32(max(se.Pos.Line, 0)), uint32(max(se.Pos.Col, 0))
		return info
	}
	info.Kind = KindInternal
	return info
}

// programCache is the instance's LRU of compiled programs by version, bounded
// by entries and by total source bytes.
type programCache struct {
	maxEntries, maxBytes, bytes int
	order                       list.List // of *cached, most recent first
	byVersion                   map[string]*list.Element
}

type cached struct {
	version string
	prog    *rhai.Program
	size    int
}

func newProgramCache(maxEntries, maxBytes int) *programCache {
	return &programCache{maxEntries: maxEntries, maxBytes: maxBytes, byVersion: map[string]*list.Element{}}
}

func (c *programCache) get(version string) *rhai.Program {
	e, ok := c.byVersion[version]
	if !ok || version == "" {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).prog
}

func (c *programCache) put(version string, p *rhai.Program, size int) {
	if e, ok := c.byVersion[version]; ok {
		c.remove(e)
	}
	c.byVersion[version] = c.order.PushFront(&cached{version, p, size})
	c.bytes += size
	for c.order.Len() > 1 && (c.order.Len() > c.maxEntries || c.bytes > c.maxBytes) {
		c.remove(c.order.Back())
	}
}

func (c *programCache) remove(e *list.Element) {
	ce := c.order.Remove(e).(*cached)
	delete(c.byVersion, ce.version)
	c.bytes -= ce.size
}

// reset empties the cache and returns the number of entries dropped.
func (c *programCache) reset() int {
	n := c.order.Len()
	c.order.Init()
	clear(c.byVersion)
	c.bytes = 0
	return n
}
