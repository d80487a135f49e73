-- +goose Up

-- Every app has its kv_usage row from its creation on, so that a commit of
-- KV writes can lock it first (KVUsageLock): all KV-writing transactions of
-- an app then take their locks in one order (the usage row, then the keys
-- in byte order) and cannot deadlock, even on an app's very first writes.
INSERT INTO kv_usage (app_id, bytes) SELECT id, 0 FROM apps ON CONFLICT (app_id) DO NOTHING;

-- +goose StatementBegin
CREATE FUNCTION apps_kv_usage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO kv_usage (app_id, bytes) VALUES (NEW.id, 0) ON CONFLICT (app_id) DO NOTHING;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER apps_kv_usage AFTER INSERT ON apps FOR EACH ROW EXECUTE FUNCTION apps_kv_usage();

-- +goose Down
DROP TRIGGER apps_kv_usage ON apps;
DROP FUNCTION apps_kv_usage();
