package secrets

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/picloud/picloud/db/store"
)

// Lister lists an app's sealed secrets; *store.Secrets is one.
type Lister interface {
	List(ctx context.Context, appID int64) ([]store.Secret, error)
}

var _ Lister = (*store.Secrets)(nil)

// DefaultTTL is how long a Source keeps an app's secrets: a change reaches
// running invocations within it.
const DefaultTTL = 2 * time.Second

// Source hands the sandbox an app's secrets, decrypted, from a short cache.
// It is safe for concurrent use. The values never leave the process except
// into a script's ctx.env and the headers of its outbound requests.
type Source struct {
	box  *Box
	list Lister
	ttl  time.Duration

	mu    sync.Mutex
	cache map[int64]cached
}

type cached struct {
	at     time.Time
	values map[string]string
}

// NewSource returns a Source over list, opened with box; ttl 0 means
// DefaultTTL.
func NewSource(box *Box, list Lister, ttl time.Duration) *Source {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Source{box: box, list: list, ttl: ttl, cache: map[int64]cached{}}
}

// Secrets returns the app's secrets by name (nil for a nil Source). The
// caller must not change the map.
func (s *Source) Secrets(ctx context.Context, appID int64) (map[string]string, error) {
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	c, ok := s.cache[appID]
	s.mu.Unlock()
	if ok && time.Since(c.at) < s.ttl {
		return c.values, nil
	}
	list, err := s.list.List(ctx, appID)
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(list))
	for _, sc := range list {
		v, err := s.box.Open(appID, sc.Name, sc.Sealed)
		if err != nil {
			return nil, err
		}
		values[sc.Name] = string(v)
	}
	s.mu.Lock()
	s.cache[appID] = cached{at: time.Now(), values: values}
	s.mu.Unlock()
	return values, nil
}

// Env is ctx.env: the app's variables with its secrets over them.
func Env(vars, secrets map[string]string) map[string]string {
	if len(secrets) == 0 {
		return vars
	}
	env := maps.Clone(vars)
	if env == nil {
		env = make(map[string]string, len(secrets))
	}
	maps.Copy(env, secrets)
	return env
}
