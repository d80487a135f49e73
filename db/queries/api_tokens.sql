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
