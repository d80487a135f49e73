-- +goose Up

-- Per-app key-value store. Keys use the "C" collation: byte order, so prefix
-- listing is an index range scan and cursors are stable across locales.
CREATE TABLE kv (
  app_id     bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  key        text        COLLATE "C" NOT NULL CHECK (length(key) BETWEEN 1 AND 1024),
  value      jsonb       NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, key)
);

-- +goose Down
DROP TABLE kv;
