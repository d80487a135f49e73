package main

import (
	"github.com/picloud/picloud/guest/eval"
	"github.com/picloud/picloud/hostfuncs/abi"
)

// registerModules defines the host modules scripts call: log::, time:: and the
// test:: module of the ABI tests. Each builtin forwards to a host function; a
// status other than ok becomes a runtime error.
func (s *shell) registerModules() *eval.Registry {
	r := eval.NewRegistry()
	for _, lv := range []struct {
		name  string
		level abi.Level
	}{{"info", abi.LevelInfo}, {"warn", abi.LevelWarn}, {"error", abi.LevelError}} {
		level := lv.level
		r.RegisterModule("log", lv.name, []eval.Kind{eval.Any}, func(_ *eval.Call, args []eval.Value) (eval.Value, error) {
			s.log(level, args[0].String())
			return eval.Unit(), nil
		})
	}
	s.registerEffects(r) // kv::, pubsub::, queue:: (effects.go)
	s.registerHTTP(r)    // http:: (http.go)
	r.RegisterModule("time", "now", nil, func(*eval.Call, []eval.Value) (eval.Value, error) {
		return eval.Timestamp(s.host.now()), nil
	})
	r.RegisterModule("test", "echo", []eval.Kind{eval.StringKind}, func(c *eval.Call, args []eval.Value) (eval.Value, error) {
		out, st := s.host.echo(args[0].Str())
		if st != abi.StatusOK {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "test::echo: host status %v", st)
		}
		return eval.Str(out), nil
	})
	r.RegisterModule("test", "host_panic", nil, func(*eval.Call, []eval.Value) (eval.Value, error) {
		return eval.Str(s.host.panicking().String()), nil
	})
	// test::spin() and test::spin_alloc() never return and never poll the
	// deadline: they stand for a builtin with a bug, so the tests can check
	// the host's backstop. They work only where the host provides the test
	// functions.
	r.RegisterModule("test", "spin", nil, func(c *eval.Call, _ []eval.Value) (eval.Value, error) {
		if _, st := s.host.echo(""); st != abi.StatusOK {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "test::spin: host status %v", st)
		}
		for {
			spinSink++
		}
	})
	r.RegisterModule("test", "spin_alloc", nil, func(c *eval.Call, _ []eval.Value) (eval.Value, error) {
		if _, st := s.host.echo(""); st != abi.StatusOK {
			return eval.Unit(), c.Errorf(eval.ErrorRuntime, "test::spin_alloc: host status %v", st)
		}
		for i := 0; ; i++ {
			b := make([]byte, 1024+i%4096)
			spinSink += int(b[0]) + len(b)
		}
	})
	return r
}

var spinSink int
