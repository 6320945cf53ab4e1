package blob

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua"
)

// FuzzPut: whatever is uploaded is either stored as one of the three image
// types, byte for byte, or refused with 415/400; nothing else is kept.
func FuzzPut(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n...."))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0})
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("GIF89a"))
	d := Dir{Root: f.TempDir()}
	f.Fuzz(func(t *testing.T, data []byte) {
		id, ct, n, err := d.Put(bytes.NewReader(data))
		if err != nil {
			if c := xiuhua.ErrorCode(err); c != xiuhua.EUnsupported && c != xiuhua.EInvalid {
				t.Fatalf("refusal %v", err)
			}
			return
		}
		if ct != Sniff(data) || n != int64(len(data)) || !ValidID(id) {
			t.Fatalf("stored %s %s %d for %d bytes", id, ct, n, len(data))
		}
	})
}
