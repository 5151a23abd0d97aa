package gstcrypto

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/aes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strings"

	"github.com/gstauth/gstauth/internal/b64"
	"github.com/gstauth/gstauth/internal/ecb"
)

// GSTN large-file downloads (FILEDET).
//
// A FILEDET response gives urls[{ul, hash}] and ek. Each downloaded file is
// a tar.gz whose SHA-256 (lower-case hex) must equal hash. Inside, the first
// regular member whose name ends in ".json" holds base64(AES-256-ECB-PKCS7(
// EK, base64(json))) with EK = b64d(ek) — the same layering as a GSTN
// response payload, without REK or HMAC (india-compliance FilesAPI:
// hash_sha256 over the download, tar_gz_bytes_to_data, aes_decrypt_data with
// the ek, then b64decode).
//
// Files can be hundreds of megabytes, so the reader streams in constant
// memory. It hashes every byte it reads and holds back the last plaintext
// block until the whole file has been read and its hash checked: a reader
// that returns io.EOF has delivered a verified, correctly padded payload.
// Bytes delivered before io.EOF are not yet authenticated; write them to a
// temporary place and use them only when the read ends without error.

// NewGSTNFileReader returns a reader of the JSON inside a FILEDET download
// read from r. ek is the decoded 32-byte key and hashHex the expected
// SHA-256 in hex. A hash mismatch, bad padding or bad key is
// CodeDecryptFailed; a file that is not a tar.gz with a .json member is
// CodeInvalidInput.
func NewGSTNFileReader(r io.Reader, ek []byte, hashHex string) (io.Reader, error) {
	if err := checkAESKey(ek); err != nil {
		return nil, err
	}
	want, err := hex.DecodeString(strings.TrimSpace(hashHex))
	if err != nil || len(want) != sha256.Size {
		return nil, newError(CodeInvalidInput, "hash must be a SHA-256 in hex")
	}
	h := sha256.New()
	f := &gstnFileReader{src: r, h: h, want: want, block: ecb.New(ek)}
	f.tee = io.TeeReader(r, h)
	return f, nil
}

// DecryptGSTNFile copies the verified JSON of a FILEDET download from r to w
// and returns the number of bytes written. On error, what w received must be
// discarded.
func DecryptGSTNFile(ek []byte, hashHex string, r io.Reader, w io.Writer) (int64, error) {
	fr, err := NewGSTNFileReader(r, ek, hashHex)
	if err != nil {
		return 0, err
	}
	return io.Copy(w, fr)
}

type gstnFileReader struct {
	src   io.Reader
	tee   io.Reader
	h     hash.Hash
	want  []byte
	block *ecb.Cipher

	started bool
	inner   io.Reader // the base64 ciphertext → decrypted blocks → json
	err     error
}

func (f *gstnFileReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if !f.started {
		f.started = true
		if err := f.open(); err != nil {
			f.err = err
			return 0, err
		}
	}
	n, err := f.inner.Read(p)
	if err != nil && err != io.EOF {
		f.err = classifyFileErr(err)
		return n, f.err
	}
	if err == io.EOF {
		f.err = io.EOF
	}
	return n, err
}

func (f *gstnFileReader) open() error {
	gz, err := gzip.NewReader(f.tee)
	if err != nil {
		if isCallerIOErr(err) {
			return err
		}
		return newError(CodeInvalidInput, "the file is not gzip")
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return newError(CodeInvalidInput, "the file holds no .json member")
		}
		if err != nil {
			if isCallerIOErr(err) {
				return err
			}
			return newError(CodeInvalidInput, "the file is not a tar archive")
		}
		if hdr.Typeflag == tar.TypeReg && strings.HasSuffix(hdr.Name, ".json") {
			break
		}
	}
	ct := b64.NewStreamDecoder(tr)
	blocks := &ecbReader{src: ct, block: f.block, verify: f.verify}
	f.inner = &plaintextReader{b64.NewStreamDecoder(blocks)}
	return nil
}

// plaintextReader decodes the decrypted base64 text. That text is not yet
// authenticated, so a decoding failure there means a wrong key or a
// corrupted file: CodeDecryptFailed, like any other decryption failure.
type plaintextReader struct{ r io.Reader }

func (p *plaintextReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF && isCorruptBase64(err) {
		err = NewDecryptError()
	}
	return n, err
}

// verify reads the rest of the file through the hash and compares it.
func (f *gstnFileReader) verify() error {
	if _, err := io.Copy(io.Discard, f.tee); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(f.h.Sum(nil), f.want) != 1 {
		return NewDecryptError()
	}
	return nil
}

func classifyFileErr(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if isCorruptBase64(err) {
		return newError(CodeInvalidInput, "the .json member is not base64")
	}
	var fe flate.CorruptInputError
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, tar.ErrHeader) || errors.As(err, &fe) {
		return newError(CodeInvalidInput, "the file is truncated or corrupt")
	}
	return err // an I/O error of the caller's reader
}

// ecbReader decrypts AES-ECB blocks from src, holding back the last block
// until src ends and verify passes, then strips its PKCS#7 padding.
type ecbReader struct {
	src    io.Reader
	block  *ecb.Cipher
	verify func() error

	in   [32 << 10]byte
	nIn  int    // bytes in `in` not yet decrypted
	out  []byte // decrypted bytes ready to give
	held []byte // the last decrypted block, not yet given
	buf  []byte // backing array of out
	done bool
}

func (e *ecbReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.done {
			return 0, io.EOF
		}
		if err := e.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

func (e *ecbReader) fill() error {
	n, err := e.src.Read(e.in[e.nIn:])
	e.nIn += n
	if err != nil && err != io.EOF {
		return classifyFileErr(err)
	}
	if err == io.EOF {
		return e.finish()
	}
	full := e.nIn - e.nIn%aes.BlockSize
	if full == 0 {
		return nil
	}
	// out is empty whenever fill runs, so its buffer is reused.
	buf := append(e.buf[:0], e.held...)
	e.block.Decrypt(e.in[:full], e.in[:full])
	buf = append(buf, e.in[:full]...)
	e.held = append(e.held[:0], buf[len(buf)-aes.BlockSize:]...)
	e.out, e.buf = buf[:len(buf)-aes.BlockSize], buf
	e.nIn = copy(e.in[:], e.in[full:e.nIn])
	return nil
}

func (e *ecbReader) finish() error {
	if e.nIn%aes.BlockSize != 0 || (e.nIn == 0 && len(e.held) == 0) {
		return NewDecryptError()
	}
	e.block.Decrypt(e.in[:e.nIn], e.in[:e.nIn])
	tail := append(append([]byte(nil), e.held...), e.in[:e.nIn]...)
	if err := e.verify(); err != nil {
		return err
	}
	n, ok := unpadPKCS7(tail)
	if !ok {
		return NewDecryptError()
	}
	e.out, e.held, e.nIn, e.done = tail[:n], nil, 0, true
	return nil
}

// EncryptGSTNFile builds a FILEDET download for a JSON payload: a tar.gz
// with one member name holding base64(AES(EK, base64(json))), and its
// SHA-256 in hex. The emulator and tests use it.
func EncryptGSTNFile(ek, payload []byte, name string) (file []byte, hashHex string, err error) {
	if err := checkSize("payload", len(payload), MaxPayloadSize); err != nil {
		return nil, "", err
	}
	if err := checkAESKey(ek); err != nil {
		return nil, "", err
	}
	content := make([]byte, b64.EncodedLen(paddedLen(b64.EncodedLen(len(payload)))))
	sealGSTNChunks(ecb.New(ek), nil, content, payload)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		return nil, "", newError(CodeInvalidInput, "bad member name")
	}
	tw.Write(content)
	tw.Close()
	gz.Close()
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

func isCorruptBase64(err error) bool {
	var ce base64.CorruptInputError
	return errors.As(err, &ce)
}

// isCallerIOErr reports whether err came from the caller's reader rather
// than from the file's format.
func isCallerIOErr(err error) bool {
	if err == io.EOF {
		return false
	}
	_, ours := classifyFileErr(err).(*Error)
	return !ours
}
