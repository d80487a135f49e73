-- name: TriggerHTTPInsert :exec
INSERT INTO trigger_http (trigger_id, app_id, method, path)
VALUES (@trigger_id, @app_id, @method, @path);

-- name: TriggerHTTPListRoutes :many
-- The enabled HTTP routes of an app, for the public listener's router.
SELECT t.id AS trigger_id, t.script_id, h.method, h.path
FROM trigger_http h
JOIN triggers t ON t.id = h.trigger_id
WHERE h.app_id = @app_id AND t.enabled
ORDER BY h.path, h.method;

-- name: TriggerHTTPListServing :many
-- The enabled HTTP routes of every app, or of one app, for the public router.
SELECT t.id AS trigger_id, t.app_id, t.script_id, h.method, h.path
FROM trigger_http h
JOIN triggers t ON t.id = h.trigger_id
WHERE t.enabled AND (sqlc.narg(app_id)::bigint IS NULL OR h.app_id = sqlc.narg(app_id))
ORDER BY h.app_id, h.path, h.method;
