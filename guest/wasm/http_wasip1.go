//go:build wasip1

package main

import (
	"unsafe"

	"github.com/picloud/picloud/hostfuncs/abi"
)

// The http function; its documentation is in package hostfuncs (http.go).

//go:wasmimport picloud http_request
func httpRequestImport(reqPtr unsafe.Pointer, reqLen uint32, outPtr unsafe.Pointer, outCap uint32, outLen unsafe.Pointer) uint32

var _ httpHost = wasmHost{}

func (wasmHost) httpRequest(req []byte) ([]byte, abi.Status) {
	return withBuffer(16<<10, func(out []byte, n *uint32) abi.Status {
		return abi.Status(httpRequestImport(bytesPtr(req), uint32(len(req)), bytesPtr(out), uint32(len(out)), unsafe.Pointer(n)))
	})
}
