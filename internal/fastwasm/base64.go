package fastwasm

import (
	"encoding/binary"
	"unsafe"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var pair [4096]uint16 // 12 bits → two characters, first in the low byte

func init() {
	for i := range pair {
		pair[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
}

// EncodeB64 encodes src into dst (standard, padded); dst must hold it.
func EncodeB64(dst, src []byte) {
	di, si := 0, 0
	n := len(src)
	// 6 bytes → 8 characters per step, reading 8 bytes.
	for si+8 <= n && di+8 <= len(dst) {
		x := binary.BigEndian.Uint64(src[si:])
		v := uint64(pair[x>>52]) | uint64(pair[x>>40&0xfff])<<16 | uint64(pair[x>>28&0xfff])<<32 | uint64(pair[x>>16&0xfff])<<48
		*(*uint64)(unsafe.Pointer(&dst[di])) = v
		si += 6
		di += 8
	}
	for si+3 <= n {
		x := uint32(src[si])<<16 | uint32(src[si+1])<<8 | uint32(src[si+2])
		binary.LittleEndian.PutUint32(dst[di:], uint32(pair[x>>12])|uint32(pair[x&0xfff])<<16)
		si += 3
		di += 4
	}
	switch n - si {
	case 1:
		x := uint32(src[si])
		dst[di], dst[di+1], dst[di+2], dst[di+3] = alphabet[x>>2], alphabet[x<<4&0x3f], '=', '='
	case 2:
		x := uint32(src[si])<<8 | uint32(src[si+1])
		dst[di], dst[di+1], dst[di+2], dst[di+3] = alphabet[x>>10], alphabet[x>>4&0x3f], alphabet[x<<2&0x3f], '='
	}
}
