-- name: OutboxDeadList :many
-- Newest first; the cursor is the (failed_at, id) of the last row seen.
SELECT * FROM outbox_dead
WHERE app_id = @app_id
  AND (sqlc.narg(before_failed_at)::timestamptz IS NULL
       OR (failed_at, id) < (sqlc.narg(before_failed_at)::timestamptz, sqlc.narg(before_id)::bigint))
ORDER BY failed_at DESC, id DESC
LIMIT @max_rows;

-- name: OutboxDeadGet :one
SELECT * FROM outbox_dead WHERE id = @id AND app_id = @app_id;

-- name: OutboxDeadReplay :one
-- Puts a dead letter back in the outbox with its attempts reset and the same
-- event_id. Queue messages go to the queue's current consumer (or wait for
-- one); other kinds need their trigger to still exist.
WITH d AS (
  DELETE FROM outbox_dead od
  WHERE od.id = @id AND od.app_id = @app_id
    AND (od.kind = 'queue' OR EXISTS (SELECT 1 FROM triggers tr WHERE tr.id = od.trigger_id))
  RETURNING od.*
)
INSERT INTO outbox (app_id, kind, trigger_id, script_id, queue_name, event_id, payload, state, max_attempts)
SELECT d.app_id, d.kind, t.id, t.script_id, d.queue_name, d.event_id, d.payload,
       CASE WHEN t.id IS NULL THEN 2 ELSE 0 END, coalesce(t.max_attempts, d.max_attempts)
FROM d
LEFT JOIN trigger_queue q ON d.kind = 'queue' AND q.app_id = d.app_id AND q.queue_name = d.queue_name
LEFT JOIN triggers t ON t.id = CASE WHEN d.kind = 'queue' THEN q.trigger_id ELSE d.trigger_id END
RETURNING id;

-- name: OutboxDeadDelete :execrows
DELETE FROM outbox_dead WHERE id = @id AND app_id = @app_id;

-- name: OutboxDeadPurge :execrows
-- Retention: deletes up to @max_rows dead letters that failed before @before.
DELETE FROM outbox_dead
WHERE id IN (SELECT od.id FROM outbox_dead od WHERE od.failed_at < @before ORDER BY od.failed_at LIMIT @max_rows);
