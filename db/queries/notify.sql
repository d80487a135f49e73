-- name: Notify :exec
-- Sends payload on channel. PostgreSQL delivers it when the transaction
-- commits (and drops it on rollback), so listeners never hear of a change
-- they cannot read yet.
SELECT pg_notify(@channel::text, @payload::text);
