-- name: InvocationLogInsertBatch :copyfrom
INSERT INTO invocation_logs (invocation_id, seq, level, message, at)
VALUES (@invocation_id, @seq, @level, @message, @at);

-- name: InvocationLogList :many
SELECT * FROM invocation_logs WHERE invocation_id = @invocation_id ORDER BY seq;

-- name: InvocationLogListMany :many
-- The log lines of the listed invocations, by invocation and order.
SELECT * FROM invocation_logs WHERE invocation_id = ANY(@ids::uuid[]) ORDER BY invocation_id, seq;
