//go:build picloud_embed

package guestbin

import _ "embed"

// guest.wasm is written by `make guest`; `make build` embeds it so the binary
// needs neither the source tree nor the Go toolchain at run time.
//
//go:embed guest.wasm
var embeddedWasm []byte

func init() { embedded = embeddedWasm }
