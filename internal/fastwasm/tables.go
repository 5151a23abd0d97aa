package fastwasm

import "encoding/binary"

var sbox0 [256]byte
var te0, te1, te2, te3 [256]uint32

func xtime(b byte) byte {
	if b&0x80 != 0 {
		return b<<1 ^ 0x1b
	}
	return b << 1
}

func init() {
	// S-box from the multiplicative inverse and the affine map.
	var p, q byte = 1, 1
	for {
		p = p ^ xtime(p) // multiply by 3
		q ^= q << 1      // divide by 3
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		x := q ^ (q<<1 | q>>7) ^ (q<<2 | q>>6) ^ (q<<3 | q>>5) ^ (q<<4 | q>>4)
		sbox0[p] = x ^ 0x63
		if p == 1 {
			break
		}
	}
	sbox0[0] = 0x63
	for i := 0; i < 256; i++ {
		s := sbox0[i]
		s2 := xtime(s)
		s3 := s2 ^ s
		w := uint32(s2)<<24 | uint32(s)<<16 | uint32(s)<<8 | uint32(s3)
		te0[i] = w
		te1[i] = w>>8 | w<<24
		te2[i] = w>>16 | w<<16
		te3[i] = w>>24 | w<<8
	}
}

// Expand256 is the AES-256 key schedule.
func Expand256(key []byte) *[60]uint32 {
	var rk [60]uint32
	for i := 0; i < 8; i++ {
		rk[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := 8; i < 60; i++ {
		t := rk[i-1]
		if i%8 == 0 {
			t = t<<8 | t>>24
			t = uint32(sbox0[t>>24])<<24 | uint32(sbox0[t>>16&0xff])<<16 | uint32(sbox0[t>>8&0xff])<<8 | uint32(sbox0[t&0xff])
			t ^= rcon << 24
			rcon = uint32(xtime(byte(rcon)))
		} else if i%8 == 4 {
			t = uint32(sbox0[t>>24])<<24 | uint32(sbox0[t>>16&0xff])<<16 | uint32(sbox0[t>>8&0xff])<<8 | uint32(sbox0[t&0xff])
		}
		rk[i] = rk[i-8] ^ t
	}
	return &rk
}
