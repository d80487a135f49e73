//go:build wasip1

package main

import (
	"unsafe"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// The effect functions; their documentation is in package hostfuncs
// (kv.go, pubsub.go, queue.go, effects.go).

//go:wasmimport picloud kv_get
func kvGetImport(keyPtr unsafe.Pointer, keyLen uint32, outPtr unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) uint32

//go:wasmimport picloud kv_set
func kvSetImport(keyPtr unsafe.Pointer, keyLen uint32, valPtr unsafe.Pointer, valLen uint32) uint32

//go:wasmimport picloud kv_delete
func kvDeleteImport(keyPtr unsafe.Pointer, keyLen uint32) uint32

//go:wasmimport picloud kv_list
func kvListImport(reqPtr unsafe.Pointer, reqLen uint32, outPtr unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) uint32

//go:wasmimport picloud kv_incr
func kvIncrImport(keyPtr unsafe.Pointer, keyLen uint32, by int64, outPtr unsafe.Pointer) uint32

//go:wasmimport picloud pubsub_publish
func pubsubPublishImport(reqPtr unsafe.Pointer, reqLen uint32, outPtr unsafe.Pointer) uint32

//go:wasmimport picloud queue_push
func queuePushImport(reqPtr unsafe.Pointer, reqLen uint32, outPtr unsafe.Pointer) uint32

//go:wasmimport picloud error_last
func errorLastImport(outPtr unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) uint32

var _ effectsHost = wasmHost{}

func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// withBuffer calls f with an output buffer, growing it as the host asks.
func withBuffer(size int, f func(out []byte, n *uint32) abi.Status) ([]byte, abi.Status) {
	out := make([]byte, size)
	for {
		var n uint32
		st := f(out, &n)
		if st == abi.StatusShortBuffer && int(n) > len(out) {
			out = make([]byte, n)
			continue
		}
		if st != abi.StatusOK {
			return nil, st
		}
		return out[:n], st
	}
}

func (wasmHost) kvGet(key string) ([]byte, abi.Status) {
	return withBuffer(1024, func(out []byte, n *uint32) abi.Status {
		return abi.Status(kvGetImport(strPtr(key), uint32(len(key)), bytesPtr(out), uint32(len(out)), unsafe.Pointer(n)))
	})
}

func (wasmHost) kvSet(key string, value []byte) abi.Status {
	return abi.Status(kvSetImport(strPtr(key), uint32(len(key)), bytesPtr(value), uint32(len(value))))
}

func (wasmHost) kvDelete(key string) abi.Status {
	return abi.Status(kvDeleteImport(strPtr(key), uint32(len(key))))
}

func (wasmHost) kvList(req []byte) ([]byte, abi.Status) {
	return withBuffer(16<<10, func(out []byte, n *uint32) abi.Status {
		return abi.Status(kvListImport(bytesPtr(req), uint32(len(req)), bytesPtr(out), uint32(len(out)), unsafe.Pointer(n)))
	})
}

func (wasmHost) kvIncr(key string, by int64) (int64, abi.Status) {
	var out int64
	st := abi.Status(kvIncrImport(strPtr(key), uint32(len(key)), by, unsafe.Pointer(&out)))
	return out, st
}

func (wasmHost) publish(req []byte) ([16]byte, abi.Status) {
	var id [16]byte
	st := abi.Status(pubsubPublishImport(bytesPtr(req), uint32(len(req)), unsafe.Pointer(&id)))
	return id, st
}

func (wasmHost) push(req []byte) ([16]byte, abi.Status) {
	var id [16]byte
	st := abi.Status(queuePushImport(bytesPtr(req), uint32(len(req)), unsafe.Pointer(&id)))
	return id, st
}

func (wasmHost) lastError() string {
	msg, st := withBuffer(256, func(out []byte, n *uint32) abi.Status {
		return abi.Status(errorLastImport(bytesPtr(out), uint32(len(out)), unsafe.Pointer(n)))
	})
	if st != abi.StatusOK {
		return ""
	}
	return string(msg)
}
