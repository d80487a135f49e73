-- name: ScriptInsert :one
INSERT INTO scripts (app_id, name) VALUES (@app_id, @name)
RETURNING *;

-- name: ScriptGetByID :one
SELECT * FROM scripts WHERE id = @id;

-- name: ScriptGetByName :one
SELECT * FROM scripts WHERE app_id = @app_id AND name = @name;

-- name: ScriptListByApp :many
SELECT * FROM scripts WHERE app_id = @app_id ORDER BY name;

-- name: ScriptActivate :one
-- Fails with a foreign-key violation when the script has no such version.
UPDATE scripts SET active_version = @version::integer, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ScriptDelete :execrows
DELETE FROM scripts WHERE id = @id;

-- name: ScriptListByAppAfter :many
-- A page of the app's scripts in name order after @after_name.
SELECT * FROM scripts
WHERE app_id = @app_id AND name > @after_name
ORDER BY name
LIMIT @max_rows;
