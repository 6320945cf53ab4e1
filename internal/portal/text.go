package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
)

// badText says whether s is not UTF-8 text or holds a NUL character: no
// field needs one, and PostgreSQL refuses to store or compare such text.
func badText(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }

// checkText refuses a request whose path, query or (once parsed) form
// holds such text: a 400 instead of a database error.
func checkText(r *http.Request) error {
	if badText(r.URL.Path) {
		return xiuhua.Errorf(xiuhua.EInvalid, "the address is not valid text", "请求地址不是有效的文本")
	}
	for _, v := range []url.Values{r.URL.Query(), r.Form} {
		for k, vs := range v {
			if badText(k) || slices.ContainsFunc(vs, badText) {
				return xiuhua.Errorf(xiuhua.EInvalid, "the field %q is not valid text (it holds a NUL character or is not UTF-8)",
					"字段 %q 不是有效的文本（含有 NUL 字符或不是 UTF-8 编码）", strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), "?"))
			}
		}
	}
	return nil
}
