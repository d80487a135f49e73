-- name: TokenInsert :one
INSERT INTO api_tokens (name, prefix, hash, scopes, app_id, expires_at)
VALUES (@name, @prefix, @hash, @scopes, sqlc.narg(app_id), sqlc.narg(expires_at))
RETURNING *;

-- name: TokenGetByHash :one
SELECT * FROM api_tokens WHERE hash = @hash;

-- name: TokenGetByID :one
SELECT * FROM api_tokens WHERE id = @id;

-- name: TokenList :many
SELECT * FROM api_tokens ORDER BY id;

-- name: TokenRevoke :execrows
UPDATE api_tokens SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL;

-- name: TokenTouch :exec
-- Records a use; skipped when the last one is under a minute old, so a busy
-- token does not write on every request.
UPDATE api_tokens SET last_used_at = now()
WHERE id = @id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: TokenDelete :execrows
DELETE FROM api_tokens WHERE id = @id;

-- name: TokenListAfter :many
-- A page of tokens in id order after @after_id, of one app when app_id is
-- set.
SELECT * FROM api_tokens
WHERE id > @after_id
  AND (sqlc.narg(app_id)::bigint IS NULL OR app_id = sqlc.narg(app_id))
ORDER BY id
LIMIT @max_rows;

-- name: TokenBootstrapLock :exec
-- Serialises the first-start check of every node on one database; held until
-- the transaction ends.
SELECT pg_advisory_xact_lock(7311982260174519552);

-- name: TokenCount :one
SELECT count(*) FROM api_tokens;
