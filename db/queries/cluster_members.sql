-- name: ClusterMemberInsert :one
-- Registers a serve process; returns its id and the database's clock.
INSERT INTO cluster_members (name, role, version, admin_addr, public_addr)
VALUES (@name, @role, @version, @admin_addr, @public_addr)
RETURNING id, now()::timestamptz AS db_now;

-- name: ClusterMemberBeat :one
-- Marks member @id alive with the clock offset it measured last time
-- (recreating its row if it was forgotten while unreachable), and returns
-- the database's clock for the next measurement.
INSERT INTO cluster_members AS m (id, name, role, version, admin_addr, public_addr, clock_offset_ms)
OVERRIDING SYSTEM VALUE
VALUES (@id, @name, @role, @version, @admin_addr, @public_addr, @clock_offset_ms)
ON CONFLICT (id) DO UPDATE SET last_seen = now(), clock_offset_ms = excluded.clock_offset_ms
RETURNING now()::timestamptz AS db_now;

-- name: ClusterMemberDelete :execrows
-- A member that stops cleanly leaves.
DELETE FROM cluster_members WHERE id = @id;

-- name: ClusterMemberDeleteGone :execrows
-- Forgets members not seen for @gone_after_seconds.
DELETE FROM cluster_members
WHERE last_seen < now() - make_interval(secs => @gone_after_seconds::float8);

-- name: ClusterMemberList :many
-- Every member, oldest first, with the seconds since its last heartbeat by
-- the database's clock.
SELECT id, name, role, version, admin_addr, public_addr, started_at, last_seen, clock_offset_ms,
       extract(epoch FROM now() - last_seen)::float8 AS seen_seconds_ago
FROM cluster_members
ORDER BY id;
