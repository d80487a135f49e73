package record

import (
	"encoding/json"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/egress"
)

// Outbound sets inv.OutboundRequests to the requests c made (method, host,
// status, duration, bytes; never headers, bodies or URLs, which may hold
// secrets). A nil client or one that made no request leaves it nil.
func Outbound(inv *store.Invocation, c *egress.Client) {
	recs := c.Records()
	if len(recs) == 0 {
		return
	}
	b, err := json.Marshal(recs)
	if err != nil {
		return // plain structs: cannot fail
	}
	inv.OutboundRequests = b
}
