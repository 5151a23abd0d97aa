package b64

import (
	"bytes"
	"encoding/base64"
	"io"
	"sync"

	simd "github.com/emmansun/base64"
)

// NewStreamDecoder is the one lenient decoder of gstauth, for FILEDET
// downloads only: their members have always been read as
// encoding/base64.NewDecoder(StdEncoding, r) reads them — CR and LF skipped,
// padding bits not checked — and still are, with the SIMD codec and a
// 32 KiB buffer. Everything else decodes strictly (Decode).
//
// With its line breaks removed, the text's whole 4-character groups are
// judged together, as StdEncoding.Decode would judge them: padding ends
// them, and a group after the padding is a base64.CorruptInputError.
// (encoding/base64's reader accepts groups after padding when the padding
// happens to end one of its internal reads, so what it accepts there
// depends on the sizes of the reads; this reader does not.) One to three
// characters left after the last group end in io.ErrUnexpectedEOF, as with
// encoding/base64's reader; errors of r come through as they are.
func NewStreamDecoder(r io.Reader) io.Reader {
	return &streamDecoder{r: r}
}

const streamChunk = 16 << 10

// streamBuffers are the text and decoded buffers of a decoder, pooled from
// its first read until it ends: a FILEDET file is read by two decoders, and
// allocating theirs anew would be most of what a small file costs.
type streamBuffers struct {
	text [streamChunk]byte
	dec  [streamChunk / 4 * 3]byte
}

var streamPool = sync.Pool{New: func() any { return new(streamBuffers) }}

type streamDecoder struct {
	r      io.Reader
	bufs   *streamBuffers
	text   []byte // text[:n] is read and not yet decoded, line breaks removed
	n      int
	dec    []byte // backing array of out
	out    []byte // decoded and not yet returned
	padded bool   // the padding was decoded: the text must end
	offset int64  // text decoded so far, for error offsets
	err    error
}

func (d *streamDecoder) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			d.release()
			return 0, d.err
		}
		if d.bufs == nil {
			d.bufs = streamPool.Get().(*streamBuffers)
			d.text, d.dec = d.bufs.text[:], d.bufs.dec[:]
		}
		d.fill()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// release gives the buffers back, cleared, once everything decoded has been
// returned and the decoder has ended.
func (d *streamDecoder) release() {
	if d.bufs != nil {
		*d.bufs = streamBuffers{}
		streamPool.Put(d.bufs)
		d.bufs, d.text, d.dec = nil, nil, nil
	}
}

// fill reads once from r and decodes the whole 4-character groups it has.
func (d *streamDecoder) fill() {
	m, rerr := d.r.Read(d.text[d.n:])
	d.n += dropLineBreaks(d.text[d.n : d.n+m])
	if q := d.n / 4 * 4; q > 0 {
		if d.padded {
			d.err = base64.CorruptInputError(d.offset)
			return
		}
		k, err := simd.StdEncoding.Decode(d.dec, d.text[:q])
		if err != nil {
			if c, ok := err.(simd.CorruptInputError); ok {
				d.err = base64.CorruptInputError(d.offset + int64(c))
			} else {
				d.err = base64.CorruptInputError(d.offset)
			}
			return
		}
		d.padded = k < q/4*3
		d.out = d.dec[:k]
		d.n = copy(d.text, d.text[q:d.n])
		d.offset += int64(q)
	}
	switch {
	case rerr == io.EOF && d.n > 0:
		d.err = io.ErrUnexpectedEOF
	case rerr != nil:
		d.err = rerr
	}
}

// dropLineBreaks removes CR and LF from b in place and returns the length
// left.
func dropLineBreaks(b []byte) int {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return len(b)
	}
	n := 0
	for _, c := range b {
		if c != '\n' && c != '\r' {
			b[n] = c
			n++
		}
	}
	return n
}
