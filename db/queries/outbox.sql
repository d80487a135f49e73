-- name: OutboxInsertForTrigger :one
-- One delivery for one trigger (a cron tick, a replayed event). With a
-- dedupe_key, a second insert for the same trigger and key is a no-op while
-- the first is still in the table (no row returned).
INSERT INTO outbox (app_id, kind, trigger_id, script_id, event_id, dedupe_key, payload, max_attempts, run_at)
SELECT t.app_id, t.kind, t.id, t.script_id, @event_id, sqlc.narg(dedupe_key), @payload, t.max_attempts, @run_at
FROM triggers t
WHERE t.id = @trigger_id AND t.kind <> 'http'
ON CONFLICT (trigger_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id;

-- name: OutboxInsertPubsub :execrows
-- Fan-out of one publish: one row per enabled pubsub trigger of the app whose
-- pattern matches @topic. @prefixes are the topic's prefixes ('' plus "a.",
-- "a.b." for "a.b.c"), so both arms are index lookups.
INSERT INTO outbox (app_id, kind, trigger_id, script_id, event_id, dedupe_key, payload, max_attempts)
SELECT t.app_id, 'pubsub', t.id, t.script_id, @event_id, sqlc.narg(dedupe_key), @payload, t.max_attempts
FROM trigger_pubsub p
JOIN triggers t ON t.id = p.trigger_id
WHERE p.app_id = @app_id AND t.enabled
  AND (p.pattern = @topic::text OR p.prefix = ANY(@prefixes::text[]))
ON CONFLICT (trigger_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;

-- name: OutboxInsertQueue :one
-- Pushes a message to a queue of the app: bound to the queue's consumer
-- trigger when it has one, else waiting (state 2) for one.
INSERT INTO outbox (app_id, kind, trigger_id, script_id, queue_name, event_id, payload, state, max_attempts, run_at)
SELECT @app_id, 'queue', t.id, t.script_id, @queue_name::text, @event_id, @payload,
       CASE WHEN t.id IS NULL THEN 2 ELSE 0 END, coalesce(t.max_attempts, 10), @run_at
FROM (SELECT 1) AS one
LEFT JOIN trigger_queue q ON q.app_id = @app_id AND q.queue_name = @queue_name::text
LEFT JOIN triggers t ON t.id = q.trigger_id
RETURNING id, state;

-- name: OutboxInsertKV :execrows
-- A KV change event: one row per enabled kv trigger of the app whose key
-- pattern matches @key and whose ops include @op.
INSERT INTO outbox (app_id, kind, trigger_id, script_id, event_id, payload, max_attempts)
SELECT t.app_id, 'kv', t.id, t.script_id, @event_id, @payload, t.max_attempts
FROM trigger_kv k
JOIN triggers t ON t.id = k.trigger_id
WHERE k.app_id = @app_id AND t.enabled
  AND @op::text = ANY(k.ops)
  AND (k.key_pattern = @key::text OR starts_with(@key::text, k.key_prefix));

-- name: OutboxClaim :many
-- Claims up to @max_rows due deliveries for dispatcher @node, oldest first,
-- skipping rows other dispatchers hold.
UPDATE outbox o
SET state = 1, attempt = o.attempt + 1, claimed_by = @node::bigint,
    lease_until = now() + make_interval(secs => @lease_seconds::float8)
WHERE o.id IN (
  SELECT i.id FROM outbox i
  WHERE i.state = 0 AND i.run_at <= now()
  ORDER BY i.run_at, i.id
  LIMIT @max_rows
  FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.app_id, o.kind, o.trigger_id, o.script_id, o.queue_name, o.event_id,
          o.payload, o.attempt, o.max_attempts, o.run_at, o.created_at;

-- name: OutboxComplete :execrows
-- Deletes delivered rows, fenced by owner and attempt so a rescued and
-- re-claimed row cannot be completed by the stale worker.
DELETE FROM outbox o
WHERE (o.id, o.attempt) IN (SELECT unnest(@ids::bigint[]), unnest(@attempts::integer[]))
  AND o.claimed_by = @node::bigint AND o.state = 1;

-- name: OutboxFail :execrows
-- A failed attempt with attempts left: back to pending at @run_at (the backoff).
UPDATE outbox
SET state = 0, run_at = @run_at, last_error = @last_error, claimed_by = NULL, lease_until = NULL
WHERE id = @id AND claimed_by = @node::bigint AND attempt = @attempt AND state = 1;

-- name: OutboxDeadLetter :one
-- The final failed attempt: moves the row to outbox_dead in one statement
-- (which notifies the app's deadletter triggers). Fenced like OutboxFail.
WITH d AS (
  DELETE FROM outbox o
  WHERE o.id = @id AND o.claimed_by = @node::bigint AND o.attempt = @attempt AND o.state = 1
  RETURNING o.*
)
INSERT INTO outbox_dead (id, app_id, kind, trigger_id, script_id, queue_name, event_id, dedupe_key,
                         payload, attempt, max_attempts, last_error, created_at)
SELECT d.id, d.app_id, d.kind, d.trigger_id, d.script_id, d.queue_name, d.event_id, d.dedupe_key,
       d.payload, d.attempt, d.max_attempts, @last_error, d.created_at
FROM d
RETURNING id;

-- name: OutboxHeartbeat :execrows
-- Extends the leases of the rows @node is still running.
UPDATE outbox SET lease_until = now() + make_interval(secs => @lease_seconds::float8)
WHERE id = ANY(@ids::bigint[]) AND claimed_by = @node::bigint AND state = 1;

-- name: OutboxRescue :execrows
-- Rows whose lease expired with attempts left go back to pending after a
-- backoff of min(1 h, 4^(attempt-1) s) ± 20 %.
UPDATE outbox
SET state = 0, claimed_by = NULL, lease_until = NULL, last_error = 'lease expired',
    run_at = now() + make_interval(secs => least(3600, power(4, attempt - 1)) * (0.8 + random() * 0.4))
WHERE state = 1 AND lease_until < now() AND attempt < max_attempts;

-- name: OutboxRescueDead :execrows
-- Rows whose lease expired on their last attempt are dead-lettered.
WITH d AS (
  DELETE FROM outbox
  WHERE state = 1 AND lease_until < now() AND attempt >= max_attempts
  RETURNING *
)
INSERT INTO outbox_dead (id, app_id, kind, trigger_id, script_id, queue_name, event_id, dedupe_key,
                         payload, attempt, max_attempts, last_error, created_at)
SELECT d.id, d.app_id, d.kind, d.trigger_id, d.script_id, d.queue_name, d.event_id, d.dedupe_key,
       d.payload, d.attempt, d.max_attempts, 'lease expired on the last attempt', d.created_at
FROM d;

-- name: OutboxRelease :execrows
-- Hands back every row @node holds without counting the attempt: on graceful
-- shutdown, or at boot for rows a previous run of the same node left behind.
UPDATE outbox
SET state = 0, attempt = attempt - 1, claimed_by = NULL, lease_until = NULL, run_at = now()
WHERE claimed_by = @node::bigint AND state = 1;

-- name: OutboxListByApp :many
-- The app's waiting, pending and running deliveries, oldest first, after the
-- cursor @after_id.
SELECT * FROM outbox
WHERE app_id = @app_id AND id > @after_id
  AND (sqlc.narg(state)::smallint IS NULL OR state = sqlc.narg(state))
ORDER BY id
LIMIT @max_rows;

-- name: OutboxInsertKVMany :execrows
-- The change events of an invocation's KV writes: for each (key, op,
-- event_id, payload), one row per enabled kv trigger of the app whose key
-- pattern matches and whose ops include op.
INSERT INTO outbox (app_id, kind, trigger_id, script_id, event_id, payload, max_attempts)
SELECT t.app_id, 'kv', t.id, t.script_id, e.event_id, e.payload, t.max_attempts
FROM (SELECT unnest(@keys::text[]) AS key, unnest(@ops::text[]) AS op,
             unnest(@event_ids::uuid[]) AS event_id, unnest(@payloads::jsonb[]) AS payload) AS e
JOIN trigger_kv k ON k.app_id = @app_id AND e.op = ANY(k.ops)
                 AND (k.key_pattern = e.key OR starts_with(e.key, k.key_prefix))
JOIN triggers t ON t.id = k.trigger_id AND t.enabled;

-- name: OutboxNextRunAt :one
-- When the earliest pending delivery becomes due; found is false when none
-- is pending.
SELECT count(*) > 0 AS found, coalesce(min(run_at), now())::timestamptz AS next
FROM (SELECT run_at FROM outbox WHERE state = 0 ORDER BY run_at LIMIT 1) AS o;

-- name: OutboxRescueOrphans :execrows
-- Running rows whose dispatcher node missed its heartbeats for
-- @dead_after_seconds (or is gone) go back to pending after the backoff of
-- their attempt, when they have attempts left.
UPDATE outbox o
SET state = 0, claimed_by = NULL, lease_until = NULL, last_error = 'the dispatcher running it stopped',
    run_at = now() + make_interval(secs => least(3600, power(4, o.attempt - 1)) * (0.8 + random() * 0.4))
WHERE o.state = 1 AND o.attempt < o.max_attempts
  AND NOT EXISTS (SELECT 1 FROM dispatcher_nodes n
                  WHERE n.id = o.claimed_by AND n.last_seen > now() - make_interval(secs => @dead_after_seconds::float8));

-- name: OutboxRescueOrphansDead :execrows
-- Running rows of a dead node that were on their last attempt are
-- dead-lettered.
WITH d AS (
  DELETE FROM outbox o
  WHERE o.state = 1 AND o.attempt >= o.max_attempts
    AND NOT EXISTS (SELECT 1 FROM dispatcher_nodes n
                    WHERE n.id = o.claimed_by AND n.last_seen > now() - make_interval(secs => @dead_after_seconds::float8))
  RETURNING o.*
)
INSERT INTO outbox_dead (id, app_id, kind, trigger_id, script_id, queue_name, event_id, dedupe_key,
                         payload, attempt, max_attempts, last_error, created_at)
SELECT d.id, d.app_id, d.kind, d.trigger_id, d.script_id, d.queue_name, d.event_id, d.dedupe_key,
       d.payload, d.attempt, d.max_attempts, 'the dispatcher running its last attempt stopped', d.created_at
FROM d;

-- name: OutboxGet :one
SELECT * FROM outbox WHERE id = @id AND app_id = @app_id;

-- name: OutboxListRetrying :many
-- The app's pending deliveries that already failed at least once, oldest
-- first, after the cursor @after_id.
SELECT * FROM outbox
WHERE app_id = @app_id AND id > @after_id AND state = 0 AND attempt > 0
ORDER BY id
LIMIT @max_rows;

-- name: OutboxRunNow :execrows
-- Makes pending deliveries of the app due now (a retry without waiting for
-- the backoff).
UPDATE outbox SET run_at = now()
WHERE app_id = @app_id AND id = ANY(@ids::bigint[]) AND state = 0;

-- name: OutboxDiscard :execrows
-- Deletes a delivery of the app that is not running.
DELETE FROM outbox WHERE id = @id AND app_id = @app_id AND state <> 1;

-- name: OutboxInsertQueueAfter :one
-- Pushes a message to a queue of the app, deliverable @delay_seconds from
-- the database's now (so that nodes' clocks do not matter): bound to the
-- queue's consumer trigger when it has one, else waiting (state 2) for one.
INSERT INTO outbox (app_id, kind, trigger_id, script_id, queue_name, event_id, payload, state, max_attempts, run_at)
SELECT @app_id, 'queue', t.id, t.script_id, @queue_name::text, @event_id, @payload,
       CASE WHEN t.id IS NULL THEN 2 ELSE 0 END, coalesce(t.max_attempts, 10),
       now() + make_interval(secs => @delay_seconds::float8)
FROM (SELECT 1) AS one
LEFT JOIN trigger_queue q ON q.app_id = @app_id AND q.queue_name = @queue_name::text
LEFT JOIN triggers t ON t.id = q.trigger_id
RETURNING id, state, run_at;
