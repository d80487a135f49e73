-- +goose Up

-- An app is a tenant: it owns scripts, triggers, KV data, deliveries,
-- invocations and app-restricted tokens. Deleting an app deletes all of them
-- (every foreign key below it is ON DELETE CASCADE).
--
-- Limits: 0 means "use the server-wide default"; the server clamps every value
-- to its own ceiling, so these columns only ever lower what a server allows.
CREATE TABLE apps (
  id                    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug                  text        NOT NULL
                        CONSTRAINT apps_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  description           text        NOT NULL DEFAULT ''
                        CONSTRAINT apps_description_length CHECK (length(description) <= 1000),
  fuel_per_invocation   bigint      NOT NULL DEFAULT 0 CHECK (fuel_per_invocation >= 0),
  memory_pages          integer     NOT NULL DEFAULT 0 CHECK (memory_pages BETWEEN 0 AND 65536), -- 64 KiB WASM pages
  timeout_ms            integer     NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0),
  max_call_depth        integer     NOT NULL DEFAULT 0 CHECK (max_call_depth >= 0),
  max_string_bytes      integer     NOT NULL DEFAULT 0 CHECK (max_string_bytes >= 0),
  max_array_len         integer     NOT NULL DEFAULT 0 CHECK (max_array_len >= 0),
  max_map_len           integer     NOT NULL DEFAULT 0 CHECK (max_map_len >= 0),
  max_concurrency       integer     NOT NULL DEFAULT 0 CHECK (max_concurrency >= 0),
  max_outbound_requests integer     NOT NULL DEFAULT 0 CHECK (max_outbound_requests >= 0),
  max_body_bytes        bigint      NOT NULL DEFAULT 0 CHECK (max_body_bytes >= 0),
  kv_quota_bytes        bigint      NOT NULL DEFAULT 0 CHECK (kv_quota_bytes >= 0),
  debug_output          boolean     NOT NULL DEFAULT false, -- keep print/debug lines in invocation logs
  -- Variables handed to scripts as ctx.env: a JSON object of strings.
  env                   jsonb       NOT NULL DEFAULT '{}'
                        CONSTRAINT apps_env_object CHECK (jsonb_typeof(env) = 'object'),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT apps_slug_key UNIQUE (slug)
);

-- +goose Down
DROP TABLE apps;
