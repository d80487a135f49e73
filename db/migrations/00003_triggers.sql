-- +goose Up

-- A trigger binds an event source to a script. The columns every kind shares
-- live here; each kind has its own details table keyed by trigger_id. The
-- details tables reference (id, app_id, kind) so a details row can only belong
-- to a trigger of its own kind and app.
CREATE TABLE triggers (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id       bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  script_id    bigint      NOT NULL,
  kind         text        NOT NULL
               CONSTRAINT triggers_kind_check CHECK (kind IN ('http', 'cron', 'pubsub', 'queue', 'kv', 'deadletter')),
  enabled      boolean     NOT NULL DEFAULT true,
  max_attempts integer     NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 100),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- The script must belong to the trigger's app.
  CONSTRAINT triggers_script_fkey FOREIGN KEY (script_id, app_id)
    REFERENCES scripts (id, app_id) ON DELETE CASCADE,
  CONSTRAINT triggers_id_app_kind_key UNIQUE (id, app_id, kind)
);
CREATE INDEX triggers_app ON triggers (app_id, kind);
CREATE INDEX triggers_script ON triggers (script_id);

-- http: method + path pattern (/users/:id, /files/*rest) under /{app} on the
-- public listener. ANY matches every method.
CREATE TABLE trigger_http (
  trigger_id bigint NOT NULL PRIMARY KEY,
  app_id     bigint NOT NULL,
  kind       text   NOT NULL DEFAULT 'http' CHECK (kind = 'http'),
  method     text   NOT NULL
             CONSTRAINT trigger_http_method_check
             CHECK (method IN ('ANY', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
  path       text   NOT NULL
             CONSTRAINT trigger_http_path_check CHECK (path LIKE '/%' AND length(path) <= 1024),
  FOREIGN KEY (trigger_id, app_id, kind) REFERENCES triggers (id, app_id, kind) ON DELETE CASCADE,
  CONSTRAINT trigger_http_route_key UNIQUE (app_id, method, path)
);

-- cron: a schedule (5 fields, optional seconds, @every, @hourly…) in an IANA
-- time zone. next_run_at is the durable cursor: the scheduler moves it with a
-- compare-and-set, so a tick fires once across the cluster. NULL = not yet
-- scheduled.
CREATE TABLE trigger_cron (
  trigger_id  bigint      NOT NULL PRIMARY KEY,
  app_id      bigint      NOT NULL,
  kind        text        NOT NULL DEFAULT 'cron' CHECK (kind = 'cron'),
  schedule    text        NOT NULL CHECK (length(schedule) BETWEEN 1 AND 200),
  time_zone   text        NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 100),
  next_run_at timestamptz,
  FOREIGN KEY (trigger_id, app_id, kind) REFERENCES triggers (id, app_id, kind) ON DELETE CASCADE
);
CREATE INDEX trigger_cron_due ON trigger_cron (next_run_at) WHERE next_run_at IS NOT NULL;

-- pubsub: an exact topic, a prefix pattern "<prefix>.*" or "*". prefix is
-- derived: "orders." for "orders.*", '' for "*", NULL for an exact topic, so a
-- publish matches with equality lookups on (app_id, pattern) and
-- (app_id, prefix) against the topic's own prefixes.
CREATE TABLE trigger_pubsub (
  trigger_id bigint NOT NULL PRIMARY KEY,
  app_id     bigint NOT NULL,
  kind       text   NOT NULL DEFAULT 'pubsub' CHECK (kind = 'pubsub'),
  pattern    text   NOT NULL
             CONSTRAINT trigger_pubsub_pattern_check
             CHECK (length(pattern) <= 255 AND pattern ~ '^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$'),
  prefix     text   GENERATED ALWAYS AS (
               CASE WHEN pattern = '*' THEN ''
                    WHEN pattern LIKE '%.*' THEN left(pattern, -1)
               END) STORED,
  FOREIGN KEY (trigger_id, app_id, kind) REFERENCES triggers (id, app_id, kind) ON DELETE CASCADE
);
CREATE INDEX trigger_pubsub_pattern ON trigger_pubsub (app_id, pattern);
CREATE INDEX trigger_pubsub_prefix ON trigger_pubsub (app_id, prefix text_pattern_ops) WHERE prefix IS NOT NULL;

-- queue: the one consumer of a named queue of the app.
CREATE TABLE trigger_queue (
  trigger_id bigint NOT NULL PRIMARY KEY,
  app_id     bigint NOT NULL,
  kind       text   NOT NULL DEFAULT 'queue' CHECK (kind = 'queue'),
  queue_name text   NOT NULL
             CONSTRAINT trigger_queue_name_check CHECK (queue_name ~ '^[a-z0-9][a-z0-9_.-]{0,127}$'),
  FOREIGN KEY (trigger_id, app_id, kind) REFERENCES triggers (id, app_id, kind) ON DELETE CASCADE,
  CONSTRAINT trigger_queue_name_key UNIQUE (app_id, queue_name)
);

-- kv: a key pattern (exact key, or a prefix ending in "*", or "*") and the
-- operations that fire it.
CREATE TABLE trigger_kv (
  trigger_id  bigint NOT NULL PRIMARY KEY,
  app_id      bigint NOT NULL,
  kind        text   NOT NULL DEFAULT 'kv' CHECK (kind = 'kv'),
  key_pattern text   NOT NULL
              CONSTRAINT trigger_kv_pattern_check
              CHECK (length(key_pattern) BETWEEN 1 AND 1024 AND strpos(left(key_pattern, -1), '*') = 0),
  key_prefix  text   GENERATED ALWAYS AS (
                CASE WHEN key_pattern LIKE '%*' THEN left(key_pattern, -1) END) STORED,
  ops         text[] NOT NULL DEFAULT '{set,delete}'
              CONSTRAINT trigger_kv_ops_check CHECK (cardinality(ops) > 0 AND ops <@ '{set,delete}'::text[]),
  FOREIGN KEY (trigger_id, app_id, kind) REFERENCES triggers (id, app_id, kind) ON DELETE CASCADE
);
CREATE INDEX trigger_kv_app ON trigger_kv (app_id);

-- deadletter: fires when a delivery of the app exhausts its attempts;
-- source_kind, when set, limits it to deliveries of that trigger kind.
CREATE TABLE trigger_deadletter (
  trigger_id  bigint NOT NULL PRIMARY KEY,
  app_id      bigint NOT NULL,
  kind        text   NOT NULL DEFAULT 'deadletter' CHECK (kind = 'deadletter'),
  source_kind text   CHECK (source_kind IN ('cron', 'pubsub', 'queue', 'kv')),
  FOREIGN KEY (trigger_id, app_id, kind) REFERENCES triggers (id, app_id, kind) ON DELETE CASCADE
);
CREATE INDEX trigger_deadletter_app ON trigger_deadletter (app_id);

-- Every trigger with the details of its kind, for listing and lookups.
CREATE VIEW trigger_details AS
SELECT t.id, t.app_id, t.script_id, t.kind, t.enabled, t.max_attempts, t.created_at, t.updated_at,
       h.method AS http_method, h.path AS http_path,
       c.schedule AS cron_schedule, c.time_zone AS cron_time_zone, c.next_run_at AS cron_next_run_at,
       p.pattern AS pubsub_pattern,
       q.queue_name AS queue_name,
       k.key_pattern AS kv_key_pattern, k.ops AS kv_ops,
       d.source_kind AS deadletter_source_kind
FROM triggers t
LEFT JOIN trigger_http h ON h.trigger_id = t.id
LEFT JOIN trigger_cron c ON c.trigger_id = t.id
LEFT JOIN trigger_pubsub p ON p.trigger_id = t.id
LEFT JOIN trigger_queue q ON q.trigger_id = t.id
LEFT JOIN trigger_kv k ON k.trigger_id = t.id
LEFT JOIN trigger_deadletter d ON d.trigger_id = t.id;

-- +goose Down
DROP VIEW trigger_details;
DROP TABLE trigger_deadletter;
DROP TABLE trigger_kv;
DROP TABLE trigger_queue;
DROP TABLE trigger_pubsub;
DROP TABLE trigger_cron;
DROP TABLE trigger_http;
DROP TABLE triggers;
