package fastwasm

import "encoding/binary"

// Digest is a SHA-256 hash.Hash over blockSHA256.
type Digest struct {
	h   [8]uint32
	x   [64]byte
	nx  int
	len uint64
}

func NewSHA256() *Digest { d := new(Digest); d.Reset(); return d }

func (d *Digest) Reset() {
	d.h = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
	d.nx, d.len = 0, 0
}
func (d *Digest) Size() int      { return 32 }
func (d *Digest) BlockSize() int { return 64 }
func (d *Digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nx > 0 {
		k := copy(d.x[d.nx:], p)
		d.nx += k
		if d.nx == 64 {
			blockSHA256(&d.h, d.x[:])
			d.nx = 0
		}
		p = p[k:]
	}
	if len(p) >= 64 {
		m := len(p) &^ 63
		blockSHA256(&d.h, p[:m])
		p = p[m:]
	}
	if len(p) > 0 {
		d.nx = copy(d.x[:], p)
	}
	return n, nil
}
func (d *Digest) Sum(in []byte) []byte {
	c := *d
	var pad [72]byte
	pad[0] = 0x80
	l := c.len
	k := (55 - int(l%64) + 64) % 64
	binary.BigEndian.PutUint64(pad[k+1:], l*8)
	c.Write(pad[:k+9])
	var out [32]byte
	for i := range c.h {
		binary.BigEndian.PutUint32(out[4*i:], c.h[i])
	}
	return append(in, out[:]...)
}
