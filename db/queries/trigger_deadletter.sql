-- name: TriggerDeadletterInsert :exec
INSERT INTO trigger_deadletter (trigger_id, app_id, source_kind)
VALUES (@trigger_id, @app_id, sqlc.narg(source_kind));
