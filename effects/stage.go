package effects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/hostfuncs"
	"github.com/picloud/picloud/topic"
)

// Stage is one invocation's staged effects. It implements hostfuncs.Effects
// for the sandbox; its methods are also how the admin API stages a KV edit,
// a publish or a push with the same checks. A Stage is used by one
// goroutine at a time.
type Stage struct {
	m     *Manager
	src   kvSource
	appID int64
	quota int64 // bytes; negative: none

	kv        map[string]*kvOp
	publishes []publish
	pushes    []push
	bytes     int // staged bytes, for MaxStagedBytes

	usage      int64 // the app's KV size when first needed
	usageKnown bool
	oldSizes   map[string]int64 // stored sizes of staged keys, when looked up
}

type opKind uint8

const (
	opSet opKind = iota + 1
	opDelete
	opIncr
)

// kvOp is a key's staged write: its last value (set), its deletion, or an
// increment the database applies at commit.
type kvOp struct {
	kind  opKind
	value json.RawMessage // opSet
	by    int64           // opIncr
}

type publish struct {
	topic   string
	eventID uuid.UUID
	payload json.RawMessage // ctx.event.pubsub
}

type push struct {
	queue   string
	eventID uuid.UUID
	payload json.RawMessage // ctx.event.queue
	delay   time.Duration
}

// put stages op for key (the map is made on the first write: most
// invocations write nothing).
func (s *Stage) put(key string, op *kvOp) {
	if s.kv == nil {
		s.kv = map[string]*kvOp{}
	}
	s.kv[key] = op
}

// Empty reports whether nothing is staged.
func (s *Stage) Empty() bool { return len(s.kv) == 0 && len(s.publishes) == 0 && len(s.pushes) == 0 }

// Len is the number of staged effects: keys written, publishes, pushes.
func (s *Stage) Len() int { return len(s.kv) + len(s.publishes) + len(s.pushes) }

// statements is the number of statements Commit runs when it is more
// than one, else 0 or 1: KV writes take several (the writes, their change
// events, the quota check).
func (s *Stage) statements() int {
	if len(s.kv) > 0 {
		return 2 + len(s.publishes) + len(s.pushes)
	}
	return len(s.publishes) + len(s.pushes)
}

// reserve checks that one more effect of n bytes fits the invocation's
// limits; isNew says whether it adds an item (a key staged again does not).
func (s *Stage) reserve(fn string, n int, isNew bool) error {
	if isNew && s.Len() >= s.m.cfg.MaxEffects {
		return limitf("the invocation staged %d effects, the most one invocation may (keys written, publishes and pushes)", s.m.cfg.MaxEffects)
	}
	if s.bytes+n > s.m.cfg.MaxStagedBytes {
		return limitf("the invocation staged %d bytes of effects; %d more would pass the limit of %d", s.bytes, n, s.m.cfg.MaxStagedBytes)
	}
	s.bytes += n
	return nil
}

func (s *Stage) checkKey(key string) error {
	switch {
	case key == "":
		return invalidf("the key is empty")
	case len(key) > s.m.cfg.MaxKeyBytes:
		return limitf("the key is %d bytes, over the limit of %d", len(key), s.m.cfg.MaxKeyBytes)
	case !utf8.ValidString(key):
		return invalidf("the key is not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return invalidf("the key contains a NUL byte")
	}
	return nil
}

// backend logs a database failure and returns it for the script as an
// internal error.
func (s *Stage) backend(ctx context.Context, op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.m.log.WarnContext(ctx, "a script's effect call failed in the database", "app_id", s.appID, "op", op, "err", err)
	return err
}

// dbValue reads key's value from the database (nil when absent).
func (s *Stage) dbValue(ctx context.Context, key string) (json.RawMessage, error) {
	e, err := s.src.Get(ctx, s.appID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.backend(ctx, "kv get", err)
	}
	return e.Value, nil
}

// Get returns key's value as the invocation sees it: its staged write, or
// the database's value; nil when the key does not exist.
func (s *Stage) Get(ctx context.Context, key string) (json.RawMessage, error) {
	if err := s.checkKey(key); err != nil {
		return nil, err
	}
	op := s.kv[key]
	if op != nil {
		switch op.kind {
		case opSet:
			return op.value, nil
		case opDelete:
			return nil, nil
		}
	}
	v, err := s.dbValue(ctx, key)
	if err != nil || op == nil {
		return v, err
	}
	// An increment on top of the database's value.
	base, err := intValue(key, v)
	if err != nil {
		return v, nil // changed under us since the increment was staged; show what is stored
	}
	n, ok := addInt(base, op.by)
	if !ok {
		return v, nil
	}
	return strconv.AppendInt(nil, n, 10), nil
}

// Set stages value (JSON) under key.
func (s *Stage) Set(ctx context.Context, key string, value json.RawMessage) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if len(value) > s.m.cfg.MaxValueBytes {
		return limitf("the value of %q is %d bytes of JSON, over the limit of %d", key, len(value), s.m.cfg.MaxValueBytes)
	}
	old := s.kv[key]
	if err := s.reserve("kv::set", len(key)+len(value), old == nil); err != nil {
		return err
	}
	if err := s.checkQuota(ctx, key, value); err != nil {
		return err
	}
	s.put(key, &kvOp{kind: opSet, value: value})
	return nil
}

// Delete stages key's deletion.
func (s *Stage) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if err := s.reserve("kv::delete", len(key), s.kv[key] == nil); err != nil {
		return err
	}
	s.put(key, &kvOp{kind: opDelete})
	return nil
}

// Incr stages adding by to the integer under key (a missing key counts as
// 0) and returns the value the invocation now sees. When the key has no
// staged value, the increment itself is staged, so that increments of
// concurrent invocations add up in the database.
func (s *Stage) Incr(ctx context.Context, key string, by int64) (int64, error) {
	if err := s.checkKey(key); err != nil {
		return 0, err
	}
	op := s.kv[key]
	if op != nil && op.kind != opIncr {
		var base int64
		if op.kind == opSet {
			var err error
			if base, err = intValue(key, op.value); err != nil {
				return 0, err
			}
		}
		n, ok := addInt(base, by)
		if !ok {
			return 0, invalidf("%d + %d overflows a 64-bit integer (key %q)", base, by, key)
		}
		v := strconv.AppendInt(nil, n, 10)
		if err := s.reserve("kv::incr", len(v), false); err != nil {
			return 0, err
		}
		s.put(key, &kvOp{kind: opSet, value: v})
		return n, nil
	}
	stored, err := s.dbValue(ctx, key)
	if err != nil {
		return 0, err
	}
	base, err := intValue(key, stored)
	if err != nil {
		return 0, err
	}
	delta := by
	if op != nil { // an increment staged already
		delta, ok := addInt(op.by, by)
		if !ok {
			return 0, invalidf("the increments of %q overflow a 64-bit integer", key)
		}
		n, ok := addInt(base, delta)
		if !ok {
			return 0, invalidf("%d + %d overflows a 64-bit integer (key %q)", base, delta, key)
		}
		op.by = delta
		return n, nil
	}
	n, ok := addInt(base, delta)
	if !ok {
		return 0, invalidf("%d + %d overflows a 64-bit integer (key %q)", base, delta, key)
	}
	if err := s.reserve("kv::incr", len(key)+8, true); err != nil {
		return 0, err
	}
	s.put(key, &kvOp{kind: opIncr, by: delta})
	return n, nil
}

// intValue reads a stored value as kv::incr needs it: absent is 0.
func intValue(key string, v json.RawMessage) (int64, error) {
	if v == nil {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
	if err != nil {
		shown := string(v)
		if len(shown) > 40 {
			shown = shown[:37] + "..."
		}
		return 0, invalidf("the value of %q is %s, not an integer", key, shown)
	}
	return n, nil
}

func addInt(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// List returns up to limit entries whose key starts with prefix, after the
// key after, in byte order of the keys, as the invocation sees them: the
// database's page with the staged writes laid over it.
func (s *Stage) List(ctx context.Context, prefix, after string, limit int) ([]hostfuncs.KVItem, error) {
	switch {
	case limit == 0:
		limit = s.m.cfg.ListLimit
	case limit < 0:
		return nil, invalidf("the limit %d must be positive", limit)
	case limit > s.m.cfg.MaxListLimit:
		return nil, limitf("the limit %d is over the most one page holds, %d", limit, s.m.cfg.MaxListLimit)
	}
	if len(prefix) > s.m.cfg.MaxKeyBytes || len(after) > s.m.cfg.MaxKeyBytes {
		return nil, invalidf("the prefix or cursor is longer than a key may be (%d bytes)", s.m.cfg.MaxKeyBytes)
	}
	// Staged keys in the window; deletions hide database rows, so read as
	// many more rows as there are.
	var staged []string
	hidden := 0
	for k, op := range s.kv {
		if strings.HasPrefix(k, prefix) && k > after {
			staged = append(staged, k)
			if op.kind == opDelete {
				hidden++
			}
		}
	}
	want := limit + hidden
	rows, err := s.src.List(ctx, s.appID, prefix, after, int32(want))
	if errors.Is(err, store.ErrInvalid) {
		return nil, invalidf("the prefix %q cannot be listed", prefix)
	}
	if err != nil {
		return nil, s.backend(ctx, "kv list", err)
	}
	// When the page is full, keys past its last row belong to later pages.
	full := len(rows) == want
	last := ""
	if full && len(rows) > 0 {
		last = rows[len(rows)-1].Key
	}
	byKey := make(map[string]json.RawMessage, len(rows)+len(staged))
	for _, r := range rows {
		byKey[r.Key] = r.Value
	}
	for _, k := range staged {
		if full && k > last {
			continue
		}
		op := s.kv[k]
		switch op.kind {
		case opSet:
			byKey[k] = op.value
		case opDelete:
			delete(byKey, k)
		case opIncr:
			base, err := intValue(k, byKey[k])
			if err != nil {
				continue // stored value changed under us: show it as stored
			}
			if n, ok := addInt(base, op.by); ok {
				byKey[k] = strconv.AppendInt(nil, n, 10)
			}
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]hostfuncs.KVItem, len(keys))
	for i, k := range keys {
		out[i] = hostfuncs.KVItem{Key: k, Value: byKey[k]}
	}
	return out, nil
}

// checkQuota checks that staging value under key keeps the app within its
// quota, as far as the invocation can tell: what the app stores plus what
// it staged. The commit checks again against concurrent writers.
func (s *Stage) checkQuota(ctx context.Context, key string, value json.RawMessage) error {
	if s.quota < 0 {
		return nil
	}
	if !s.usageKnown {
		u, err := s.m.cfg.Store.KV.Usage(ctx, s.appID)
		if err != nil {
			return s.backend(ctx, "kv usage", err)
		}
		s.usage, s.usageKnown = u, true
	}
	// Quick bound: every staged value counted in full, nothing freed.
	grow := int64(len(key)) + storedLen(value)
	for k, op := range s.kv {
		if k != key && op.kind == opSet {
			grow += int64(len(k)) + storedLen(op.value)
		}
	}
	if s.usage+grow <= s.quota {
		return nil
	}
	// Close to the quota: count what the staged keys free.
	var unknown []string
	if s.oldSizes == nil {
		s.oldSizes = map[string]int64{}
	}
	for _, k := range append(slices.Collect(mapKeys(s.kv)), key) {
		if _, ok := s.oldSizes[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sizes, err := s.src.Sizes(ctx, s.appID, unknown)
		if err != nil {
			return s.backend(ctx, "kv sizes", err)
		}
		for _, k := range unknown {
			s.oldSizes[k] = sizes[k]
		}
	}
	after := s.usage
	for k, op := range s.kv {
		if k == key {
			continue
		}
		switch op.kind {
		case opSet:
			after += int64(len(k)) + storedLen(op.value) - s.oldSizes[k]
		case opDelete:
			after -= s.oldSizes[k]
		}
	}
	need := int64(len(key)) + storedLen(value) - s.oldSizes[key]
	if need > 0 && after+need > s.quota {
		return quotaf("writing %q would take the app's KV store to %d bytes, over its quota of %d (the store holds %d bytes)",
			key, after+need, s.quota, s.usage)
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// storedLen estimates the length of a JSON value as PostgreSQL prints a
// jsonb: a space after each ':' and ',' between tokens.
func storedLen(v json.RawMessage) int64 {
	n := int64(len(v))
	inString, escaped := false, false
	for _, c := range v {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ':' || c == ','):
			n++
		}
	}
	return n
}

// queueName is the grammar of queue names (the database's CHECK).
var queueName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)

// ValidQueueName reports why name is not a valid queue name, or nil.
func ValidQueueName(name string) error {
	if !queueName.MatchString(name) {
		return invalidf("%q is not a valid queue name: use 1 to 128 of a-z, 0-9, _, . and -, starting with a letter or digit", name)
	}
	return nil
}

// Publish stages message (JSON) for the app's pubsub triggers whose pattern
// matches topic, and returns the message's id. With no matching trigger
// the commit writes nothing, successfully.
func (s *Stage) Publish(ctx context.Context, topicName string, message json.RawMessage) ([16]byte, error) {
	if err := topic.Validate(topicName); err != nil {
		return [16]byte{}, invalidf("%v", err)
	}
	if len(message) > s.m.cfg.MaxMessageBytes {
		return [16]byte{}, limitf("the message is %d bytes of JSON, over the limit of %d", len(message), s.m.cfg.MaxMessageBytes)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return [16]byte{}, fmt.Errorf("effects: message id: %w", err)
	}
	payload := PubsubEvent(topicName, message, id, s.m.cfg.Now())
	if err := s.reserve("pubsub::publish_durable", len(payload), true); err != nil {
		return [16]byte{}, err
	}
	s.publishes = append(s.publishes, publish{topic: topicName, eventID: id, payload: payload})
	return id, nil
}

// Push stages payload (JSON) for the app's queue, deliverable after delay,
// and returns the message's id. A queue without a consumer trigger keeps
// its messages until one is created.
func (s *Stage) Push(ctx context.Context, queue string, payload json.RawMessage, delay time.Duration) ([16]byte, error) {
	if err := ValidQueueName(queue); err != nil {
		return [16]byte{}, err
	}
	if len(payload) > s.m.cfg.MaxMessageBytes {
		return [16]byte{}, limitf("the payload is %d bytes of JSON, over the limit of %d", len(payload), s.m.cfg.MaxMessageBytes)
	}
	if delay < 0 || delay > s.m.cfg.MaxDelay {
		return [16]byte{}, invalidf("the delay %v is outside 0 to %v", delay, s.m.cfg.MaxDelay)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return [16]byte{}, fmt.Errorf("effects: message id: %w", err)
	}
	body := QueueEvent(queue, payload, id)
	if err := s.reserve("queue::push", len(body), true); err != nil {
		return [16]byte{}, err
	}
	s.pushes = append(s.pushes, push{queue: queue, eventID: id, payload: body, delay: delay})
	return id, nil
}

// Summary is what a commit wrote.
type Summary struct {
	// Deliveries is the number of outbox rows ready for the dispatcher (KV
	// change events, fan-out rows, pushes to queues that have a consumer).
	Deliveries int64
	// Published has, for each publish in order, its fan-out.
	Published []int64
	// Pushed has, for each push in order, its delivery.
	Pushed []Pushed
	// KVWrites is the number of keys written: set, incremented, or
	// deleted (a deletion counts when the key existed).
	KVWrites int
}

// Pushed is one committed queue push.
type Pushed struct {
	DeliveryID int64
	Waiting    bool // the queue has no consumer yet
	RunAt      time.Time
}

// Commit writes everything staged through st, which must run on a
// transaction (store.Store.InTx): the caller commits it, so it can add its
// own writes (a delivery's completion). It fails with ErrQuota when the
// writes take the app over its KV quota.
func (s *Stage) Commit(ctx context.Context, st *store.Store) (Summary, error) {
	var sum Summary
	if len(s.kv) > 0 {
		if err := s.commitKV(ctx, st, &sum); err != nil {
			return Summary{}, err
		}
	}
	for _, p := range s.publishes {
		n, err := st.Outbox.Publish(ctx, s.appID, p.topic, p.eventID, "", p.payload)
		if err != nil {
			return Summary{}, fmt.Errorf("effects: %w", err)
		}
		sum.Published = append(sum.Published, n)
		sum.Deliveries += n
	}
	for _, p := range s.pushes {
		id, waiting, runAt, err := st.Outbox.PushAfter(ctx, s.appID, p.queue, p.eventID, p.payload, p.delay)
		if err != nil {
			return Summary{}, fmt.Errorf("effects: %w", err)
		}
		sum.Pushed = append(sum.Pushed, Pushed{DeliveryID: id, Waiting: waiting, RunAt: runAt})
		if !waiting {
			sum.Deliveries++
		}
	}
	return sum, nil
}

func (s *Stage) commitKV(ctx context.Context, st *store.Store, sum *Summary) error {
	keys := make([]string, 0, len(s.kv))
	for k := range s.kv {
		keys = append(keys, k)
	}
	sort.Strings(keys) // one lock order for every commit
	var setKeys, delKeys, incKeys []string
	var setVals []json.RawMessage
	var bys []int64
	grow := int64(0) // an upper bound of what the writes add
	for _, k := range keys {
		switch op := s.kv[k]; op.kind {
		case opSet:
			setKeys, setVals = append(setKeys, k), append(setVals, op.value)
			grow += int64(len(k)) + storedLen(op.value)
		case opDelete:
			delKeys = append(delKeys, k)
		case opIncr:
			incKeys, bys = append(incKeys, k), append(bys, op.by)
			grow += int64(len(k)) + 20
		}
	}
	// The app's usage row first, then the keys in byte order: every commit
	// of the app locks in that order, so none deadlocks another.
	before, err := st.KV.LockUsage(ctx, s.appID)
	if err != nil {
		return fmt.Errorf("effects: %w", err)
	}
	checkQuota := s.quota >= 0 && (len(setKeys) > 0 || len(incKeys) > 0)
	var changes []store.KVChange
	change := func(key, op string, value json.RawMessage) error {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("effects: event id: %w", err)
		}
		changes = append(changes, store.KVChange{Key: key, Op: op, EventID: id, Payload: KVEvent(key, op, value)})
		return nil
	}
	if len(setKeys) > 0 {
		set, err := st.KV.SetMany(ctx, s.appID, setKeys, setVals)
		if err != nil {
			return fmt.Errorf("effects: %w", err)
		}
		for _, p := range set {
			if err := change(p.Key, "set", p.Value); err != nil {
				return err
			}
		}
	}
	if len(incKeys) > 0 {
		inc, err := st.KV.IncrMany(ctx, s.appID, incKeys, bys)
		if err != nil {
			return fmt.Errorf("effects: %w", err)
		}
		for _, p := range inc {
			if err := change(p.Key, "set", p.Value); err != nil {
				return err
			}
		}
	}
	if len(delKeys) > 0 {
		gone, err := st.KV.DeleteMany(ctx, s.appID, delKeys)
		if err != nil {
			return fmt.Errorf("effects: %w", err)
		}
		for _, k := range gone {
			if err := change(k, "delete", nil); err != nil {
				return err
			}
		}
	}
	if checkQuota && before+grow > s.quota {
		after, err := st.KV.Usage(ctx, s.appID)
		if err != nil {
			return fmt.Errorf("effects: %w", err)
		}
		if after > s.quota && after > before {
			return fmt.Errorf("%w: the commit would take it to %d bytes, over its quota of %d", ErrQuota, after, s.quota)
		}
	}
	sum.KVWrites = len(changes)
	if len(changes) > 0 {
		n, err := st.Outbox.KVChangedMany(ctx, s.appID, changes)
		if err != nil {
			return fmt.Errorf("effects: %w", err)
		}
		sum.Deliveries += n
	}
	return nil
}

// The payloads of the events the stage writes: what ctx.event.<kind> holds
// when the dispatcher delivers them.

// PubsubEvent is ctx.event.pubsub: topic, message, message_id and
// published_at.
func PubsubEvent(topicName string, message json.RawMessage, id uuid.UUID, at time.Time) json.RawMessage {
	b := make([]byte, 0, len(message)+len(topicName)+120)
	b = append(b, `{"topic":`...)
	b = appendJSONString(b, topicName)
	b = append(b, `,"message":`...)
	b = append(b, message...)
	b = append(b, `,"message_id":"`...)
	b = append(b, id.String()...)
	b = append(b, `","published_at":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

// QueueEvent is ctx.event.queue: queue, payload and message_id.
func QueueEvent(queue string, payload json.RawMessage, id uuid.UUID) json.RawMessage {
	b := make([]byte, 0, len(payload)+len(queue)+80)
	b = append(b, `{"queue":`...)
	b = appendJSONString(b, queue)
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	b = append(b, `,"message_id":"`...)
	b = append(b, id.String()...)
	return append(b, `"}`...)
}

// KVEvent is ctx.event.kv: key, op ("set" or "delete") and value (null
// for a deletion).
func KVEvent(key, op string, value json.RawMessage) json.RawMessage {
	if value == nil {
		value = json.RawMessage("null")
	}
	b := make([]byte, 0, len(value)+len(key)+40)
	b = append(b, `{"key":`...)
	b = appendJSONString(b, key)
	b = append(b, `,"op":"`...)
	b = append(b, op...)
	b = append(b, `","value":`...)
	b = append(b, value...)
	return append(b, '}')
}

// CronEvent is ctx.event.cron: schedule and fired_at (the tick).
func CronEvent(schedule string, firedAt time.Time) json.RawMessage {
	b := make([]byte, 0, len(schedule)+60)
	b = append(b, `{"schedule":`...)
	b = appendJSONString(b, schedule)
	b = append(b, `,"fired_at":"`...)
	b = firedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
