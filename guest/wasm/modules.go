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
	return r
}
