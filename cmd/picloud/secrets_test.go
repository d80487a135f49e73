package main

import (
	"encoding/base64"
	"strings"
	"testing"
)

// env and secret against a real picloud serve: a script sees both; a
// secret's value is never printed again.
func TestCLIEnvAndSecrets(t *testing.T) {
	const secret = "sk_CLI_SECRET_9"
	// A server on its own database needs a configured key.
	t.Setenv("PICLOUD_SECRET_KEY", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
	e := newCLIEnv(t)
	e.ok("apps", "create", "shop")
	e.ok("env", "set", "shop", "REGION", "eu")
	e.ok("env", "set", "shop", "GONE", "x")
	e.ok("env", "unset", "shop", "GONE")
	if out := e.ok("env", "list", "shop"); !strings.Contains(out, "REGION") || !strings.Contains(out, "eu") || strings.Contains(out, "GONE") {
		t.Fatalf("env list: %q", out)
	}
	if out := e.ok("secret", "set", "shop", "TOKEN", secret); strings.Contains(out, secret) {
		t.Fatalf("secret set printed the value: %q", out)
	}
	out := e.ok("secret", "list", "shop")
	if !strings.Contains(out, "TOKEN") || strings.Contains(out, secret) {
		t.Fatalf("secret list: %q", out)
	}
	e.ok("deploy", "shop", writeFile(t, "env.rhai", `ctx.env.REGION + ":" + ctx.env.TOKEN.len()`))
	if out := e.ok("invoke", "shop", "env"); !strings.Contains(out, "eu:15") || strings.Contains(out, secret) {
		t.Fatalf("invoke: %q", out)
	}
	e.ok("secret", "unset", "shop", "TOKEN")
	if out := e.ok("secret", "list", "shop", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("after unset: %q", out)
	}
	e.fails(1, "not_found", "secret", "unset", "shop", "TOKEN")
}
