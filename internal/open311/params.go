package open311

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
)

// form parses the query (GET) or the body and the query (POST): url-encoded
// or multipart, bounded in size. Parameters may come either way, as the spec
// puts POST parameters in the query and clients put them in the body.
func (s *Server) form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, xiuhua.Errorf(xiuhua.EInvalid, "malformed query string: %v", "查询字符串格式错误：%v", err)
		}
		return q, checkValues(q)
	}
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Header.Get("Content-Type") == "" {
		ct, err = "application/x-www-form-urlencoded", nil
	}
	if err != nil {
		return nil, xiuhua.Errorf(xiuhua.EUnsupported, "unreadable Content-Type: send application/x-www-form-urlencoded or multipart/form-data",
			"无法识别的 Content-Type：请使用 application/x-www-form-urlencoded 或 multipart/form-data")
	}
	switch ct {
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, s.Config.MaxBody)
		if err := r.ParseForm(); err != nil {
			return nil, formErr(err, s.Config.MaxBody)
		}
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, xiuhua.Errorf(xiuhua.EInvalid, "multipart/form-data without a boundary", "multipart/form-data 缺少 boundary")
		}
		limit := s.Config.MaxBody + int64(s.Config.MaxMediaFiles)*s.Config.MaxMedia
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		// Small parts stay in memory; photos beyond that go to temporary files
		// that the server removes after the request.
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, formErr(err, limit)
		}
	default:
		return nil, xiuhua.Errorf(xiuhua.EUnsupported, "Content-Type %s is not accepted: send application/x-www-form-urlencoded or multipart/form-data",
			"不支持的 Content-Type %s：请使用 application/x-www-form-urlencoded 或 multipart/form-data", ct)
	}
	return r.Form, checkValues(r.Form)
}

func formErr(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return xiuhua.Errorf(xiuhua.ETooLarge, "the request body is larger than %d bytes", "请求内容超过 %d 字节", limit)
	}
	return xiuhua.Errorf(xiuhua.EInvalid, "malformed form body: %v", "表单内容格式错误：%v", err)
}

// checkValues refuses text that is not UTF-8 (the spec requires UTF-8
// everywhere) or holds a NUL character (which no text needs and PostgreSQL
// refuses to store), and too many parameters.
func checkValues(v url.Values) error {
	n := 0
	for k, vs := range v {
		n += len(vs)
		if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
			return xiuhua.Errorf(xiuhua.EInvalid, "a parameter name is not valid UTF-8 text", "参数名不是有效的 UTF-8 文本")
		}
		for _, s := range vs {
			if !utf8.ValidString(s) {
				return xiuhua.Errorf(xiuhua.EInvalid, "parameter %s is not valid UTF-8", "参数 %s 不是有效的 UTF-8 编码", k)
			}
			if strings.IndexByte(s, 0) >= 0 {
				return xiuhua.Errorf(xiuhua.EInvalid, "parameter %s contains a NUL character", "参数 %s 含有 NUL 字符", k)
			}
		}
	}
	if n > 500 {
		return xiuhua.Errorf(xiuhua.EInvalid, "too many parameters (%d; at most 500)", "参数过多（%d 个，最多 500 个）", n)
	}
	return nil
}

// one returns a single-valued parameter, trimmed; a parameter given twice
// with different values is an error rather than a silent choice.
func one(v url.Values, name string) (string, error) {
	vs := v[name]
	if len(vs) == 0 {
		return "", nil
	}
	for _, x := range vs[1:] {
		if strings.TrimSpace(x) != strings.TrimSpace(vs[0]) {
			return "", xiuhua.Errorf(xiuhua.EInvalid, "%s is given more than once", "参数 %s 重复且取值不同", name)
		}
	}
	return strings.TrimSpace(vs[0]), nil
}

// locale says which language names and notes are shown in: Chinese unless
// locale=en….
type locale int

const (
	zh locale = iota
	en
)

func localeOf(v url.Values) locale {
	if strings.HasPrefix(strings.ToLower(v.Get("locale")), "en") {
		return en
	}
	return zh
}

func (l locale) pick(s [2]string) string {
	if l == en {
		return s[0]
	}
	return s[1]
}

// parseTime reads a W3C datetime (RFC 3339, e.g. 2010-01-01T00:00:00Z or
// with an offset; a date alone is midnight in the calendar's zone). A '+'
// of an offset that a client forgot to escape arrives as a space and is
// read as '+'.
func parseTime(name, v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if len(v) > 19 && v[len(v)-6] == ' ' {
		v = v[:len(v)-6] + "+" + v[len(v)-5:]
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, xiuhua.Errorf(xiuhua.EInvalid, "%s must be a W3C datetime such as 2026-11-25T08:00:00Z or 2026-11-25T16:00:00+08:00, not %q",
		"%s 须为 W3C 时间格式，如 2026-11-25T08:00:00Z 或 2026-11-25T16:00:00+08:00，而不是 %q", name, short(v))
}

// w3c formats a time for an answer, in the calendar's zone with its offset.
func w3c(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}

// short cuts a value for an error message.
func short(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		return string(r[:40]) + "…"
	}
	return s
}

// checkJurisdiction refuses a jurisdiction_id this endpoint does not serve.
func (s *Server) checkJurisdiction(v url.Values) error {
	j, err := one(v, "jurisdiction_id")
	if err != nil {
		return err
	}
	if j != "" && s.Config.Jurisdiction != "" && !strings.EqualFold(j, s.Config.Jurisdiction) {
		return xiuhua.Errorf(xiuhua.ENotFound, "jurisdiction_id %q is not served here (this endpoint serves %s)",
			"此接口不服务 jurisdiction_id %q（本接口服务 %s）", short(j), s.Config.Jurisdiction)
	}
	return nil
}
