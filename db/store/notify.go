package store

import (
	"context"
	"strconv"
)

// RoutesChannel is the LISTEN/NOTIFY channel that announces a change to what
// an app's public endpoints run: a trigger created, changed, enabled,
// disabled or deleted, a script uploaded, activated or deleted, an app
// deleted. The payload is the app's id in decimal. Writers notify in the
// transaction of the change, so a node that hears it and reloads sees the
// change; every node refreshes that app's route table.
const RoutesChannel = "picloud_routes"

// NotifyRoutes announces on RoutesChannel that the routes of app appID
// changed. Call it inside the transaction of the change: the notification
// goes out when it commits and not at all when it rolls back.
func (s *Store) NotifyRoutes(ctx context.Context, appID int64) error {
	return wrap(s.q.Notify(ctx, RoutesChannel, strconv.FormatInt(appID, 10)), "notify %s of app %d", RoutesChannel, appID)
}
