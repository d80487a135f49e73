-- +goose Up

-- Durable events (issue 6): the per-app KV quota's usage counter, the
-- dispatcher nodes whose heartbeats let a dead node's deliveries be rescued
-- within seconds, and the indexes the dispatcher and the delivery API read.

-- kv_usage is each app's KV size in bytes: the sum over its keys of
-- octet_length(key) + octet_length(value::text). Statement triggers on kv
-- keep it, whichever path writes (a script's commit, the API), so the quota
-- check reads one row. Writers of one app serialize on its row until they
-- commit; see docs/RATIONALE.md.
CREATE TABLE kv_usage (
  app_id bigint NOT NULL PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
  bytes  bigint NOT NULL DEFAULT 0
);
INSERT INTO kv_usage (app_id, bytes)
SELECT app_id, sum(octet_length(key) + octet_length(value::text)) FROM kv GROUP BY app_id;

-- +goose StatementBegin
CREATE FUNCTION kv_usage_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO kv_usage AS u (app_id, bytes)
  SELECT n.app_id, sum(octet_length(n.key) + octet_length(n.value::text)) FROM new_rows n GROUP BY n.app_id
  ON CONFLICT (app_id) DO UPDATE SET bytes = u.bytes + excluded.bytes;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER kv_usage_insert AFTER INSERT ON kv
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kv_usage_insert();

-- +goose StatementBegin
CREATE FUNCTION kv_usage_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE kv_usage u SET bytes = u.bytes + d.delta
  FROM (SELECT app_id, sum(size) AS delta FROM (
          SELECT n.app_id, octet_length(n.key) + octet_length(n.value::text) AS size FROM new_rows n
          UNION ALL
          SELECT o.app_id, -(octet_length(o.key) + octet_length(o.value::text)) FROM old_rows o) s
        GROUP BY app_id) d
  WHERE u.app_id = d.app_id AND d.delta <> 0;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER kv_usage_update AFTER UPDATE ON kv
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kv_usage_update();

-- A delete never creates the row: it exists since the key's insert, or the
-- app is being deleted and its row with it.
-- +goose StatementBegin
CREATE FUNCTION kv_usage_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE kv_usage u SET bytes = u.bytes - d.size
  FROM (SELECT o.app_id, sum(octet_length(o.key) + octet_length(o.value::text)) AS size
        FROM old_rows o GROUP BY o.app_id) d
  WHERE u.app_id = d.app_id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER kv_usage_delete AFTER DELETE ON kv
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kv_usage_delete();

-- One row per running dispatcher process. Its id is the outbox's
-- claimed_by; last_seen is its heartbeat. The rescue releases the rows of a
-- node not seen for a few beats, so a killed process's deliveries come back
-- within seconds rather than at the end of their lease.
CREATE TABLE dispatcher_nodes (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen  timestamptz NOT NULL DEFAULT now()
);

-- The running rows of a node: heartbeats and the rescue of a dead node.
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE state = 1;

-- +goose Down
DROP INDEX outbox_claimed;
DROP TABLE dispatcher_nodes;
DROP TRIGGER kv_usage_delete ON kv;
DROP TRIGGER kv_usage_update ON kv;
DROP TRIGGER kv_usage_insert ON kv;
DROP FUNCTION kv_usage_delete();
DROP FUNCTION kv_usage_update();
DROP FUNCTION kv_usage_insert();
DROP TABLE kv_usage;
