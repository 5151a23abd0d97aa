package gstcrypto

import (
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"runtime"
	"sync"

	"github.com/gstauth/gstauth/internal/b64"
	"github.com/gstauth/gstauth/internal/ecb"
)

// The payload passes.
//
// A GSTN payload goes JSON → base64 → AES-ECB → base64 with an HMAC over the
// middle text, a NIC payload JSON → AES-ECB → base64. Run stage after stage
// over a whole payload, every stage reads and writes megabytes of memory; run
// here, each chunk of a few tens of KiB goes through every stage while it is
// still in the L2 cache (1–2 MiB a core on the machines measured), and only
// the output is ever whole. The chunk sizes keep every boundary where all
// stages agree: whole 3-byte base64 groups, whole 4-character groups and
// whole 16-byte AES blocks, so that the concatenated chunks are byte for byte
// the whole-payload result (TestPassesMatchWholePayloadStages).
//
// From parallelMin on, when the process may use a second core, the work is
// split in two: the HMAC, a chain that cannot be split, runs on its own
// goroutine beside everything else; NIC payloads, which have no MAC, are
// cut in two halves. docs/performance.md has the measurements.

const (
	// gstnChunk is the JSON bytes of one GSTN seal pass: a multiple of 36,
	// so that its base64 text is whole AES blocks (48 per 36) whose
	// ciphertext is whole base64 groups. 36 KiB of JSON → 48 KiB of text
	// and ciphertext → 64 KiB of output.
	gstnChunk = 36 << 10
	// nicChunk is the plaintext bytes of one NIC seal pass: whole AES blocks
	// that are whole base64 groups (a multiple of 48).
	nicChunk = 48 << 10
	// textChunk is the base64 text of one open pass: a multiple of 64, so
	// that it decodes to whole AES blocks (48 bytes per 64 characters) whose
	// GSTN plaintext is whole base64 groups.
	textChunk = 64 << 10
	// parallelMin is the payload size from which a second core is used.
	parallelMin = 256 << 10
)

// Scratch buffers hold one chunk of a pass. They are pooled, since
// allocating one per call is most of what a small payload costs (its
// garbage collection included), and cleared before they go back: they may
// have held plaintext.
const (
	smallScratch = 4 << 10
	// chunkScratch holds the largest chunk of any pass: a GSTN seal's
	// padded text (b64.EncodedLen(gstnChunk) + aesBlock), a NIC seal's
	// padded plaintext, writeBase64's text.
	chunkScratch = 48<<10 + aesBlock
)

var scratchPools = [2]sync.Pool{
	{New: func() any { b := make([]byte, smallScratch); return &b }},
	{New: func() any { b := make([]byte, chunkScratch); return &b }},
}

// getScratch returns a pooled buffer of n bytes, n ≤ chunkScratch.
func getScratch(n int) (*[]byte, []byte) {
	pool := &scratchPools[b2i(n > smallScratch)]
	p := pool.Get().(*[]byte)
	return p, (*p)[:n]
}

// putScratch clears the first n bytes of a buffer from getScratch and gives
// it back.
func putScratch(p *[]byte, n int) {
	clear((*p)[:n])
	scratchPools[b2i(len(*p) > smallScratch)].Put(p)
}

// useSecondCore reports whether a payload of n bytes is worth a goroutine.
func useSecondCore(n int) bool {
	return n >= parallelMin && runtime.GOMAXPROCS(0) > 1
}

// sealGSTNChunks writes base64(AES-ECB-PKCS7(c, base64(payload))) to out,
// which must hold exactly that, feeding the inner base64 text to mac when it
// is not nil.
func sealGSTNChunks(c *ecb.Cipher, mac io.Writer, out, payload []byte) {
	p, scratch := getScratch(min(paddedLen(b64.EncodedLen(len(payload))), b64.EncodedLen(gstnChunk)+aesBlock))
	defer putScratch(p, len(scratch))
	for {
		n := min(len(payload), gstnChunk)
		last := n == len(payload)
		t := b64.EncodedLen(n)
		b64.EncodeTo(scratch[:t], payload[:n])
		if mac != nil {
			mac.Write(scratch[:t])
		}
		ct := t
		if last {
			ct = paddedLen(t)
			padPKCS7(scratch[:ct], t)
		}
		c.Encrypt(scratch[:ct], scratch[:ct])
		o := b64.EncodedLen(ct)
		b64.EncodeTo(out[:o], scratch[:ct])
		if last {
			return
		}
		out, payload = out[o:], payload[n:]
	}
}

// sealGSTNOneChunk is sealGSTNChunks with the HMAC for a payload whose
// text fits one scratch buffer after a SHA-256 block (oneChunkSeal): the
// key's inner pad is written just before the text, so the inner and outer
// hashes of RFC 2104 are two sha256.Sum256 calls over memory already there,
// with nothing allocated. A typical request (a few KiB) spends most of its
// time here, in SHA-256.
func sealGSTNOneChunk(c *ecb.Cipher, key, out, payload []byte) [sha256.Size]byte {
	t := b64.EncodedLen(len(payload))
	ct := paddedLen(t)
	p, scratch := getScratch(sha256.BlockSize + ct)
	defer putScratch(p, len(scratch))
	hmacKeyPad(scratch, key, hmacInnerPad)
	text := scratch[sha256.BlockSize:]
	b64.EncodeTo(text[:t], payload)
	inner := sha256.Sum256(scratch[:sha256.BlockSize+t])
	var outer [sha256.BlockSize + sha256.Size]byte
	hmacKeyPad(outer[:], key, hmacOuterPad)
	copy(outer[sha256.BlockSize:], inner[:])
	tag := sha256.Sum256(outer[:])
	clear(outer[:])
	padPKCS7(text, t)
	c.Encrypt(text, text)
	b64.EncodeTo(out, text)
	return tag
}

// oneChunkSeal reports whether a GSTN payload of n bytes fits
// sealGSTNOneChunk.
func oneChunkSeal(n int) bool {
	return sha256.BlockSize+paddedLen(b64.EncodedLen(n)) <= chunkScratch
}

// sealNICChunks writes base64(AES-ECB(c, p)) to out. With final, p is the
// whole payload and gets its PKCS#7 padding; without, p is a leading part of
// it, a multiple of 48 bytes.
func sealNICChunks(c *ecb.Cipher, out, p []byte, final bool) {
	size := min(len(p), nicChunk)
	if final {
		size = min(paddedLen(len(p)), nicChunk+aesBlock)
	}
	sp, scratch := getScratch(size)
	defer putScratch(sp, size)
	for {
		n := min(len(p), nicChunk)
		last := n == len(p)
		ct := n
		if last && final {
			ct = paddedLen(n)
			copy(scratch, p[:n])
			padPKCS7(scratch[:ct], n)
			c.Encrypt(scratch[:ct], scratch[:ct])
		} else {
			c.Encrypt(scratch[:n], p[:n])
		}
		o := b64.EncodedLen(ct)
		b64.EncodeTo(out[:o], scratch[:ct])
		if last {
			return
		}
		out, p = out[o:], p[n:]
	}
}

// sealNIC writes base64(AES-ECB-PKCS7(c, payload)) to out, in two halves on
// two cores when that pays.
func sealNIC(c *ecb.Cipher, out, payload []byte) {
	if !useSecondCore(len(payload)) {
		sealNICChunks(c, out, payload, true)
		return
	}
	half := len(payload) / 2 / nicChunk * nicChunk
	o := b64.EncodedLen(half)
	c2 := *c // the goroutine's own copy keeps c off the heap
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sealNICChunks(&c2, out[:o], payload[:half], false)
	}()
	sealNICChunks(c, out[o:], payload[half:], true)
	wg.Wait()
}

// writeBase64 writes the base64 text of p to h, a chunk at a time.
func writeBase64(h io.Writer, p []byte) {
	bp, buf := getScratch(b64.EncodedLen(min(len(p), gstnChunk)))
	defer putScratch(bp, len(buf))
	for len(p) > 0 {
		n := min(len(p), gstnChunk)
		t := b64.EncodedLen(n)
		b64.EncodeTo(buf[:t], p[:n])
		h.Write(buf[:t])
		p = p[n:]
	}
}

// decryptField decodes the base64 field data, of at most limit bytes, into
// a new buffer and decrypts its whole blocks there under c, a chunk at a
// time; n is the ciphertext's length. Its errors are decodeB64's, the limit
// checked first. With f, the MAC follows the decryption; without, a large
// field is decrypted on two cores.
func decryptField(field string, limit int, c *ecb.Cipher, data []byte, f *macFollower) (buf []byte, n int, err error) {
	if b64.DecodedLen(len(data)) > limit {
		// At the limit only the exact length decides: decode it whole.
		ct, err := decodeB64(field, data, limit)
		if err != nil {
			return nil, 0, err
		}
		whole := len(ct) - len(ct)%aesBlock
		c.Decrypt(ct[:whole], ct[:whole])
		if f != nil {
			f.start(ct, false)
			f.advance(whole)
		}
		return ct, len(ct), nil
	}
	buf = make([]byte, b64.DecodedLen(len(data)))
	var ok bool
	if f != nil {
		f.start(buf, useSecondCore(len(buf)))
		n, ok = decryptText(c, buf, data, true, f.advance)
	} else {
		n, ok = decryptTextSplit(c, buf, data)
	}
	if !ok {
		if f != nil {
			f.stop()
		}
		return nil, 0, b64Error(field, limit, b64.FailureOf(data))
	}
	return buf, n, nil
}

// decryptText decodes the base64 text data into buf, which must hold
// b64.DecodedLen(len(data)) bytes, and decrypts it there, a chunk at a time.
// It returns the ciphertext's length n; when n is not whole blocks, the
// last partial block is left as it is (the caller refuses it). After each
// chunk, advance (when not nil) is told how many bytes of buf are
// plaintext. Without final, data is a leading part of a text and must hold
// no padding. ok is false when data is not strict base64: the caller then
// asks b64.FailureOf the whole text which error that is.
func decryptText(c *ecb.Cipher, buf, data []byte, final bool, advance func(int)) (n int, ok bool) {
	for {
		t := min(len(data), textChunk)
		last := t == len(data)
		k, err := b64.DecodeTo(buf[n:n+b64.DecodedLen(t)], data[:t])
		if err != nil || (k != t/4*3 && (!last || !final)) {
			return 0, false
		}
		whole := k - k%aesBlock
		c.Decrypt(buf[n:n+whole], buf[n:n+whole])
		n += k
		if advance != nil {
			advance(n - k + whole)
		}
		if last {
			return n, true
		}
		data = data[t:]
	}
}

// decryptTextSplit is decryptText (without advance) on two cores when that
// pays: each decodes and decrypts one half of the text.
func decryptTextSplit(c *ecb.Cipher, buf, data []byte) (int, bool) {
	if !useSecondCore(len(data) / 4 * 3) {
		return decryptText(c, buf, data, true, nil)
	}
	split := len(data) / 2 / textChunk * textChunk
	at := split / 4 * 3
	var n1 int
	var ok1 bool
	c2 := *c // the goroutine's own copy keeps c off the heap
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n1, ok1 = decryptText(&c2, buf[:at], data[:split], false, nil)
	}()
	n2, ok2 := decryptText(c, buf[at:], data[split:], true, nil)
	wg.Wait()
	return n1 + n2, ok1 && ok2
}

// macFollower computes the HMAC-SHA256 of a plaintext that is being
// decrypted in place, following the decryption, on its own goroutine when
// the payload is worth a second core. It is told how far the plaintext is
// ready (advance) and, once the padding is checked, where it ends (sum).
// With ofBase64 the MAC is over the base64 text of the plaintext (NIC Rek
// responses), else over the plaintext itself (GSTN).
type macFollower struct {
	mac      *hmacSHA256
	buf      []byte
	ofBase64 bool
	hashed   int

	upTo chan int    // nil when it runs on the caller's goroutine
	done chan []byte // the MAC, when it runs on its own goroutine
}

// testHookMAC, when set by a test, is told the length of every plaintext
// whose MAC a decryption computes to check it.
var testHookMAC func(n int)

func newMACFollower(key []byte, ofBase64 bool) *macFollower {
	return &macFollower{mac: newHMACSHA256(key), ofBase64: ofBase64}
}

// start sets the buffer the plaintext appears in and, with ownGoroutine,
// moves the MAC to a goroutine of its own.
func (f *macFollower) start(buf []byte, ownGoroutine bool) {
	f.buf = buf
	if ownGoroutine {
		// Room for every chunk's message: the decryption never waits.
		f.upTo = make(chan int, len(buf)/(textChunk/4*3)+2)
		f.done = make(chan []byte, 1)
		go f.run()
	}
}

func (f *macFollower) run() {
	end := 0
	for n := range f.upTo {
		end = n
		f.hashTo(n, false)
	}
	f.hashTo(end, true)
	f.done <- f.mac.Sum()
}

// advance says that buf[:n] is plaintext. The last block is held back: only
// sum knows whether it is padding.
func (f *macFollower) advance(n int) {
	n -= aesBlock
	if f.upTo != nil {
		f.upTo <- n
		return
	}
	f.hashTo(n, false)
}

// hashTo feeds buf[hashed:n] to the MAC; unless final, only whole base64
// groups of it when the MAC is over base64.
func (f *macFollower) hashTo(n int, final bool) {
	if n <= f.hashed {
		return
	}
	if f.ofBase64 && !final {
		n = f.hashed + (n-f.hashed)/3*3
	}
	if f.ofBase64 {
		writeBase64(f.mac, f.buf[f.hashed:n])
	} else {
		f.mac.Write(f.buf[f.hashed:n])
	}
	f.hashed = n
}

// sum returns the MAC of buf[:n].
func (f *macFollower) sum(n int) []byte {
	if testHookMAC != nil {
		testHookMAC(n)
	}
	if f.upTo != nil {
		f.upTo <- n
		close(f.upTo)
		return <-f.done
	}
	f.hashTo(n, true)
	return f.mac.Sum()
}

// stop ends the follower's goroutine when its MAC is not needed.
func (f *macFollower) stop() {
	if f.upTo != nil {
		close(f.upTo)
		<-f.done
	}
}

// verifyPaddingAndMAC finishes the decryption of a MACed payload whose n
// ciphertext bytes are now plaintext in buf: it checks the padding and the
// MAC, and returns the unpadded plaintext. A bad padding and a bad MAC take the same
// path: the MAC is computed either way — over the plaintext without its
// padding, or over all of it when the padding is bad — and compared in
// constant time, and both give the one decrypt error. When the MAC runs on
// a second core, meanwhile (if not nil) is given that same plaintext to
// work on until the MAC is ready; what it makes must not leave the call
// unless verifyPaddingAndMAC succeeds.
func verifyPaddingAndMAC(f *macFollower, buf []byte, n int, tag []byte, meanwhile func(p []byte)) ([]byte, error) {
	if n == 0 || n%aesBlock != 0 {
		f.stop()
		return nil, NewDecryptError()
	}
	m, padGood := unpaddedLen(buf[:n])
	if meanwhile != nil && f.upTo != nil {
		f.upTo <- m // the follower may hash up to m while meanwhile runs
		meanwhile(buf[:m])
	}
	macGood := subtle.ConstantTimeCompare(f.sum(m), tag)
	if padGood&macGood != 1 {
		return nil, NewDecryptError()
	}
	return buf[:m], nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
