-- name: TriggerQueueInsert :exec
-- Inserting the row binds the queue's waiting messages to the trigger
-- (outbox_queue_bind).
INSERT INTO trigger_queue (trigger_id, app_id, queue_name)
VALUES (@trigger_id, @app_id, @queue_name);

-- name: TriggerQueueGetByName :one
SELECT * FROM trigger_details
WHERE app_id = @app_id AND kind = 'queue' AND queue_name = @queue_name::text;
