// Package blob keeps uploaded photos and documents on disk, content-addressed
// by sha256, so the same photo sent twice is stored once and a stored file
// can be checked against its name.
package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/xiuhua/xiuhua"
)

// MaxSize is the largest upload accepted (10 MB).
const MaxSize = 10 << 20

// Dir stores blobs under a folder as ab/cdef… (the sha256 in hex).
type Dir struct{ Root string }

// Sniff returns the image type of the content by its magic bytes, or "" when
// it is not a JPEG, PNG or WebP. The name and the declared type are never trusted.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(head) >= 12 && bytes.Equal(head[0:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}

var idRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidID reports whether id looks like a blob id.
func ValidID(id string) bool { return idRE.MatchString(id) }

// Put reads r to the end (at most MaxSize bytes), checks it is an image and
// stores it durably. It returns the id (sha256 hex), the sniffed type and size.
func (d Dir) Put(r io.Reader) (id, contentType string, size int64, err error) {
	if err := os.MkdirAll(filepath.Join(d.Root, "tmp"), 0o750); err != nil {
		return "", "", 0, err
	}
	tmp, err := os.CreateTemp(filepath.Join(d.Root, "tmp"), "upload-*")
	if err != nil {
		return "", "", 0, err
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	var head bytes.Buffer
	n, err := io.Copy(io.MultiWriter(tmp, h, &limitedBuffer{&head, 512}), io.LimitReader(r, MaxSize+1))
	if err != nil {
		return "", "", 0, xiuhua.Errorf(xiuhua.EInvalid, "upload interrupted: %v", "上传中断：%v", err)
	}
	if n > MaxSize {
		return "", "", 0, tooLarge()
	}
	if n == 0 {
		return "", "", 0, xiuhua.Errorf(xiuhua.EInvalid, "the upload is empty", "上传内容为空")
	}
	contentType = Sniff(head.Bytes())
	if contentType == "" {
		return "", "", 0, xiuhua.Errorf(xiuhua.EUnsupported, "only JPEG, PNG and WebP images are accepted", "仅支持 JPEG、PNG、WebP 格式的图片")
	}
	// The file must be on disk before the caller acknowledges it.
	if err := tmp.Sync(); err != nil {
		return "", "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", "", 0, err
	}
	id = hex.EncodeToString(h.Sum(nil))
	dst := d.Path(id)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", "", 0, err
	}
	tmp = nil
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return id, contentType, n, nil
}

// Path is where a blob's bytes live.
func (d Dir) Path(id string) string { return filepath.Join(d.Root, id[:2], id[2:]) }

// Open opens a stored blob.
func (d Dir) Open(id string) (*os.File, error) {
	if !ValidID(id) {
		return nil, xiuhua.Errorf(xiuhua.ENotFound, "no file %s", "文件 %s 不存在", id)
	}
	return os.Open(d.Path(id))
}

func tooLarge() error {
	return xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 10 MB", "文件超过 10 MB")
}

// limitedBuffer keeps the first n bytes written to it.
type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		l.b.Write(p[:room])
	}
	return len(p), nil
}
