package territory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/xiuhua/xiuhua"
)

// FuzzParseGeoJSON: any bytes either parse into areas that Validate and
// NewIndex accept without panicking, or are refused with an invalid-input
// error that lists its problems. Never a panic, never another error kind.
func FuzzParseGeoJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.geojson")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		areas, err := ParseGeoJSON(data)
		if err != nil {
			e := xiuhua.AsError(err)
			if e.Code != xiuhua.EInvalid && e.Code != xiuhua.ETooLarge || e.Message == "" || e.MessageZh == "" {
				t.Fatalf("refusal without a clear invalid error: %#v", err)
			}
			if areas != nil {
				t.Fatal("areas returned with an error")
			}
			return
		}
		if _, err := Validate(areas, nil); err != nil && xiuhua.ErrorCode(err) != xiuhua.EInvalid {
			t.Fatalf("Validate: %v", err)
		}
		ix := NewIndex(areas)
		for _, a := range areas {
			b := a.Geometry.Bound()
			ix.Locate(b.Center().Lon(), b.Center().Lat())
		}
	})
}
