-- name: KVUsageGet :one
-- The app's KV size in bytes (no row: nothing stored yet).
SELECT bytes FROM kv_usage WHERE app_id = @app_id;
