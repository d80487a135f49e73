//go:build wasip1

package main

import (
	goruntime "runtime"
	"unsafe"

	"github.com/picloud/picloud/hostfuncs/abi"
)

var (
	sh   = newShell(wasmHost{})
	xbuf []byte // the exchange buffer: requests in, see abi
)

// buffer is abi.ExportBuffer.
//
//go:wasmexport picloud_buffer
func buffer(size uint32) uint32 {
	if int(size) > cap(xbuf) || xbuf == nil {
		xbuf = make([]byte, max(int(size), 64<<10))
	}
	xbuf = xbuf[:cap(xbuf)]
	return addr(xbuf)
}

// invoke is abi.ExportInvoke.
//
//go:wasmexport picloud_invoke
func invoke(n uint32) uint64 {
	if int(n) > len(xbuf) {
		n = uint32(len(xbuf)) // a host bug; the request will not decode
	}
	out := sh.invoke(xbuf[:n])
	return uint64(addr(out))<<32 | uint64(len(out))
}

// reset is abi.ExportReset.
//
//go:wasmexport picloud_reset
func reset() uint32 {
	n := sh.programs.reset()
	goruntime.GC()
	return uint32(n)
}

func addr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// The host functions; their documentation is in package hostfuncs.

//go:wasmimport picloud log_write
func logWrite(level uint32, ptr unsafe.Pointer, n uint32) uint32

//go:wasmimport picloud time_now
func timeNow() int64

//go:wasmimport picloud time_expired
func timeExpired() uint32

//go:wasmimport picloud test_echo
func testEcho(ptr unsafe.Pointer, n uint32, outPtr unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) uint32

//go:wasmimport picloud test_panic
func testPanic() uint32

type wasmHost struct{}

func (wasmHost) log(level abi.Level, text string) abi.Status {
	return abi.Status(logWrite(uint32(level), strPtr(text), uint32(len(text))))
}

func (wasmHost) now() int64 { return timeNow() }

func (wasmHost) expired() bool { return timeExpired() != 0 }

func (wasmHost) echo(s string) (string, abi.Status) {
	out := make([]byte, 16)
	for {
		var n uint32
		st := abi.Status(testEcho(strPtr(s), uint32(len(s)), unsafe.Pointer(unsafe.SliceData(out)), uint32(len(out)), unsafe.Pointer(&n)))
		if st == abi.StatusShortBuffer && int(n) > len(out) {
			out = make([]byte, n)
			continue
		}
		if st != abi.StatusOK {
			return "", st
		}
		return string(out[:n]), st
	}
}

func (wasmHost) panicking() abi.Status { return abi.Status(testPanic()) }
