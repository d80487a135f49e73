-- name: KVUsageGet :one
-- The app's KV size in bytes (no row: nothing stored yet).
SELECT bytes FROM kv_usage WHERE app_id = @app_id;

-- name: KVUsageLock :one
-- The app's KV size, locking its row until the transaction ends: a commit
-- of KV writes takes it before any key, so concurrent commits of one app
-- lock in one order.
SELECT bytes FROM kv_usage WHERE app_id = @app_id FOR UPDATE;
