-- name: TriggerInsert :one
-- The shared part of a trigger; the store inserts the kind's details row in
-- the same transaction.
INSERT INTO triggers (app_id, script_id, kind, enabled, max_attempts)
VALUES (@app_id, @script_id, @kind, @enabled, @max_attempts)
RETURNING *;

-- name: TriggerGetByID :one
SELECT * FROM trigger_details WHERE id = @id;

-- name: TriggerListByApp :many
SELECT * FROM trigger_details
WHERE app_id = @app_id
  AND (sqlc.narg(kind)::text IS NULL OR kind = sqlc.narg(kind))
ORDER BY id;

-- name: TriggerListByScript :many
SELECT * FROM trigger_details WHERE script_id = @script_id ORDER BY id;

-- name: TriggerSetEnabled :execrows
UPDATE triggers SET enabled = @enabled, updated_at = now() WHERE id = @id;

-- name: TriggerDelete :execrows
DELETE FROM triggers WHERE id = @id;

-- name: TriggerListByAppAfter :many
-- A page of the app's triggers (of one kind when kind is set) in id order
-- after @after_id.
SELECT * FROM trigger_details
WHERE app_id = @app_id
  AND (sqlc.narg(kind)::text IS NULL OR kind = sqlc.narg(kind))
  AND id > @after_id
ORDER BY id
LIMIT @max_rows;
