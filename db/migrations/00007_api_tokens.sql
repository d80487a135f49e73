-- +goose Up

-- API credentials. Only the SHA-256 of the secret is stored; prefix is the
-- secret's first characters, shown so a user can tell tokens apart. app_id
-- restricts the token to one app (NULL: every app its scopes allow).
CREATE TABLE api_tokens (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix       text        NOT NULL CHECK (length(prefix) BETWEEN 1 AND 32),
  hash         bytea       NOT NULL CHECK (length(hash) = 32),
  scopes       text[]      NOT NULL
               CONSTRAINT api_tokens_scopes_check CHECK (
                 cardinality(scopes) > 0 AND scopes <@ '{app:read,app:write,script:read,script:write,trigger:read,trigger:write,admin}'::text[]),
  app_id       bigint      REFERENCES apps (id) ON DELETE CASCADE,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_tokens_hash_key UNIQUE (hash)
);
CREATE INDEX api_tokens_app ON api_tokens (app_id) WHERE app_id IS NOT NULL;

-- +goose Down
DROP TABLE api_tokens;
