package abi

import (
	"encoding/binary"
	"errors"
)

// Version is the encoding's version, the first byte of every Request and
// Response. A guest and host built from different trees fail clearly instead of
// misreading each other.
const Version byte = 1

// ErrMalformed is returned when a message does not decode.
var ErrMalformed = errors.New("abi: malformed message")

// Request is one invocation, host → guest.
//
// Encoding: Version, then each field in declaration order; strings and byte
// slices as uvarint length + bytes, integers as uvarint (zig-zag varint for
// signed ones), Env as uvarint count + name/value pairs.
type Request struct {
	App, Script, Version, InvocationID string
	// Source is the script's text. Empty asks the guest to use the program it
	// cached for Version; a guest that has none answers ResponseNeedSource.
	Source string
	// Event is ctx.event as JSON; empty means ().
	Event []byte
	// Env is ctx.env.
	Env    []EnvVar
	Limits Limits
	// WantDisplay asks for Response.Display.
	WantDisplay bool
}

// EnvVar is one of the app's configured variables.
type EnvVar struct{ Name, Value string }

// Limits are the interpreter's limits for one invocation; 0 means the
// interpreter's default (unlimited for Fuel, MaxMemory and the sizes, 64 for
// MaxCallDepth).
type Limits struct {
	Fuel         int64 // interpreter steps
	MaxMemory    int64 // bytes the run may allocate, as the interpreter accounts them
	MaxCallDepth uint32
	MaxStringLen uint32
	MaxArrayLen  uint32
	MaxMapLen    uint32
	// GoMemoryLimit, when non-zero, is passed to debug.SetMemoryLimit in the
	// guest so its GC works harder before linear memory reaches the hard cap.
	GoMemoryLimit int64
}

// ResponseStatus says how the guest handled a Request.
type ResponseStatus uint8

const (
	// ResponseDone: the script ran (or failed to compile); see Error.
	ResponseDone ResponseStatus = iota
	// ResponseNeedSource: Source was empty and Version is not cached; resend
	// with Source.
	ResponseNeedSource
	// ResponseBadRequest: the request did not decode; Error.Message says why.
	ResponseBadRequest
)

// Response is the result of one invocation, guest → host.
type Response struct {
	Status ResponseStatus
	// Value is the script's result as JSON when Error.Kind is empty.
	Value []byte
	// Type is the result's type_of name ("i64", "map" …); Display is the
	// result as print shows it, when the request asked for it.
	Type, Display string
	// Fuel is the number of steps used; PeakMemory the interpreter's accounted
	// peak in bytes.
	Fuel, PeakMemory int64
	Error            ErrorInfo
}

// ErrorInfo describes a failed run. Kind is empty on success.
type ErrorInfo struct {
	// Kind is Rhai's error variant name, e.g. "ErrorRuntime",
	// "ErrorTooManyOperations", "ErrorParsing".
	Kind    string
	Message string // the message alone
	Text    string // the full rendering: position, source line, call stack
	Line    uint32 // 1-based; 0 when unknown
	Col     uint32
	// ParseKind is a parse error's variant (UnexpectedEOF, MissingToken …),
	// empty for other errors.
	ParseKind string
}

// AppendBinary appends r's encoding to b.
func (r *Request) AppendBinary(b []byte) []byte {
	b = append(b, Version)
	b = appendString(b, r.App)
	b = appendString(b, r.Script)
	b = appendString(b, r.Version)
	b = appendString(b, r.InvocationID)
	b = appendString(b, r.Source)
	b = appendBytes(b, r.Event)
	b = binary.AppendUvarint(b, uint64(len(r.Env)))
	for _, v := range r.Env {
		b = appendString(b, v.Name)
		b = appendString(b, v.Value)
	}
	l := &r.Limits
	b = binary.AppendVarint(b, l.Fuel)
	b = binary.AppendVarint(b, l.MaxMemory)
	b = binary.AppendUvarint(b, uint64(l.MaxCallDepth))
	b = binary.AppendUvarint(b, uint64(l.MaxStringLen))
	b = binary.AppendUvarint(b, uint64(l.MaxArrayLen))
	b = binary.AppendUvarint(b, uint64(l.MaxMapLen))
	b = binary.AppendVarint(b, l.GoMemoryLimit)
	return appendBool(b, r.WantDisplay)
}

// UnmarshalBinary decodes b into r. Strings and Event are copied, so b may be
// reused afterwards.
func (r *Request) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	r.App = d.string()
	r.Script = d.string()
	r.Version = d.string()
	r.InvocationID = d.string()
	r.Source = d.string()
	r.Event = d.bytes()
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each entry takes at least two bytes
		d.fail()
	}
	r.Env = r.Env[:0]
	for i := uint64(0); i < n && d.err == nil; i++ {
		r.Env = append(r.Env, EnvVar{Name: d.string(), Value: d.string()})
	}
	l := &r.Limits
	l.Fuel = d.varint()
	l.MaxMemory = d.varint()
	l.MaxCallDepth = d.uint32()
	l.MaxStringLen = d.uint32()
	l.MaxArrayLen = d.uint32()
	l.MaxMapLen = d.uint32()
	l.GoMemoryLimit = d.varint()
	r.WantDisplay = d.bool()
	return d.finish()
}

// AppendBinary appends r's encoding to b.
func (r *Response) AppendBinary(b []byte) []byte {
	b = append(b, Version, byte(r.Status))
	b = appendBytes(b, r.Value)
	b = appendString(b, r.Type)
	b = appendString(b, r.Display)
	b = binary.AppendVarint(b, r.Fuel)
	b = binary.AppendVarint(b, r.PeakMemory)
	e := &r.Error
	b = appendString(b, e.Kind)
	b = appendString(b, e.Message)
	b = appendString(b, e.Text)
	b = binary.AppendUvarint(b, uint64(e.Line))
	b = binary.AppendUvarint(b, uint64(e.Col))
	return appendString(b, e.ParseKind)
}

// UnmarshalBinary decodes b into r, copying what it keeps.
func (r *Response) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	d.version()
	r.Status = ResponseStatus(d.byte())
	if r.Status > ResponseBadRequest {
		d.fail()
	}
	r.Value = d.bytes()
	r.Type = d.string()
	r.Display = d.string()
	r.Fuel = d.varint()
	r.PeakMemory = d.varint()
	e := &r.Error
	e.Kind = d.string()
	e.Message = d.string()
	e.Text = d.string()
	e.Line = d.uint32()
	e.Col = d.uint32()
	e.ParseKind = d.string()
	return d.finish()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// decoder reads fields in order; the first failure sticks and later reads
// return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrMalformed
	}
	d.b = nil
}

func (d *decoder) version() {
	if d.byte() != Version && d.err == nil {
		d.err = errors.New("abi: message version mismatch between guest and host")
		d.b = nil
	}
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail()
	return false
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > 1<<32-1 {
		d.fail()
		return 0
	}
	return uint32(v)
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) string() string { return string(d.raw()) }

func (d *decoder) bytes() []byte {
	p := d.raw()
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = ErrMalformed
	}
	return d.err
}
