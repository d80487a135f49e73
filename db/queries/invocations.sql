-- name: InvocationInsertBatch :copyfrom
INSERT INTO invocations (
  id, app_id, script_id, version, trigger_kind, trigger_id, outbox_id, attempt, started_at,
  duration_us, fuel_used, peak_memory_bytes, outcome, error, error_line, error_column, result, event,
  outbound_requests
) VALUES (
  @id, @app_id, @script_id, @version, @trigger_kind, @trigger_id, @outbox_id, @attempt, @started_at,
  @duration_us, @fuel_used, @peak_memory_bytes, @outcome, @error, @error_line, @error_column, @result, @event,
  @outbound_requests
);

-- name: InvocationGet :one
SELECT * FROM invocations WHERE id = @id;

-- name: InvocationList :many
-- Newest first with optional filters; the cursor is the (started_at, id) of
-- the last row seen.
SELECT * FROM invocations
WHERE app_id = @app_id
  AND (sqlc.narg(script_id)::bigint IS NULL OR script_id = sqlc.narg(script_id))
  AND (sqlc.narg(outcome)::text IS NULL OR outcome = sqlc.narg(outcome))
  AND (sqlc.narg(trigger_kind)::text IS NULL OR trigger_kind = sqlc.narg(trigger_kind))
  AND (sqlc.narg(since)::timestamptz IS NULL OR started_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR started_at < sqlc.narg(until))
  AND (sqlc.narg(before_started_at)::timestamptz IS NULL
       OR (started_at, id) < (sqlc.narg(before_started_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY started_at DESC, id DESC
LIMIT @max_rows;

-- name: InvocationDeleteBefore :execrows
-- Retention: deletes up to @max_rows invocations (and their logs) started before @before.
DELETE FROM invocations
WHERE id IN (SELECT i.id FROM invocations i WHERE i.started_at < @before ORDER BY i.started_at LIMIT @max_rows);

-- name: InvocationListNamed :many
-- The listed invocations with their app's slug and script's name, oldest
-- first, for other nodes' live tails.
SELECT i.*, a.slug AS app_slug, s.name AS script_name
FROM invocations i
JOIN apps a ON a.id = i.app_id
JOIN scripts s ON s.id = i.script_id
WHERE i.id = ANY(@ids::uuid[])
ORDER BY i.started_at, i.id;
