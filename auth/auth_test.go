package auth

import (
	"strings"
	"testing"
	"time"
)

func TestSecretsAreRandomAndHashed(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	if !strings.HasPrefix(a, "pct_") || len(a) != 4+43 {
		t.Errorf("secret %q: want pct_ and 43 base64url characters", a)
	}
	if Hash(a) == Hash(b) || Hash(a) != Hash(a) || len(Hash(a)) != 64 {
		t.Errorf("hashes %q %q", Hash(a), Hash(b))
	}
	if strings.Contains(Hash(a), a[4:]) {
		t.Error("the hash contains the secret")
	}
	if p := DisplayPrefix(a); p != a[:10] {
		t.Errorf("DisplayPrefix = %q, want %q", p, a[:10])
	}
}

func TestParseScopes(t *testing.T) {
	got, err := ParseScopes([]string{"script:write", "app:read", "script:write"})
	if err != nil || len(got) != 2 || got[0] != AppRead || got[1] != ScriptWrite {
		t.Errorf("ParseScopes = %v, %v; want [app:read script:write]", got, err)
	}
	if _, err := ParseScopes([]string{"root"}); err == nil || !strings.Contains(err.Error(), `unknown scope "root"`) {
		t.Errorf("ParseScopes(root) = %v", err)
	}
	if _, err := ParseScopes(nil); err == nil {
		t.Error("ParseScopes(nil) accepted no scopes")
	}
}

func TestPrincipal(t *testing.T) {
	p := Principal{Scopes: []Scope{ScriptWrite, AppRead}, App: "shop"}
	for s, want := range map[Scope]bool{
		ScriptWrite: true, ScriptRead: true, AppRead: true,
		AppWrite: false, TriggerRead: false, TriggerWrite: false, Admin: false,
	} {
		if got := p.Has(s); got != want {
			t.Errorf("Has(%s) = %v, want %v", s, got, want)
		}
	}
	admin := Principal{Scopes: []Scope{Admin}}
	for _, s := range Scopes {
		if !admin.Has(s) {
			t.Errorf("admin lacks %s", s)
		}
	}
	if !p.SeesApp("shop") || p.SeesApp("other") || !admin.SeesApp("other") {
		t.Error("SeesApp is wrong")
	}
	now := time.Now()
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	if (Principal{ExpiresAt: &past}).Expired(now) != true || (Principal{ExpiresAt: &future}).Expired(now) || (Principal{}).Expired(now) {
		t.Error("Expired is wrong")
	}
}
