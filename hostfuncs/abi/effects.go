package abi

import "encoding/binary"

// Host functions of the effect families: kv::, pubsub:: and queue::, and
// error_last, which explains their failures. Their writes are staged by the
// host and committed only when the script succeeds; reads see the
// invocation's own staged writes. Values and messages travel as JSON; a
// script's Blobs are base64 strings in it.
//
// On a failure the function returns a status other than StatusOK and the
// host keeps a message for people, which error_last returns: StatusBadPayload
// for an invalid argument (a key, topic, queue name or value the host
// rejects), StatusLimit for a size limit or the app's KV quota,
// StatusUnavailable when the invocation has no effects (no database),
// StatusInternal when the database failed.
const (
	// FuncKVGet: kv_get(key_ptr u32, key_len u32, out_ptr u32, out_cap u32,
	// out_len_ptr u32) -> status u32. The key's value as JSON in the output
	// buffer; length 0 when the key does not exist.
	FuncKVGet = "kv_get"
	// FuncKVSet: kv_set(key_ptr u32, key_len u32, val_ptr u32, val_len u32)
	// -> status u32. Stages value (JSON) under key.
	FuncKVSet = "kv_set"
	// FuncKVDelete: kv_delete(key_ptr u32, key_len u32) -> status u32. Stages
	// the key's deletion.
	FuncKVDelete = "kv_delete"
	// FuncKVList: kv_list(req_ptr u32, req_len u32, out_ptr u32, out_cap u32,
	// out_len_ptr u32) -> status u32. The request is a KVListRequest; the
	// output a JSON array of {"key": …, "value": …} objects in key order.
	FuncKVList = "kv_list"
	// FuncKVIncr: kv_incr(key_ptr u32, key_len u32, by i64, out_ptr u32) ->
	// status u32. Stages adding by to the integer under key (missing: 0) and
	// writes the new value, an i64 little-endian, at out_ptr.
	FuncKVIncr = "kv_incr"

	// FuncPubsubPublish: pubsub_publish(req_ptr u32, req_len u32, out_ptr u32)
	// -> status u32. The request is a PublishRequest; the message id, 16
	// bytes (a UUID), is written at out_ptr.
	FuncPubsubPublish = "pubsub_publish"

	// FuncQueuePush: queue_push(req_ptr u32, req_len u32, out_ptr u32) ->
	// status u32. The request is a PushRequest; the message id, 16 bytes (a
	// UUID), is written at out_ptr.
	FuncQueuePush = "queue_push"

	// FuncErrorLast: error_last(out_ptr u32, out_cap u32, out_len_ptr u32) ->
	// status u32. The message of the invocation's last failed effect call,
	// following the output-buffer convention; length 0 when there is none.
	FuncErrorLast = "error_last"
)

// KVListRequest is kv_list's input: the keys starting with Prefix, after the
// key After, at most Limit of them (0: the host's default).
type KVListRequest struct {
	Prefix, After string
	Limit         uint32
}

// AppendBinary appends r's encoding to b.
func (r *KVListRequest) AppendBinary(b []byte) []byte {
	b = append(b, Version)
	b = appendString(b, r.Prefix)
	b = appendString(b, r.After)
	return binary.AppendUvarint(b, uint64(r.Limit))
}

// UnmarshalBinary decodes b into r.
func (r *KVListRequest) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	r.Prefix = d.string()
	r.After = d.string()
	r.Limit = d.uint32()
	return d.finish()
}

// PublishRequest is pubsub_publish's input: a topic and the message as JSON.
type PublishRequest struct {
	Topic   string
	Message []byte
}

// AppendBinary appends r's encoding to b.
func (r *PublishRequest) AppendBinary(b []byte) []byte {
	b = append(b, Version)
	b = appendString(b, r.Topic)
	return appendBytes(b, r.Message)
}

// UnmarshalBinary decodes b into r. Message aliases b.
func (r *PublishRequest) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	r.Topic = d.string()
	r.Message = d.raw()
	return d.finish()
}

// PushRequest is queue_push's input: a queue's name, the payload as JSON and
// a delay in milliseconds before the message may be delivered.
type PushRequest struct {
	Queue   string
	Payload []byte
	DelayMS int64
}

// AppendBinary appends r's encoding to b.
func (r *PushRequest) AppendBinary(b []byte) []byte {
	b = append(b, Version)
	b = appendString(b, r.Queue)
	b = appendBytes(b, r.Payload)
	return binary.AppendVarint(b, r.DelayMS)
}

// UnmarshalBinary decodes b into r. Payload aliases b.
func (r *PushRequest) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	r.Queue = d.string()
	r.Payload = d.raw()
	r.DelayMS = d.varint()
	return d.finish()
}
