// Package auth owns API credentials: token secrets and their hashes, scopes, and
// what a token may do. The store keeps only the hash; the secret is shown once.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scope is a permission a token carries.
type Scope string

// The scopes of DESIGN.md. Admin implies every other scope; a write scope
// implies the read scope of the same resource.
const (
	AppRead      Scope = "app:read"
	AppWrite     Scope = "app:write"
	ScriptRead   Scope = "script:read"
	ScriptWrite  Scope = "script:write"
	TriggerRead  Scope = "trigger:read"
	TriggerWrite Scope = "trigger:write"
	Admin        Scope = "admin"
)

// Scopes lists every scope, in display order.
var Scopes = []Scope{AppRead, AppWrite, ScriptRead, ScriptWrite, TriggerRead, TriggerWrite, Admin}

// secretPrefix marks PiCloud secrets so that they are easy to recognise in
// leaked text and by secret scanners.
const secretPrefix = "pct_"

// NewSecret returns a fresh random token secret.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ guarantees it).
		panic(fmt.Sprintf("auth: reading random bytes: %v", err))
	}
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Hash is what the store keeps of a secret: the hex SHA-256. Secrets carry 256
// random bits, so a fast hash is enough; no password stretching is needed.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// DisplayPrefix is the part of a secret that lists may show to tell tokens apart.
func DisplayPrefix(secret string) string {
	if len(secret) <= len(secretPrefix)+6 {
		return secret
	}
	return secret[:len(secretPrefix)+6]
}

// ParseScopes validates scope names and returns them deduplicated and sorted in
// display order.
func ParseScopes(names []string) ([]Scope, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("a token needs at least one scope (one of %s)", scopeList())
	}
	var out []Scope
	for _, n := range names {
		s := Scope(strings.TrimSpace(n))
		if !slices.Contains(Scopes, s) {
			return nil, fmt.Errorf("unknown scope %q: want one of %s", n, scopeList())
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Scope) int { return slices.Index(Scopes, a) - slices.Index(Scopes, b) })
	return out, nil
}

func scopeList() string {
	names := make([]string, len(Scopes))
	for i, s := range Scopes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Principal is an authenticated token as the API sees it.
type Principal struct {
	TokenID   int64
	Name      string
	Scopes    []Scope
	App       string // "" when the token is not restricted to one app
	ExpiresAt *time.Time
}

// Has reports whether the principal carries scope s, directly or implied.
func (p Principal) Has(s Scope) bool {
	for _, have := range p.Scopes {
		if have == s || have == Admin {
			return true
		}
		if strings.HasSuffix(string(s), ":read") && string(have) == strings.TrimSuffix(string(s), ":read")+":write" {
			return true
		}
	}
	return false
}

// SeesApp reports whether the principal may see app at all. A token restricted
// to another app must get "not found", never "forbidden", so that it cannot
// learn which apps exist.
func (p Principal) SeesApp(app string) bool {
	return p.App == "" || p.App == app
}

// Expired reports whether the token had expired at now.
func (p Principal) Expired(now time.Time) bool {
	return p.ExpiresAt != nil && !now.Before(*p.ExpiresAt)
}
