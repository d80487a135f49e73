-- +goose Up

-- The one durable table every asynchronous delivery flows through (cron
-- ticks, pub/sub fan-out, queue messages, KV change events, dead-letter
-- notices); see shared OUTBOX.md §3. Rows are deleted once delivered, so the
-- table only holds work that is waiting, pending or running.
--
-- state: 0 pending (claimable once run_at has passed), 1 running (claimed,
-- lease_until set), 2 waiting: a queue message whose queue has no consumer
-- trigger yet. Waiting rows have no trigger; creating the queue's trigger
-- binds them (outbox_queue_bind) and deleting it unbinds them again
-- (outbox_queue_detach), so queue messages are never lost with a consumer.
CREATE TABLE outbox (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id       bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  kind         text        NOT NULL
               CONSTRAINT outbox_kind_check CHECK (kind IN ('cron', 'pubsub', 'queue', 'kv', 'deadletter')),
  trigger_id   bigint      REFERENCES triggers (id) ON DELETE CASCADE,
  script_id    bigint,
  queue_name   text,
  event_id     uuid        NOT NULL DEFAULT gen_random_uuid(), -- one per event, shared by its fan-out rows
  dedupe_key   text,                                           -- cron: the tick; pubsub: the idempotency key
  payload      jsonb       NOT NULL,
  state        smallint    NOT NULL DEFAULT 0,
  attempt      integer     NOT NULL DEFAULT 0,
  max_attempts integer     NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
  run_at       timestamptz NOT NULL DEFAULT now(),
  lease_until  timestamptz,
  claimed_by   bigint,                                         -- dispatcher instance id (fencing)
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT outbox_state_check CHECK (state IN (0, 1, 2)),
  CONSTRAINT outbox_bound_check CHECK ((state = 2) = (trigger_id IS NULL) AND (trigger_id IS NULL) = (script_id IS NULL)),
  CONSTRAINT outbox_waiting_check CHECK (state <> 2 OR kind = 'queue'),
  CONSTRAINT outbox_queue_check CHECK ((kind = 'queue') = (queue_name IS NOT NULL)),
  CONSTRAINT outbox_running_check CHECK (state <> 1 OR (lease_until IS NOT NULL AND claimed_by IS NOT NULL))
);
CREATE INDEX outbox_ready ON outbox (run_at, id) WHERE state = 0;
CREATE INDEX outbox_leases ON outbox (lease_until) WHERE state = 1;
CREATE INDEX outbox_waiting ON outbox (app_id, queue_name, id) WHERE state = 2;
CREATE UNIQUE INDEX outbox_dedupe ON outbox (trigger_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
-- The table swings between empty and a large backlog: keep statistics fresh.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
                        autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000,
                        autovacuum_vacuum_cost_delay = 0);

-- Deliveries that exhausted their attempts, moved here in the same statement
-- as the final failure. trigger_id is kept without a foreign key: a dead
-- letter outlives its trigger so it can still be inspected.
CREATE TABLE outbox_dead (
  id           bigint      NOT NULL PRIMARY KEY, -- the outbox id it had
  app_id       bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  kind         text        NOT NULL,
  trigger_id   bigint,
  script_id    bigint,
  queue_name   text,
  event_id     uuid        NOT NULL,
  dedupe_key   text,
  payload      jsonb       NOT NULL,
  attempt      integer     NOT NULL,
  max_attempts integer     NOT NULL,
  last_error   text,
  created_at   timestamptz NOT NULL,
  failed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_dead_app ON outbox_dead (app_id, failed_at DESC, id DESC);
CREATE INDEX outbox_dead_failed ON outbox_dead (failed_at);

-- +goose StatementBegin
CREATE FUNCTION outbox_queue_bind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE outbox o
  SET state = 0, trigger_id = t.id, script_id = t.script_id, max_attempts = t.max_attempts
  FROM triggers t
  WHERE t.id = NEW.trigger_id
    AND o.state = 2 AND o.app_id = NEW.app_id AND o.queue_name = NEW.queue_name;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_queue_bind AFTER INSERT ON trigger_queue
  FOR EACH ROW EXECUTE FUNCTION outbox_queue_bind();

-- +goose StatementBegin
CREATE FUNCTION outbox_queue_detach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE outbox
  SET state = 2, trigger_id = NULL, script_id = NULL, claimed_by = NULL, lease_until = NULL
  WHERE trigger_id = OLD.id;
  RETURN OLD;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_queue_detach BEFORE DELETE ON triggers
  FOR EACH ROW WHEN (OLD.kind = 'queue') EXECUTE FUNCTION outbox_queue_detach();

-- A dead letter notifies the app's deadletter triggers, in the statement that
-- moved it here. Dead deadletter deliveries notify nobody (no loops).
-- +goose StatementBegin
CREATE FUNCTION outbox_dead_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox (app_id, kind, trigger_id, script_id, event_id, payload, max_attempts)
  SELECT t.app_id, 'deadletter', t.id, t.script_id, gen_random_uuid(),
         jsonb_build_object(
           'event', NEW.payload, 'error', NEW.last_error, 'attempts', NEW.attempt,
           'kind', NEW.kind, 'trigger_id', NEW.trigger_id, 'delivery_id', NEW.id,
           'event_id', NEW.event_id),
         t.max_attempts
  FROM trigger_deadletter d
  JOIN triggers t ON t.id = d.trigger_id
  WHERE d.app_id = NEW.app_id AND t.enabled
    AND (d.source_kind IS NULL OR d.source_kind = NEW.kind);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_dead_notify AFTER INSERT ON outbox_dead
  FOR EACH ROW WHEN (NEW.kind <> 'deadletter') EXECUTE FUNCTION outbox_dead_notify();

-- +goose Down
DROP TRIGGER outbox_dead_notify ON outbox_dead;
DROP FUNCTION outbox_dead_notify();
DROP TRIGGER outbox_queue_detach ON triggers;
DROP TRIGGER outbox_queue_bind ON trigger_queue;
DROP FUNCTION outbox_queue_detach();
DROP FUNCTION outbox_queue_bind();
DROP TABLE outbox_dead;
DROP TABLE outbox;
