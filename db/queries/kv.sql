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

-- name: KVSetMany :many
-- Stores several keys at once (an invocation's commit): @keys and @vals
-- pair up. Callers sort the keys so concurrent commits lock rows in one
-- order.
INSERT INTO kv (app_id, key, value)
SELECT @app_id, e.k, e.v FROM (SELECT unnest(@keys::text[]) AS k, unnest(@vals::jsonb[]) AS v) AS e
ON CONFLICT (app_id, key) DO UPDATE SET value = excluded.value, updated_at = now()
RETURNING key, value;

-- name: KVDeleteMany :many
-- Deletes several keys at once and returns those that existed.
DELETE FROM kv WHERE app_id = @app_id AND key = ANY(@keys::text[])
RETURNING key;

-- name: KVIncrMany :many
-- Adds @bys to the numbers under @keys (a missing key counts as 0) and
-- returns the new values. A non-numeric value fails with
-- invalid_text_representation.
INSERT INTO kv (app_id, key, value)
SELECT @app_id, e.k, to_jsonb(e.b) FROM (SELECT unnest(@keys::text[]) AS k, unnest(@bys::bigint[]) AS b) AS e
ON CONFLICT (app_id, key) DO UPDATE
SET value = to_jsonb((kv.value #>> '{}')::numeric + (excluded.value #>> '{}')::numeric), updated_at = now()
RETURNING key, value;

-- name: KVSizes :many
-- The stored size of each of @keys that exists, as the quota counts it.
SELECT key, (octet_length(key) + octet_length(value::text))::bigint AS size
FROM kv WHERE app_id = @app_id AND key = ANY(@keys::text[]);
