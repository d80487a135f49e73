-- name: TriggerCronInsert :exec
INSERT INTO trigger_cron (trigger_id, app_id, schedule, time_zone, next_run_at)
VALUES (@trigger_id, @app_id, @schedule, @time_zone, @next_run_at);

-- name: TriggerCronListDue :many
-- Enabled cron triggers whose next tick is due at @now.
SELECT t.id AS trigger_id, t.app_id, t.script_id, c.schedule, c.time_zone, c.next_run_at
FROM trigger_cron c
JOIN triggers t ON t.id = c.trigger_id
WHERE c.next_run_at <= @now::timestamptz AND t.enabled
ORDER BY c.next_run_at
LIMIT @max_rows;

-- name: TriggerCronAdvance :execrows
-- Compare-and-set of the cursor: only the node that still sees @due moves it,
-- and only that node may enqueue the tick (same transaction).
UPDATE trigger_cron SET next_run_at = @next_run_at::timestamptz
WHERE trigger_id = @trigger_id AND next_run_at = @due::timestamptz;

-- name: TriggerCronSetNext :execrows
-- Sets the cursor without comparing: on creation, enabling or a schedule change.
UPDATE trigger_cron SET next_run_at = sqlc.narg(next_run_at)
WHERE trigger_id = @trigger_id;

-- name: TriggerCronNextDue :one
-- The earliest scheduled tick of any cron trigger; found is false when
-- none is scheduled.
SELECT count(*) > 0 AS found, coalesce(min(next_run_at), now())::timestamptz AS next
FROM (SELECT next_run_at FROM trigger_cron WHERE next_run_at IS NOT NULL ORDER BY next_run_at LIMIT 1) AS c;
