// Package reqtext refuses request text that no field needs and PostgreSQL
// cannot store or compare: invalid UTF-8 and the NUL character. Every door
// checks with it, so that such input is a 400 and never a database error.
package reqtext

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
)

// Bad says whether s is not UTF-8 text or holds a NUL character.
func Bad(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

// Check refuses a request whose path, query or (once parsed) form holds
// such text.
func Check(r *http.Request) error {
	if Bad(r.URL.Path) {
		return xiuhua.Errorf(xiuhua.EInvalid, "the address is not valid text", "请求地址不是有效的文本")
	}
	for _, v := range []url.Values{r.URL.Query(), r.Form} {
		for k, vs := range v {
			if Bad(k) || slices.ContainsFunc(vs, Bad) {
				return xiuhua.Errorf(xiuhua.EInvalid, "the field %q is not valid text (it holds a NUL character or is not UTF-8)",
					"字段 %q 不是有效的文本（含有 NUL 字符或不是 UTF-8 编码）", strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), "?"))
			}
		}
	}
	return nil
}
