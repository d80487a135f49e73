-- +goose Up

-- One run of one script version. The id is chosen by the host before the run
-- (a UUIDv7, so ids grow with time), which lets invocations and their log
-- lines be written in batches with COPY. trigger_id and outbox_id are kept as
-- plain values: history outlives the trigger and the delivery.
-- trigger_kind 'manual' is a run from the API, the CLI or the dashboard.
CREATE TABLE invocations (
  id                uuid        NOT NULL PRIMARY KEY,
  app_id            bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  script_id         bigint      NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
  version           integer     NOT NULL,
  trigger_kind      text        NOT NULL
                    CONSTRAINT invocations_trigger_kind_check
                    CHECK (trigger_kind IN ('http', 'cron', 'pubsub', 'queue', 'kv', 'deadletter', 'manual')),
  trigger_id        bigint,
  outbox_id         bigint,
  attempt           integer     NOT NULL DEFAULT 1,
  started_at        timestamptz NOT NULL,
  duration_us       bigint      NOT NULL CHECK (duration_us >= 0),
  fuel_used         bigint      NOT NULL DEFAULT 0,
  peak_memory_bytes bigint      NOT NULL DEFAULT 0,
  outcome           text        NOT NULL
                    CONSTRAINT invocations_outcome_check
                    CHECK (outcome IN ('ok', 'error', 'fuel_exhausted', 'memory_exceeded', 'timeout')),
  error             text,
  error_line        integer,
  error_column      integer,
  result            jsonb,
  event             jsonb
);
-- Listing is newest first per app or per script, with (started_at, id) cursors.
CREATE INDEX invocations_app_started ON invocations (app_id, started_at DESC, id DESC);
CREATE INDEX invocations_script_started ON invocations (script_id, started_at DESC, id DESC);

CREATE TABLE invocation_logs (
  invocation_id uuid        NOT NULL REFERENCES invocations (id) ON DELETE CASCADE,
  seq           integer     NOT NULL,
  level         text        NOT NULL
                CONSTRAINT invocation_logs_level_check CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message       text        NOT NULL,
  at            timestamptz NOT NULL,
  PRIMARY KEY (invocation_id, seq)
);

-- +goose Down
DROP TABLE invocation_logs;
DROP TABLE invocations;
