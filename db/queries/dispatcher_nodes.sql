-- name: DispatcherNodeInsert :one
-- Registers a dispatcher process; its id is the outbox's claimed_by.
INSERT INTO dispatcher_nodes (name) VALUES (@name) RETURNING id;

-- name: DispatcherNodeBeat :one
-- Marks node @id alive (recreating its row if a rescue removed it while the
-- node was unreachable) and counts the other live nodes.
WITH beat AS (
  INSERT INTO dispatcher_nodes AS n (id, name) OVERRIDING SYSTEM VALUE VALUES (@id, @name)
  ON CONFLICT (id) DO UPDATE SET last_seen = now()
  RETURNING n.id
)
SELECT (SELECT count(*) FROM beat)::integer AS beats,
       (SELECT count(*) FROM dispatcher_nodes o
        WHERE o.id <> @id AND o.last_seen > now() - make_interval(secs => @dead_after_seconds::float8))::integer AS others;

-- name: DispatcherNodeDelete :execrows
-- Unregisters a node that stopped cleanly.
DELETE FROM dispatcher_nodes WHERE id = @id;

-- name: DispatcherNodeDeleteDead :execrows
-- Forgets nodes not seen for @dead_after_seconds (after their rows were
-- rescued).
DELETE FROM dispatcher_nodes
WHERE last_seen < now() - make_interval(secs => @dead_after_seconds::float8);

-- name: LeaderTryLock :one
-- Takes the transaction-scoped advisory lock @key if it is free: the node
-- that gets it leads the periodic chores (rescue, retention) this time.
SELECT pg_try_advisory_xact_lock(@key::bigint) AS locked;
