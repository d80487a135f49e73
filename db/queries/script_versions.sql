-- name: ScriptVersionInsert :one
-- Numbers the version by bumping scripts.latest_version, which takes the
-- script's row lock: concurrent uploads get consecutive numbers.
WITH s AS (
  UPDATE scripts SET latest_version = scripts.latest_version + 1, updated_at = now()
  WHERE scripts.id = @script_id
  RETURNING scripts.id, scripts.latest_version
)
INSERT INTO script_versions (script_id, number, source, sha256)
SELECT s.id, s.latest_version, @source::text, sha256(convert_to(@source::text, 'UTF8'))
FROM s
RETURNING *;

-- name: ScriptVersionGet :one
SELECT * FROM script_versions WHERE script_id = @script_id AND number = @number;

-- name: ScriptVersionGetActive :one
SELECT v.* FROM script_versions v
JOIN scripts s ON s.id = v.script_id AND s.active_version = v.number
WHERE s.id = @script_id;

-- name: ScriptVersionList :many
-- Newest first, without the source.
SELECT id, script_id, number, sha256, created_at FROM script_versions
WHERE script_id = @script_id
ORDER BY number DESC;

-- name: ScriptVersionSources :many
-- The source of each version whose id is listed.
SELECT id, source FROM script_versions WHERE id = ANY(@ids::bigint[]);
