-- +goose Up

-- A script is named Rhai source inside an app. Its source lives in immutable,
-- numbered versions; active_version names the one that runs (NULL until the
-- first activation). latest_version is the counter that numbers the next
-- version: bumping it takes the script's row lock, so concurrent uploads get
-- distinct numbers without retries.
CREATE TABLE scripts (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id         bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  name           text        NOT NULL
                 CONSTRAINT scripts_name_format CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  active_version integer,
  latest_version integer     NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT scripts_app_name_key UNIQUE (app_id, name),
  -- Lets triggers and invocations reference (script, app) pairs.
  CONSTRAINT scripts_id_app_key UNIQUE (id, app_id)
);

CREATE TABLE script_versions (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  script_id  bigint      NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
  number     integer     NOT NULL CHECK (number > 0),
  source     text        NOT NULL,
  sha256     bytea       NOT NULL CHECK (length(sha256) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT script_versions_number_key UNIQUE (script_id, number)
);

-- The active version must be a version of the same script.
ALTER TABLE scripts
  ADD CONSTRAINT scripts_active_version_fkey
  FOREIGN KEY (id, active_version) REFERENCES script_versions (script_id, number);

-- Versions are immutable: an UPDATE is a bug somewhere.
-- +goose StatementBegin
CREATE FUNCTION script_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'script versions are immutable (script %, version %)', OLD.script_id, OLD.number
    USING ERRCODE = 'restrict_violation';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER script_versions_immutable BEFORE UPDATE ON script_versions
  FOR EACH ROW EXECUTE FUNCTION script_versions_immutable();

-- +goose Down
DROP TABLE script_versions CASCADE;
DROP TABLE scripts;
DROP FUNCTION script_versions_immutable();
