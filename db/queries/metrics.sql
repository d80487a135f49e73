-- name: OutboxDepth :many
-- The outbox by state for the metrics: pending (due now), scheduled (due
-- later: delays and retry backoffs), running and waiting (a queue without a
-- consumer), with the age of the oldest row in seconds — for pending rows
-- since they became due, for the others since they were created. One scan
-- of a table kept small by deleting delivered rows.
SELECT CASE WHEN state = 0 AND run_at <= now() THEN 'pending'
            WHEN state = 0 THEN 'scheduled'
            WHEN state = 1 THEN 'running'
            ELSE 'waiting' END::text AS state,
       count(*)::bigint AS deliveries,
       extract(epoch FROM now() - min(CASE WHEN state = 0 AND run_at <= now() THEN run_at ELSE created_at END))::float8 AS oldest_seconds
FROM outbox
GROUP BY 1
ORDER BY 1;

-- name: OutboxDeadDepth :one
-- The dead letters kept, and the age of the oldest in seconds.
SELECT count(*)::bigint AS dead,
       coalesce(extract(epoch FROM now() - min(failed_at)), 0)::float8 AS oldest_seconds
FROM outbox_dead;

-- name: DatabaseClock :one
-- The database's clock and server version, for `picloud doctor`.
SELECT now()::timestamptz AS db_now, current_setting('server_version_num')::integer AS version_num,
       current_setting('server_version')::text AS version;
