-- name: SecretPut :one
-- Creates or replaces a secret; created reports a new one.
INSERT INTO app_secrets (app_id, name, sealed) VALUES (@app_id, @name, @sealed)
ON CONFLICT (app_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = now()
RETURNING (xmax = 0)::boolean AS created;

-- name: SecretDelete :execrows
DELETE FROM app_secrets WHERE app_id = @app_id AND name = @name;

-- name: SecretList :many
-- The app's secrets in name order, sealed values included (for the
-- sandbox; the API lists names only).
SELECT name, sealed, created_at, updated_at FROM app_secrets WHERE app_id = @app_id ORDER BY name;
