-- +goose Up

-- One row per running `picloud serve` process, whatever its role: who is in
-- the cluster, since when, and how far its clock is from the database's.
-- last_seen is the database's clock at the member's last heartbeat;
-- clock_offset_ms is the member's own clock minus the database's, measured
-- over the round trip of its previous heartbeat. `picloud doctor` reads it
-- to report clock skew between the machines (cron schedules are computed on
-- each machine's clock). Rows of members gone for a while are deleted by
-- the heartbeats of the others.
CREATE TABLE cluster_members (
  id              bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text             NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role            text             NOT NULL CHECK (role IN ('all', 'manager', 'node')),
  version         text             NOT NULL DEFAULT '',
  admin_addr      text             NOT NULL DEFAULT '',
  public_addr     text             NOT NULL DEFAULT '',
  started_at      timestamptz      NOT NULL DEFAULT now(),
  last_seen       timestamptz      NOT NULL DEFAULT now(),
  clock_offset_ms double precision NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE cluster_members;
