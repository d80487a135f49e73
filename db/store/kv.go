package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// KVEntry is one key of an app's KV store.
type KVEntry struct {
	Key       string
	Value     json.RawMessage
	UpdatedAt time.Time
}

// KV is the per-app key-value store. Keys are compared as bytes.
type KV struct{ q *dbsqlc.Queries }

// Get returns the entry of key (ErrNotFound when absent).
func (s *KV) Get(ctx context.Context, appID int64, key string) (KVEntry, error) {
	r, err := s.q.KVGet(ctx, appID, key)
	if err != nil {
		return KVEntry{}, wrap(err, "get key %q of app %d", key, appID)
	}
	return kvFrom(r), nil
}

// Set stores value (JSON) under key.
func (s *KV) Set(ctx context.Context, appID int64, key string, value json.RawMessage) (KVEntry, error) {
	r, err := s.q.KVSet(ctx, dbsqlc.KVSetParams{AppID: appID, Key: key, Value: value})
	if err != nil {
		return KVEntry{}, wrap(err, "set key %q of app %d", key, appID)
	}
	return kvFrom(r), nil
}

// Delete removes key and reports whether it existed.
func (s *KV) Delete(ctx context.Context, appID int64, key string) (bool, error) {
	n, err := s.q.KVDelete(ctx, appID, key)
	if err != nil {
		return false, wrap(err, "delete key %q of app %d", key, appID)
	}
	return n == 1, nil
}

// Incr adds by to the number under key (a missing key counts as 0) and
// returns the new entry; ErrInvalid when the value is not a number.
func (s *KV) Incr(ctx context.Context, appID int64, key string, by int64) (KVEntry, error) {
	r, err := s.q.KVIncr(ctx, dbsqlc.KVIncrParams{AppID: appID, Key: key, By: by})
	if err != nil {
		return KVEntry{}, wrap(err, "increment key %q of app %d", key, appID)
	}
	return kvFrom(r), nil
}

// List returns up to limit entries whose key starts with prefix, in byte
// order, after the key after ("" for the first page).
func (s *KV) List(ctx context.Context, appID int64, prefix, after string, limit int32) ([]KVEntry, error) {
	var rows []dbsqlc.Kv
	var err error
	if prefix == "" {
		rows, err = s.q.KVList(ctx, dbsqlc.KVListParams{AppID: appID, After: after, MaxRows: limit})
	} else if upper, ok := successor(prefix); ok {
		rows, err = s.q.KVListRange(ctx, dbsqlc.KVListRangeParams{AppID: appID, Lower: prefix, Upper: upper, After: after, MaxRows: limit})
	} else {
		return nil, &Error{Op: fmt.Sprintf("list keys %q* of app %d", prefix, appID), Kind: ErrInvalid,
			Err: errors.New("a prefix made only of U+10FFFF is not supported")}
	}
	if err != nil {
		return nil, wrap(err, "list keys %q* of app %d", prefix, appID)
	}
	out := make([]KVEntry, len(rows))
	for i, r := range rows {
		out[i] = kvFrom(r)
	}
	return out, nil
}

// successor is the smallest string above every string starting with
// prefix, in byte order; false when there is none.
func successor(prefix string) (string, bool) {
	runes := []rune(prefix)
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i] + 1
		if r == 0xD800 { // skip the surrogates, which UTF-8 cannot hold
			r = 0xE000
		}
		if r <= utf8.MaxRune {
			runes[i] = r
			return string(runes[:i+1]), true
		}
	}
	return "", false
}

func kvFrom(r dbsqlc.Kv) KVEntry {
	return KVEntry{Key: r.Key, Value: r.Value, UpdatedAt: r.UpdatedAt}
}
