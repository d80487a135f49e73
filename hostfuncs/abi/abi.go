// Package abi is the contract between PiCloud's guest (the Rhai interpreter built
// for wasip1) and its host (package hostfuncs and package runtime): the import
// module's name, the names of host functions and guest exports, status codes and
// the binary encoding of an invocation's request and response.
//
// It depends on the standard library only, so the guest build never pulls in
// wazero.
//
// # Calling convention
//
// The guest exports three functions besides the Go runtime's _initialize:
//
//	picloud_buffer(size u32) -> ptr u32
//	    Returns the address of the guest's exchange buffer, grown to hold at
//	    least size bytes. The address stays valid until the next picloud_buffer
//	    call, so the host caches (ptr, capacity) and calls again only for a
//	    larger request.
//	picloud_invoke(len u32) -> u64
//	    Runs the Request encoded in the first len bytes of the exchange buffer
//	    and returns the Response's location as ptr<<32 | len. The response stays
//	    valid until the next export call.
//	picloud_reset() -> u32
//	    Drops the instance's compiled-script cache, collects garbage and
//	    returns the number of entries dropped. The host calls it after
//	    warming up a spare instance, so that the spare's first request does
//	    not pay for a collection (about 1 ms).
//
// Host functions live in the import module ModuleName. Pointers and lengths are
// u32 offsets into the guest's linear memory; every function that can fail
// returns a Status as u32. Functions that return data take an output buffer
// (out_ptr, out_cap) and an out_len_ptr where the host writes the length of
// the result as a little-endian u32; if the result does not fit, the host
// writes the needed length, copies nothing and returns StatusShortBuffer, and
// the guest retries with a larger buffer.
package abi

// ModuleName is the import module that holds every PiCloud host function.
const ModuleName = "picloud"

// Guest exports.
const (
	ExportBuffer = "picloud_buffer"
	ExportInvoke = "picloud_invoke"
	ExportReset  = "picloud_reset"
)

// Host functions, grouped by family. The family is the prefix before '_'.
const (
	// FuncLogWrite: log_write(level u32, ptr u32, len u32) -> status u32.
	// Appends one line at Level to the invocation's log. StatusLimit once the
	// invocation's line or byte cap is reached (the line is dropped).
	FuncLogWrite = "log_write"

	// FuncTimeNow: time_now() -> i64. Wall-clock time as Unix nanoseconds.
	FuncTimeNow = "time_now"
	// FuncTimeExpired: time_expired() -> u32. 1 when the invocation's wall-time
	// limit has passed or its caller gave up, else 0. The interpreter polls it
	// every few thousand steps.
	FuncTimeExpired = "time_expired"

	// FuncTestEcho: test_echo(ptr u32, len u32, out_ptr u32, out_cap u32,
	// out_len_ptr u32) -> status u32. Copies the input to the output buffer,
	// following the output-buffer convention. Registered only in tests.
	FuncTestEcho = "test_echo"
	// FuncTestPanic: test_panic() -> status u32. Panics inside the host; the
	// registry turns that into StatusInternal. Registered only in tests.
	FuncTestPanic = "test_panic"
)

// Status is a host function's result code.
type Status uint32

// Status codes returned by host functions.
const (
	StatusOK Status = iota
	// StatusFault: a pointer or length lies outside the guest's memory.
	StatusFault
	// StatusBadPayload: the bytes passed do not decode (bad UTF-8, bad encoding,
	// an unknown level or option).
	StatusBadPayload
	// StatusLimit: a per-invocation cap is reached (log lines or bytes).
	StatusLimit
	// StatusShortBuffer: the result does not fit in the output buffer; its
	// length was written to out_len_ptr.
	StatusShortBuffer
	// StatusUnavailable: the function is not available here (called outside an
	// invocation, or its family is not configured).
	StatusUnavailable
	// StatusInternal: the host failed (a recovered panic, a backend error).
	StatusInternal
)

var statusNames = [...]string{"ok", "fault", "bad_payload", "limit", "short_buffer", "unavailable", "internal"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + itoa(uint64(s)) + ")"
}

// Level is a log line's level.
type Level uint32

// Log levels: print and debug come from Rhai's print/debug, the others from
// log::info, log::warn and log::error.
const (
	LevelPrint Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

var levelNames = [...]string{"print", "debug", "info", "warn", "error"}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return int(l) < len(levelNames) }

func (l Level) String() string {
	if l.Valid() {
		return levelNames[l]
	}
	return "level(" + itoa(uint64(l)) + ")"
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
