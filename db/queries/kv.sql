-- name: KVGet :one
SELECT * FROM kv WHERE app_id = @app_id AND key = @key;

-- name: KVSet :one
INSERT INTO kv (app_id, key, value) VALUES (@app_id, @key, @value)
ON CONFLICT (app_id, key) DO UPDATE SET value = excluded.value, updated_at = now()
RETURNING *;

-- name: KVDelete :execrows
DELETE FROM kv WHERE app_id = @app_id AND key = @key;

-- name: KVList :many
-- Keys after @after in byte order.
SELECT * FROM kv
WHERE app_id = @app_id AND key > @after::text
ORDER BY key
LIMIT @max_rows;

-- name: KVListRange :many
-- Keys in [@lower, @upper) after @after in byte order: a prefix listing with
-- @upper the prefix's successor, an index range scan.
SELECT * FROM kv
WHERE app_id = @app_id AND key >= @lower::text AND key < @upper::text AND key > @after::text
ORDER BY key
LIMIT @max_rows;

-- name: KVIncr :one
-- Adds @by to a numeric value (a missing key counts as 0). A non-numeric
-- value fails with invalid_text_representation.
INSERT INTO kv (app_id, key, value) VALUES (@app_id, @key, to_jsonb(@by::bigint))
ON CONFLICT (app_id, key) DO UPDATE
SET value = to_jsonb((kv.value #>> '{}')::numeric + @by::bigint), updated_at = now()
RETURNING *;
