-- name: InvocationStatsPerMinute :many
-- The dashboard's charts: an app's invocations since @since, one row per
-- minute that had any, with the count of each outcome and the median and
-- 99th percentile duration.
SELECT date_trunc('minute', started_at)::timestamptz AS minute,
       count(*) FILTER (WHERE outcome = 'ok')              AS ok,
       count(*) FILTER (WHERE outcome = 'error')           AS error,
       count(*) FILTER (WHERE outcome = 'fuel_exhausted')  AS fuel_exhausted,
       count(*) FILTER (WHERE outcome = 'memory_exceeded') AS memory_exceeded,
       count(*) FILTER (WHERE outcome = 'timeout')         AS timeout,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us))::float8  AS p50_us,
       (percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_us))::float8 AS p99_us
FROM invocations
WHERE app_id = @app_id AND started_at >= @since
GROUP BY 1
ORDER BY 1;

-- name: InvocationStatsTotal :one
-- The same over the whole window.
SELECT count(*) AS invocations,
       count(*) FILTER (WHERE outcome <> 'ok') AS failed,
       coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us), 0)::float8  AS p50_us,
       coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_us), 0)::float8 AS p99_us
FROM invocations
WHERE app_id = @app_id AND started_at >= @since;

-- name: OutboxBacklog :one
-- An app's deliveries now: waiting for their first attempt, waiting to be
-- retried, running, queue messages waiting for a consumer, and dead.
SELECT count(*) FILTER (WHERE state = 0 AND attempt = 0) AS pending,
       count(*) FILTER (WHERE state = 0 AND attempt > 0) AS retrying,
       count(*) FILTER (WHERE state = 1)                 AS running,
       count(*) FILTER (WHERE state = 2)                 AS waiting,
       (SELECT count(*) FROM outbox_dead d WHERE d.app_id = @app_id) AS dead
FROM outbox
WHERE app_id = @app_id;
