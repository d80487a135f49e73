-- +goose Up

-- outbox_claimed (00008) cost an index entry on every claim and served
-- only the heartbeat, the release and the rescue, which read the few running
-- rows through outbox_leases (also partial on state = 1) just as well.
DROP INDEX outbox_claimed;

-- +goose Down
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE state = 1;
