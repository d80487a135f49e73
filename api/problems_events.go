package api

// Problem codes of the durable events' routes (events.go, kv.go,
// deliveries.go), with their statuses.
const (
	// 400: a topic to publish to is invalid; reason and offset say why
	// and where.
	CodeInvalidTopic = "invalid_topic"
	// 404: the app has no such KV key.
	CodeKVKeyNotFound = "kv_key_not_found"
	// 404: the app has no such delivery or dead letter.
	CodeDeliveryNotFound = "delivery_not_found"
	// 409: the delivery is running; it cannot be retried or discarded now.
	CodeDeliveryRunning = "delivery_running"
	// 409: the delivery waits for its queue's consumer trigger; create it.
	CodeQueueHasNoConsumer = "queue_has_no_consumer"
	// 409: the dead letter's trigger was deleted: it cannot be replayed.
	CodeTriggerGone = "trigger_gone"
	// 507: the write would take the app over its KV quota.
	CodeKVQuotaExceeded = "kv_quota_exceeded"
)
