package store

import (
	"context"
	"encoding/json"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// KVPair is a key with its value, as a batch write returns it.
type KVPair struct {
	Key   string
	Value json.RawMessage
}

// SetMany stores values[i] under keys[i] for each i, in one statement, and
// returns the stored pairs. Sort keys first: concurrent batches then lock
// rows in the same order and cannot deadlock.
func (s *KV) SetMany(ctx context.Context, appID int64, keys []string, values []json.RawMessage) ([]KVPair, error) {
	rows, err := s.q.KVSetMany(ctx, dbsqlc.KVSetManyParams{AppID: appID, Keys: keys, Vals: values})
	if err != nil {
		return nil, wrap(err, "set %d keys of app %d", len(keys), appID)
	}
	out := make([]KVPair, len(rows))
	for i, r := range rows {
		out[i] = KVPair{Key: r.Key, Value: r.Value}
	}
	return out, nil
}

// DeleteMany deletes keys and returns those that existed.
func (s *KV) DeleteMany(ctx context.Context, appID int64, keys []string) ([]string, error) {
	deleted, err := s.q.KVDeleteMany(ctx, appID, keys)
	if err != nil {
		return nil, wrap(err, "delete %d keys of app %d", len(keys), appID)
	}
	return deleted, nil
}

// IncrMany adds bys[i] to the number under keys[i] (a missing key counts as
// 0) for each i, and returns the new values; ErrInvalid when a value is not
// a number. Sort keys first, as for SetMany.
func (s *KV) IncrMany(ctx context.Context, appID int64, keys []string, bys []int64) ([]KVPair, error) {
	rows, err := s.q.KVIncrMany(ctx, dbsqlc.KVIncrManyParams{AppID: appID, Keys: keys, Bys: bys})
	if err != nil {
		return nil, wrap(err, "increment %d keys of app %d", len(keys), appID)
	}
	out := make([]KVPair, len(rows))
	for i, r := range rows {
		out[i] = KVPair{Key: r.Key, Value: r.Value}
	}
	return out, nil
}

// Sizes returns the size the quota counts for each of keys that exists:
// the key's bytes plus its value's JSON text.
func (s *KV) Sizes(ctx context.Context, appID int64, keys []string) (map[string]int64, error) {
	rows, err := s.q.KVSizes(ctx, appID, keys)
	if err != nil {
		return nil, wrap(err, "size %d keys of app %d", len(keys), appID)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Size
	}
	return out, nil
}

// Usage returns the bytes the app's keys take, as the quota counts them:
// for each key, its bytes plus its value's JSON text. Inside a transaction
// that wrote keys of the app, it includes those writes.
func (s *KV) Usage(ctx context.Context, appID int64) (int64, error) {
	n, err := s.q.KVUsageGet(ctx, appID)
	if err != nil {
		err = wrap(err, "read the KV usage of app %d", appID)
		if isNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	return n, nil
}

// LockUsage returns the bytes the app's keys take and locks the app's
// usage row until the transaction ends. Call it inside InTx before writing
// several keys: every such transaction of the app then locks the usage row
// first and the keys after, in one order, and none can deadlock another.
func (s *KV) LockUsage(ctx context.Context, appID int64) (int64, error) {
	n, err := s.q.KVUsageLock(ctx, appID)
	if err != nil {
		err = wrap(err, "lock the KV usage of app %d", appID)
		if isNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	return n, nil
}
