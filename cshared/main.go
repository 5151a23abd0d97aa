// Command cshared is libgstauth.so: the ops table behind a small C ABI
// (gstauth.h). Each export only moves bytes between C memory and the table;
// the table does the work. Memory handed to C comes from malloc and goes
// back through gstauth_free; the one Go pointer that leaves is a raw output
// lent by gstauth_call_raw_view, pinned until gstauth_release_view. Every export
// recovers panics, so a bug cannot take the host process down. The ABI is
// safe to call from many threads at once.
package main

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/version"
)

var cVersion = C.CString(version.Version) // allocated once, never freed

// Return codes of gstauth_call and gstauth_call_raw.
const (
	rcOK     = 0  // out holds the result
	rcFailed = 1  // out holds the error JSON
	rcMisuse = -1 // the call itself is unusable (null out pointers, negative lengths): nothing written
)

// maxIn bounds what one call copies in, beyond the table's own limits.
const maxIn = abi.MaxInputSize + abi.MaxRawDataSize

// checkIn says whether a C pointer and length describe usable input: a null
// pointer with length 0 is empty input.
func checkIn(p *C.uint8_t, n C.int64_t) bool {
	return n >= 0 && int64(n) <= maxIn && (p != nil || n == 0)
}

// goBytes copies C input into Go memory.
func goBytes(p *C.uint8_t, n C.int64_t) ([]byte, bool) {
	if !checkIn(p, n) {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))...), true
}

// view returns the caller's bulk data as a slice without copying it: raw
// handlers only read it, and the call returns before the caller may free it.
func view(p *C.uint8_t, n C.int64_t) ([]byte, bool) {
	if !checkIn(p, n) {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), true
}

// put copies b into malloc'd memory (one spare NUL byte, so a JSON result
// can be read as a C string) and stores pointer and length.
func put(b []byte, out **C.uint8_t, outLen *C.int64_t) {
	m := C.malloc(C.size_t(len(b) + 1))
	if m == nil {
		*out, *outLen = nil, 0
		return
	}
	dst := unsafe.Slice((*byte)(m), len(b)+1)
	copy(dst, b)
	dst[len(b)] = 0
	*out, *outLen = (*C.uint8_t)(m), C.int64_t(len(b))
}

// opName reads the op's C string, at most 256 bytes (the table refuses
// names over 64). The copying here and in goBytes and put is plain Go code
// over C memory, not calls into C: a cgo call costs more than copying a
// small input.
func opName(op *C.char) string {
	if op == nil {
		return ""
	}
	p := unsafe.Pointer(op)
	n := 0
	for n < 256 && *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

func internal(r any) []byte {
	return abi.ErrorJSON(&core.Error{Code: gstcrypto.CodeInternal, Message: fmt.Sprintf("internal error: %v", r)})
}

func invalidInput(msg string) error {
	return &core.Error{Code: gstcrypto.CodeInvalidInput, Message: msg}
}

//export gstauth_call
func gstauth_call(op *C.char, in *C.uint8_t, inLen C.int64_t, out **C.uint8_t, outLen *C.int64_t) (rc C.int32_t) {
	if out == nil || outLen == nil {
		return rcMisuse
	}
	*out, *outLen = nil, 0
	defer func() {
		if r := recover(); r != nil {
			put(internal(r), out, outLen)
			rc = rcFailed
		}
	}()
	data, ok := goBytes(in, inLen)
	if !ok {
		put(abi.ErrorJSON(invalidInput("input pointer and length do not agree (null with a length, negative, or over the limit)")), out, outLen)
		return rcFailed
	}
	res, ok := abi.Call(opName(op), data)
	put(res, out, outLen)
	if !ok {
		return rcFailed
	}
	return rcOK
}

//export gstauth_call_raw
func gstauth_call_raw(op *C.char, params *C.uint8_t, paramsLen C.int64_t, data *C.uint8_t, dataLen C.int64_t,
	outMeta **C.uint8_t, outMetaLen *C.int64_t, outData **C.uint8_t, outDataLen *C.int64_t) C.int32_t {
	return callRaw(op, params, paramsLen, data, dataLen, outMeta, outMetaLen, outData, outDataLen, false)
}

//export gstauth_call_raw_view
func gstauth_call_raw_view(op *C.char, params *C.uint8_t, paramsLen C.int64_t, data *C.uint8_t, dataLen C.int64_t,
	outMeta **C.uint8_t, outMetaLen *C.int64_t, outData **C.uint8_t, outDataLen *C.int64_t) C.int32_t {
	return callRaw(op, params, paramsLen, data, dataLen, outMeta, outMetaLen, outData, outDataLen, true)
}

// callRaw is gstauth_call_raw, and gstauth_call_raw_view when lendOut: the
// raw output then lent (lend) rather than copied into malloc'd memory.
func callRaw(op *C.char, params *C.uint8_t, paramsLen C.int64_t, data *C.uint8_t, dataLen C.int64_t,
	outMeta **C.uint8_t, outMetaLen *C.int64_t, outData **C.uint8_t, outDataLen *C.int64_t, lendOut bool) (rc C.int32_t) {
	if outMeta == nil || outMetaLen == nil || outData == nil || outDataLen == nil {
		return rcMisuse
	}
	*outMeta, *outMetaLen, *outData, *outDataLen = nil, 0, nil, 0
	defer func() {
		if r := recover(); r != nil {
			if lendOut {
				gstauth_release_view(unsafe.Pointer(*outData))
			} else {
				gstauth_free(unsafe.Pointer(*outData))
			}
			*outData, *outDataLen = nil, 0
			gstauth_free(unsafe.Pointer(*outMeta))
			put(internal(r), outMeta, outMetaLen)
			rc = rcFailed
		}
	}()
	p, ok1 := goBytes(params, paramsLen)
	d, ok2 := view(data, dataLen)
	if !ok1 || !ok2 {
		put(abi.ErrorJSON(invalidInput("params or data pointer and length do not agree")), outMeta, outMetaLen)
		return rcFailed
	}
	meta, raw, ok := abi.CallRaw(opName(op), p, d)
	put(meta, outMeta, outMetaLen)
	if !ok {
		return rcFailed
	}
	if lendOut {
		lend(raw, data, dataLen, outData, outDataLen)
	} else {
		put(raw, outData, outDataLen)
	}
	return rcOK
}

// views holds the raw outputs that gstauth_call_raw_view lent to C, by the
// address it handed out, each pinned until gstauth_release_view.
var views sync.Map // uintptr → *lent

type lent struct {
	pin runtime.Pinner
	raw []byte // keeps the output reachable while it is lent
}

// lend pins raw (owned by the caller of abi.CallRaw: no op returns memory it
// writes again) and stores its address and length for C. A copy is lent
// instead when raw lies in the caller's own data (an op that returns its
// input or a part of it: the view must not depend on the caller's buffer) or
// is on loan already (memory an op shares between calls: one view's release
// must not unpin another's).
func lend(raw []byte, data *C.uint8_t, dataLen C.int64_t, out **C.uint8_t, outLen *C.int64_t) {
	if len(raw) == 0 {
		return
	}
	at, from := uintptr(unsafe.Pointer(&raw[0])), uintptr(unsafe.Pointer(data))
	copyFirst := data != nil && at >= from && at < from+uintptr(dataLen)
	for ; ; copyFirst = true {
		if copyFirst {
			raw = append([]byte(nil), raw...)
		}
		l := &lent{raw: raw}
		l.pin.Pin(&raw[0])
		if _, held := views.LoadOrStore(uintptr(unsafe.Pointer(&raw[0])), l); !held {
			break
		}
		l.pin.Unpin()
	}
	*out, *outLen = (*C.uint8_t)(unsafe.Pointer(&raw[0])), C.int64_t(len(raw))
}

//export gstauth_release_view
func gstauth_release_view(p unsafe.Pointer) {
	if p == nil {
		return
	}
	if l, ok := views.LoadAndDelete(uintptr(p)); ok {
		l.(*lent).pin.Unpin()
	}
}

//export gstauth_free
func gstauth_free(p unsafe.Pointer) {
	C.free(p) // free(NULL) is a no-op
}

//export gstauth_version
func gstauth_version() *C.char { return cVersion }

func main() {}
