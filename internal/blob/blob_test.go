package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
)

func TestPutAndSniff(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	id, ct, n, err := d.Put(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(png)
	if id != hex.EncodeToString(sum[:]) || ct != "image/png" || n != int64(len(png)) {
		t.Fatalf("got %s %s %d", id, ct, n)
	}
	got, err := os.ReadFile(d.Path(id))
	if err != nil || !bytes.Equal(got, png) {
		t.Fatalf("stored bytes differ: %v", err)
	}
	// Same content again: same id, no error.
	if id2, _, _, err := d.Put(bytes.NewReader(png)); err != nil || id2 != id {
		t.Fatalf("second put: %s %v", id2, err)
	}
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, 20)...)
	if _, ct, _, err := d.Put(bytes.NewReader(webp)); err != nil || ct != "image/webp" {
		t.Fatalf("webp: %s %v", ct, err)
	}
	if _, ct, _, err := d.Put(bytes.NewReader([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0})); err != nil || ct != "image/jpeg" {
		t.Fatalf("jpeg: %s %v", ct, err)
	}
}

func TestPutRejects(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	for name, tc := range map[string]struct {
		body []byte
		code xiuhua.Code
	}{
		"pdf named as anything": {[]byte("%PDF-1.7 hello"), xiuhua.EUnsupported},
		"html":                  {[]byte("<html><script>alert(1)</script>"), xiuhua.EUnsupported},
		"empty":                 {nil, xiuhua.EInvalid},
		"too large":             {append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, MaxSize)...), xiuhua.ETooLarge},
	} {
		_, _, _, err := d.Put(bytes.NewReader(tc.body))
		if xiuhua.ErrorCode(err) != tc.code {
			t.Errorf("%s: got %v, want %s", name, err, tc.code)
		}
	}
	// Nothing rejected is left behind.
	ents, _ := os.ReadDir(d.Root + "/tmp")
	if len(ents) != 0 {
		t.Errorf("temp files left: %d", len(ents))
	}
	if _, err := d.Open("../../etc/passwd"); err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Errorf("path traversal not refused: %v", err)
	}
}
