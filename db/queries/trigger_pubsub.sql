-- name: TriggerPubsubInsert :exec
INSERT INTO trigger_pubsub (trigger_id, app_id, pattern)
VALUES (@trigger_id, @app_id, @pattern);
