-- +goose Up

-- Outbound HTTP from scripts (package egress). The app's host allowlist
-- (exact names or "*.example.com"; empty: any public host) and its opt-in to
-- private addresses (RFC 1918, CGNAT, IPv6 ULA). Loopback and link-local
-- addresses are refused whatever these say.
ALTER TABLE apps
  ADD COLUMN egress_allowlist     text[]  NOT NULL DEFAULT '{}'
             CONSTRAINT apps_egress_allowlist_length CHECK (cardinality(egress_allowlist) <= 100),
  ADD COLUMN egress_allow_private boolean NOT NULL DEFAULT false;

-- The invocation's outbound requests: a JSON array of {method, host, status,
-- duration_ms, bytes, error}; NULL when it made none.
ALTER TABLE invocations ADD COLUMN outbound_requests jsonb;

-- +goose Down
ALTER TABLE invocations DROP COLUMN outbound_requests;
ALTER TABLE apps DROP COLUMN egress_allow_private, DROP COLUMN egress_allowlist;
