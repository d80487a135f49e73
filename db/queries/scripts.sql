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

-- name: ScriptListServing :many
-- The scripts that have an active version, with that version's id, number
-- and hash and whether the script has any trigger, for the public router:
-- every app's, or one app's.
SELECT s.id, s.app_id, s.name, v.id AS version_id, v.number, v.sha256,
       EXISTS (SELECT 1 FROM triggers t WHERE t.script_id = s.id) AS has_trigger
FROM scripts s
JOIN script_versions v ON v.script_id = s.id AND v.number = s.active_version
WHERE sqlc.narg(app_id)::bigint IS NULL OR s.app_id = sqlc.narg(app_id)
ORDER BY s.app_id, s.name;
