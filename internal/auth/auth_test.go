package auth

import (
	"testing"

	"github.com/xiuhua/xiuhua"
)

func TestWithinAndNarrow(t *testing.T) {
	street := Actor{Role: Dispatcher, Scope: "320213022"}
	if !street.Covers("32021302201001") || street.Covers("32021302301001") || street.Covers("320213") {
		t.Error("Covers is wrong")
	}
	for _, tc := range []struct{ filter, want string }{
		{"", "320213022"},
		{"320213", "320213022"},
		{"320213022010", "320213022010"},
	} {
		got, err := street.Narrow(tc.filter)
		if err != nil || got != tc.want {
			t.Errorf("Narrow(%q) = %q, %v; want %q", tc.filter, got, err, tc.want)
		}
	}
	if _, err := street.Narrow("320211"); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
		t.Errorf("Narrow outside scope: %v", err)
	}
	if got, _ := (Actor{}).Narrow("320211"); got != "320211" {
		t.Errorf("unscoped Narrow = %q", got)
	}
}

func TestToken(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || ha == hb || HashToken(a) != ha || len(a) < 40 {
		t.Fatalf("tokens %q %q", a, b)
	}
}
