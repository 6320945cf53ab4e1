package open311

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONStringMatchesEncodingJSON checks the fast path of jsonString
// against encoding/json (HTML escaping off) on strings that take it and
// strings that must not.
func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", "井盖缺失 manhole cover missing", "a\"b", `back\slash`, "tab\there", "nl\n", "\x00\x1f",
		"<b>&amp;</b>", "line\u2028sep", "para\u2029sep", "\u2027\u202a edges", "bad \xff utf8", "trunc \xe2\x80", "\xe2", "emoji 🚧", "\x7f del"}
	for _, s := range cases {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		jsonString(&got, s)
		if got.String() != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("jsonString(%q) = %s, want %s", s, got.String(), want.String())
		}
	}
	// The fast path is taken exactly when nothing needs escaping.
	for s, plain := range map[string]bool{"井盖": true, "a\"": false, "\u2028": false, "\xff": false, "ok <>&": true} {
		if plainJSON(s) != plain {
			t.Errorf("plainJSON(%q) = %v, want %v", s, !plain, plain)
		}
	}
}

func BenchmarkJSONString(b *testing.B) {
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		jsonString(&buf, "滨湖区蠡园街道 320213022 井盖缺失，请尽快处理")
	}
}
