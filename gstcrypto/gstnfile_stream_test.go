package gstcrypto

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// ecbWriter encrypts what is written to it with AES-ECB-PKCS7, block by
// block, so a test can build a FILEDET file of any size as a stream.
type ecbWriter struct {
	w       io.Writer
	block   cipher.Block
	partial []byte
}

func (e *ecbWriter) Write(p []byte) (int, error) {
	n := len(p)
	buf := append(e.partial, p...)
	full := len(buf) - len(buf)%aes.BlockSize
	for i := 0; i < full; i += aes.BlockSize {
		e.block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	if _, err := e.w.Write(buf[:full]); err != nil {
		return 0, err
	}
	e.partial = append(e.partial[:0:0], buf[full:]...)
	return n, nil
}

func (e *ecbWriter) Close() error {
	pad := aes.BlockSize - len(e.partial)
	last := append(e.partial, bytes.Repeat([]byte{byte(pad)}, pad)...)
	e.block.Encrypt(last, last)
	_, err := e.w.Write(last)
	return err
}

// streamPayload writes n bytes of JSON-like records, each one different, to
// w and returns their SHA-256.
func streamPayload(w io.Writer, n int64) ([]byte, error) {
	h := sha256.New()
	out := io.MultiWriter(w, h)
	var rec []byte
	for i := int64(0); n > 0; i++ {
		rec = fmt.Appendf(rec[:0], `{"inum":"S-%08d","val":%d.50,"pos":"27","itms":[{"rt":18,"txval":%d}]},`, i, i*37%100000, i%9973)
		if int64(len(rec)) > n {
			rec = rec[:n]
		}
		if _, err := out.Write(rec); err != nil {
			return nil, err
		}
		n -= int64(len(rec))
	}
	return h.Sum(nil), nil
}

// writeGSTNFile writes a FILEDET file holding n payload bytes to w as a
// stream and returns the payload's SHA-256.
func writeGSTNFile(w io.Writer, ek []byte, n int64) ([]byte, error) {
	b64len := func(n int64) int64 { return (n + 2) / 3 * 4 }
	inner := b64len(n)
	size := b64len(inner + aes.BlockSize - inner%aes.BlockSize)
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "returns_1.json", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	outer := base64.NewEncoder(base64.StdEncoding, tw)
	block, _ := aes.NewCipher(ek)
	ecb := &ecbWriter{w: outer, block: block}
	plain := base64.NewEncoder(base64.StdEncoding, ecb)
	sum, err := streamPayload(plain, n)
	if err != nil {
		return nil, err
	}
	for _, c := range []io.Closer{plain, ecb, outer, tw, gz} {
		if err := c.Close(); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// heapWatcher is a writer that hashes what it gets and samples the heap in
// use every few MiB.
type heapWatcher struct {
	h        io.Writer
	n, next  int64
	peakHeap uint64
}

func (w *heapWatcher) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	if w.n >= w.next {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.peakHeap = max(w.peakHeap, m.HeapInuse)
		w.next = w.n + 4<<20
	}
	return w.h.Write(p)
}

// TestGSTNFileStreamsInConstantMemory decrypts a 200 MiB FILEDET payload
// (4 MiB under the race detector or -short; make test-go also runs it
// without the race detector at full size) through NewGSTNFileReader and checks
// that the heap stays far below the payload's size. The file itself is
// produced as a stream and hashed, then produced again for the reader, so
// neither side ever holds it whole.
func TestGSTNFileStreamsInConstantMemory(t *testing.T) {
	size := int64(200 << 20)
	if raceEnabled || testing.Short() {
		size = 4 << 20
	}
	ek := testKey32(42)
	fileHash := sha256.New()
	want, err := writeGSTNFile(fileHash, ek, size)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { _, err := writeGSTNFile(pw, ek, size); pw.CloseWithError(err) }()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	got := sha256.New()
	watch := &heapWatcher{h: got}
	n, err := DecryptGSTNFile(ek, hex.EncodeToString(fileHash.Sum(nil)), pr, watch)
	if err != nil {
		t.Fatal(err)
	}
	if n != size || !bytes.Equal(got.Sum(nil), want) {
		t.Fatalf("decrypted %d bytes; want %d with the same SHA-256", n, size)
	}
	grew := int64(watch.peakHeap) - int64(before.HeapInuse)
	t.Logf("%d MiB streamed; heap in use grew by at most %.1f MiB", size>>20, float64(grew)/(1<<20))
	if grew > 32<<20 {
		t.Fatalf("heap grew by %d bytes while streaming %d", grew, size)
	}
}
