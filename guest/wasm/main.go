// Command wasm is PiCloud's guest: the Rhai interpreter behind the ABI of package
// hostfuncs/abi, built as a WebAssembly reactor with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o guest.wasm ./guest/wasm
//
// (make guest). Its exports and imports are in exports_wasip1.go; the rest, the
// shell that turns a request into a run of the interpreter, builds and is tested
// on every platform. main is never called: the host calls _initialize, then the
// exports.
package main

func main() {}
