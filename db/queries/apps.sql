-- name: AppInsert :one
INSERT INTO apps (
  slug, description, fuel_per_invocation, memory_pages, timeout_ms, max_call_depth,
  max_string_bytes, max_array_len, max_map_len, max_concurrency, max_outbound_requests,
  max_body_bytes, kv_quota_bytes, debug_output, env, egress_allowlist, egress_allow_private
) VALUES (
  @slug, @description, @fuel_per_invocation, @memory_pages, @timeout_ms, @max_call_depth,
  @max_string_bytes, @max_array_len, @max_map_len, @max_concurrency, @max_outbound_requests,
  @max_body_bytes, @kv_quota_bytes, @debug_output, @env, @egress_allowlist, @egress_allow_private
)
RETURNING *;

-- name: AppGetByID :one
SELECT * FROM apps WHERE id = @id;

-- name: AppGetBySlug :one
SELECT * FROM apps WHERE slug = @slug;

-- name: AppList :many
SELECT * FROM apps
WHERE slug > @after_slug
ORDER BY slug
LIMIT @max_rows;

-- name: AppUpdate :one
UPDATE apps SET
  description = @description,
  fuel_per_invocation = @fuel_per_invocation,
  memory_pages = @memory_pages,
  timeout_ms = @timeout_ms,
  max_call_depth = @max_call_depth,
  max_string_bytes = @max_string_bytes,
  max_array_len = @max_array_len,
  max_map_len = @max_map_len,
  max_concurrency = @max_concurrency,
  max_outbound_requests = @max_outbound_requests,
  max_body_bytes = @max_body_bytes,
  kv_quota_bytes = @kv_quota_bytes,
  debug_output = @debug_output,
  env = @env,
  egress_allowlist = @egress_allowlist,
  egress_allow_private = @egress_allow_private,
  updated_at = now()
WHERE id = @id
RETURNING *;

-- name: AppDelete :execrows
DELETE FROM apps WHERE id = @id;

-- name: AppGetForUpdate :one
-- Locks the app's row until the transaction ends: read-modify-write updates.
SELECT * FROM apps WHERE id = @id FOR UPDATE;
