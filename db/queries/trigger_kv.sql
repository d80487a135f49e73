-- name: TriggerKVInsert :exec
INSERT INTO trigger_kv (trigger_id, app_id, key_pattern, ops)
VALUES (@trigger_id, @app_id, @key_pattern, @ops);
