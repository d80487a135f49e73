package client

import (
	"encoding/json"
	"time"
)

// The API's objects, as its OpenAPI document (/api/v1/openapi.json)
// describes them.

// Limits are an app's sandbox limits; 0 means the server's default.
type Limits struct {
	FuelPerInvocation   int64 `json:"fuel_per_invocation"`
	MemoryPages         int32 `json:"memory_pages"`
	TimeoutMS           int32 `json:"timeout_ms"`
	MaxCallDepth        int32 `json:"max_call_depth"`
	MaxStringBytes      int32 `json:"max_string_bytes"`
	MaxArrayLen         int32 `json:"max_array_len"`
	MaxMapLen           int32 `json:"max_map_len"`
	MaxConcurrency      int32 `json:"max_concurrency"`
	MaxOutboundRequests int32 `json:"max_outbound_requests"`
	MaxBodyBytes        int64 `json:"max_body_bytes"`
	KVQuotaBytes        int64 `json:"kv_quota_bytes"`
}

// App is a tenant.
type App struct {
	Slug        string            `json:"slug"`
	Description string            `json:"description"`
	Limits      Limits            `json:"limits"`
	DebugOutput bool              `json:"debug_output"`
	Env         map[string]string `json:"env"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// NewApp is what CreateApp sends.
type NewApp struct {
	Slug        string            `json:"slug"`
	Description string            `json:"description,omitempty"`
	Limits      *Limits           `json:"limits,omitempty"`
	DebugOutput bool              `json:"debug_output,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
}

// Script is named Rhai source inside an app.
type Script struct {
	Name          string `json:"name"`
	ActiveVersion *int32 `json:"active_version"`
	LatestVersion int32  `json:"latest_version"`
	// Endpoint is where the script answers any method on the public
	// listener while it has an active version and no trigger.
	Endpoint  *string   `json:"endpoint"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Versions, newest first, come with Script (one script's GET) only.
	Versions []Version `json:"versions,omitempty"`
}

// Version is one upload of a script.
type Version struct {
	Number    int32     `json:"number"`
	SHA256    string    `json:"sha256"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	Source    *string   `json:"source,omitempty"`
}

// Upload is what a deploy created: the new version, now active.
type Upload struct {
	App             string    `json:"app"`
	Script          string    `json:"script"`
	Version         int32     `json:"version"`
	SHA256          string    `json:"sha256"`
	Active          bool      `json:"active"`
	PreviousVersion *int32    `json:"previous_version"`
	Created         bool      `json:"created"`
	Endpoint        *string   `json:"endpoint"`
	Message         string    `json:"message"`
	CreatedAt       time.Time `json:"created_at"`
}

// InvokeRequest is what Invoke sends.
type InvokeRequest struct {
	// Event is ctx.event; empty means {"kind": "manual"}.
	Event json.RawMessage `json:"event,omitempty"`
	// Version runs that version instead of the active one.
	Version *int32 `json:"version,omitempty"`
}

// InvokeResult is what one run produced.
type InvokeResult struct {
	InvocationID    string          `json:"invocation_id"`
	Script          string          `json:"script"`
	Version         int32           `json:"version"`
	Outcome         string          `json:"outcome"`
	Result          json.RawMessage `json:"result"`
	Logs            []LogLine       `json:"logs"`
	LogsDropped     int             `json:"logs_dropped"`
	FuelUsed        int64           `json:"fuel_used"`
	PeakMemoryBytes int64           `json:"peak_memory_bytes"`
	DurationUS      int64           `json:"duration_us"`
	Error           *ScriptError    `json:"error"`
	Recorded        bool            `json:"recorded"`
}

// ScriptError is a run's error with its position.
type ScriptError struct {
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	// Text is the full rendering: position, message, call stack. Recorded
	// invocations carry it in Message.
	Text string `json:"text,omitempty"`
}

// LogLine is one line an invocation logged.
type LogLine struct {
	Seq     int32     `json:"seq"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Invocation is one recorded run. Lists leave out Event, Result and Logs;
// one invocation's GET has them all; the live tail adds Logs.
type Invocation struct {
	ID              string          `json:"id"`
	Script          string          `json:"script"`
	Version         int32           `json:"version"`
	TriggerKind     string          `json:"trigger_kind"`
	TriggerID       *int64          `json:"trigger_id"`
	Attempt         int32           `json:"attempt"`
	StartedAt       time.Time       `json:"started_at"`
	DurationUS      int64           `json:"duration_us"`
	FuelUsed        int64           `json:"fuel_used"`
	PeakMemoryBytes int64           `json:"peak_memory_bytes"`
	Outcome         string          `json:"outcome"`
	Error           *ScriptError    `json:"error"`
	OutboxID        *int64          `json:"outbox_id,omitempty"`
	Event           json.RawMessage `json:"event,omitempty"`
	Result          json.RawMessage `json:"result,omitempty"`
	Logs            []LogLine       `json:"logs,omitempty"`
}

// InvocationFilter selects invocations; zero fields match all.
type InvocationFilter struct {
	Script      string
	Outcome     string
	TriggerKind string
	// Since and Until are RFC 3339 times or durations ago ("15m").
	Since, Until string
	// Limit is the page size (1 to 200; default 50).
	Limit int
	// Cursor is the previous page's NextCursor.
	Cursor string
}

// InvocationPage is one page of invocations, newest first.
type InvocationPage struct {
	Items      []Invocation `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Trigger binds an event source to a script; the member of its Kind is
// set.
type Trigger struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Script      string    `json:"script"`
	Enabled     bool      `json:"enabled"`
	MaxAttempts int32     `json:"max_attempts"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	HTTP       *HTTPTrigger       `json:"http,omitempty"`
	Cron       *CronTrigger       `json:"cron,omitempty"`
	Pubsub     *PubsubTrigger     `json:"pubsub,omitempty"`
	Queue      *QueueTrigger      `json:"queue,omitempty"`
	KV         *KVTrigger         `json:"kv,omitempty"`
	Deadletter *DeadletterTrigger `json:"deadletter,omitempty"`
}

// HTTPTrigger is an http trigger's route.
type HTTPTrigger struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	URL    string `json:"url,omitempty"`
}

// CronTrigger is a cron trigger's schedule.
type CronTrigger struct {
	Schedule      string      `json:"schedule"`
	TimeZone      string      `json:"time_zone,omitempty"`
	NextRunAt     *time.Time  `json:"next_run_at,omitempty"`
	NextFireTimes []time.Time `json:"next_fire_times,omitempty"`
}

// PubsubTrigger is a pubsub trigger's topic pattern.
type PubsubTrigger struct {
	Pattern string `json:"pattern"`
}

// QueueTrigger names the queue a queue trigger consumes.
type QueueTrigger struct {
	Queue string `json:"queue"`
}

// KVTrigger is a kv trigger's key pattern and operations.
type KVTrigger struct {
	KeyPattern string   `json:"key_pattern"`
	Ops        []string `json:"ops,omitempty"`
}

// DeadletterTrigger limits a deadletter trigger to one source kind (nil:
// all).
type DeadletterTrigger struct {
	SourceKind *string `json:"source_kind"`
}

// NewTrigger is what CreateTrigger sends: the script, and the details of
// the kind (only that member set).
type NewTrigger struct {
	Script      string
	Enabled     *bool
	MaxAttempts *int32

	HTTP       *HTTPTrigger
	Cron       *CronTrigger
	Pubsub     *PubsubTrigger
	Queue      *QueueTrigger
	KV         *KVTrigger
	Deadletter *DeadletterTrigger
}

// Token is an API credential, without its secret.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	App        *string    `json:"app"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
	Status     string     `json:"status"`
	// Secret is set only in CreateToken's answer: it is shown once.
	Secret string `json:"secret,omitempty"`
}

// NewToken is what CreateToken sends.
type NewToken struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// App restricts the token to one app.
	App string `json:"app,omitempty"`
	// ExpiresIn is a duration from now: "720h", "90m", "30d".
	ExpiresIn string `json:"expires_in,omitempty"`
}

// Whoami describes the token a request carries.
type Whoami struct {
	TokenID   int64      `json:"token_id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	App       *string    `json:"app"`
	ExpiresAt *time.Time `json:"expires_at"`
}
