-- +goose Up

-- An app's secrets: handed to scripts as ctx.env like its variables, but
-- write-only through the API, and stored encrypted (AES-256-GCM under the
-- server's key, bound to the app and name; package secrets): sealed is the
-- nonce followed by the ciphertext.
CREATE TABLE app_secrets (
  app_id     bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  name       text        NOT NULL
             CONSTRAINT app_secrets_name_format CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  sealed     bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, name)
);

-- +goose Down
DROP TABLE app_secrets;
