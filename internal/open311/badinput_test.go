package open311_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestBadInput sends what clients get wrong and what attackers try: each
// answer is the expected 4xx with a message that names the problem, in the
// spec's error document, and nothing is a 5xx.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.o.Config.MaxBody = 64 << 10
		e.o.Config.MaxMedia = 4 << 10
		e.o.Config.Jurisdiction = "wuxi.gov.cn"
		ctx := context.Background()
		cat, _ := e.f.App.Category("E0601")
		cat.Enabled = false
		if err := e.f.App.PutCategory(ctx, auth.Actor{Role: auth.Admin}, cat); err != nil {
			t.Fatal(err)
		}
		id := e.report("E0102", apptest.PointJinxing, nil)
		e.post("servicerequestupdates.json", url.Values{"api_key": {e.keys["city"]}, "service_request_id": {id}, "status": {"OPEN"}, "update_id": {"u1"}})
		other := e.report("E0102", apptest.PointJiale1, nil)

		ok := func() url.Values {
			return url.Values{"api_key": {e.keys["city"]}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}, "description": {"垃圾"}}
		}
		with := func(mod func(v url.Values)) url.Values { v := ok(); mod(v); return v }
		big := strings.Repeat("很", 4001)
		png := apptest.PNG

		type tc struct {
			name   string
			do     func() resp
			status int
			want   string
		}
		post := func(v url.Values) func() resp { return func() resp { return e.post("requests.json", v) } }
		get := func(path string, q url.Values) func() resp { return func() resp { return e.get(path, q) } }
		upd := func(v url.Values) func() resp {
			return func() resp {
				if v.Get("api_key") == "" {
					v.Set("api_key", e.keys["city"])
				}
				return e.post("servicerequestupdates.json", v)
			}
		}
		raw := func(method, path, ct string, body []byte) func() resp {
			return func() resp {
				req, _ := http.NewRequest(method, e.srv.URL+open311.Prefix+path, bytes.NewReader(body))
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				return e.do(req)
			}
		}
		many := url.Values{}
		for i := 0; i < 501; i++ {
			many.Add("x"+strconv.Itoa(i), "1")
		}
		now := time.Now().UTC()
		day := func(d int) string { return now.AddDate(0, 0, d).Format(time.RFC3339) }
		cases := []tc{
			{"no api_key", post(with(func(v url.Values) { v.Del("api_key") })), 403, "api_key is required"},
			{"unknown api_key", post(with(func(v url.Values) { v.Set("api_key", "o311_guess") })), 403, "invalid or revoked api_key"},
			{"revoked api_key", post(with(func(v url.Values) { v.Set("api_key", e.keys["revoked"]) })), 403, "invalid or revoked api_key"},
			{"revoked api_key on a read", get("requests.json", url.Values{"api_key": {e.keys["revoked"]}}), 403, "invalid or revoked"},
			{"no service_code", post(with(func(v url.Values) { v.Del("service_code") })), 400, "service_code is required"},
			{"unknown service_code", post(with(func(v url.Values) { v.Set("service_code", "X9999") })), 400, "unknown service_code"},
			{"disabled service_code", post(with(func(v url.Values) { v.Set("service_code", "E0601") })), 400, "unknown service_code"},
			{"service_code twice", post(with(func(v url.Values) { v.Add("service_code", "E0101") })), 400, "more than once"},
			{"lat not a number", post(with(func(v url.Values) { v.Set("lat", "north") })), 400, "lat must be a number"},
			{"lat out of range", post(with(func(v url.Values) { v.Set("lat", "95") })), 400, "−90…90"},
			{"long NaN", post(with(func(v url.Values) { v.Set("long", "NaN") })), 400, "long within"},
			{"long infinite", post(with(func(v url.Values) { v.Set("long", "-Inf") })), 400, "long within"},
			{"lat without long", post(with(func(v url.Values) { v.Del("long") })), 400, "go together"},
			{"address only", post(with(func(v url.Values) { v.Del("lat"); v.Del("long"); v.Set("address_string", "南长街 1 号") })), 400, "names no district, street or community"},
			{"address_id only", post(with(func(v url.Values) { v.Del("lat"); v.Del("long"); v.Set("address_id", "#NOTPINPOINTED#") })), 400, "cannot resolve address_id"},
			{"no location", post(with(func(v url.Values) { v.Del("lat"); v.Del("long") })), 400, "location is required"},
			{"outside every grid", post(with(func(v url.Values) { v.Set("lat", "31"); v.Set("long", "121") })), 400, "outside every unit grid"},
			{"outside the key's scope", post(with(func(v url.Values) { v.Set("api_key", e.keys["qmq"]); v.Set("lat", "31.55"); v.Set("long", "120.35") })), 403, "outside your jurisdiction"},
			{"description too long", post(with(func(v url.Values) { v.Set("description", big) })), 400, "longer than 4000"},
			{"description not UTF-8", post(with(func(v url.Values) { v.Set("description", "\xff\xfe") })), 400, "not valid UTF-8"},
			{"bad email", post(with(func(v url.Values) { v.Set("email", "wang at example") })), 400, "not an e-mail address"},
			{"bad phone", post(with(func(v url.Values) { v.Set("phone", "call me <b>") })), 400, "phone may hold"},
			{"media_url not http", post(with(func(v url.Values) { v.Set("media_url", "javascript:alert(1)") })), 400, "media_url must be"},
			{"attribute value not in the list", post(with(func(v url.Values) { v.Set("service_code", "C0101"); v.Set("attribute[hazard]", "fire") })), 400, "must be one of injury, traffic, spreading"},
			{"attribute given twice", post(with(func(v url.Values) { v.Set("service_code", "C0101"); v["attribute[asset_id]"] = []string{"a", "b"} })), 400, "takes one value"},
			{"malformed attribute", post(with(func(v url.Values) { v.Set("attribute[bad code]", "x") })), 400, "malformed attribute"},
			{"attribute too long", post(with(func(v url.Values) { v.Set("attribute[note]", big) })), 400, "longer than 4000"},
			{"other jurisdiction", post(with(func(v url.Values) { v.Set("jurisdiction_id", "shanghai.gov.cn") })), 404, "not served here"},
			{"too many parameters", post(many), 400, "too many parameters"},
			{"huge body", raw("POST", "requests.json", "application/x-www-form-urlencoded", []byte("description="+strings.Repeat("a", 70<<10))), 413, "larger than"},
			{"JSON body", raw("POST", "requests.json", "application/json", []byte(`{"service_code":"E0102"}`)), 415, "application/x-www-form-urlencoded"},
			{"unreadable content type", raw("POST", "requests.json", "multipart/", nil), 415, "Content-Type"},
			{"multipart without boundary", raw("POST", "requests.json", "multipart/form-data", []byte("x")), 400, "boundary"},
			{"broken multipart", raw("POST", "requests.json", "multipart/form-data; boundary=XX", []byte("--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated")), 400, "malformed form body"},
			{"media not an image", func() resp {
				return e.postMultipart("requests.json", ok(), map[string][]byte{"x.jpg": []byte("MZ\x90\x00 not a photo")})
			}, 415, "not a JPEG, PNG or WebP"},
			{"media too large", func() resp {
				return e.postMultipart("requests.json", ok(), map[string][]byte{"x.png": append(append([]byte{}, png...), make([]byte, 5<<10)...)})
			}, 413, "larger than"},
			{"media too many", func() resp {
				return e.postMultipart("requests.json", ok(), map[string][]byte{"1.png": png, "2.png": png, "3.png": png, "4.png": png})
			}, 400, "at most 3 photos"},
			{"media under another name", func() resp {
				var b bytes.Buffer
				b.WriteString("--B\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n")
				b.Write(png)
				b.WriteString("\r\n--B--\r\n")
				return raw("POST", "requests.json?"+ok().Encode(), "multipart/form-data; boundary=B", b.Bytes())()
			}, 400, "send photos as \"media\""},
			{"DELETE", raw("DELETE", "requests.json", "", nil), 405, "not allowed"},
			{"POST to services", raw("POST", "services.json", "", nil), 405, "not allowed"},
			{"unknown format", get("requests.html", nil), 404, ".xml or .json"},
			{"no format", get("requests", nil), 404, ".xml or .json"},
			{"unknown resource", get("foo.json", nil), 404, "no such resource"},
			{"nested path", get("services/E0102/x.json", nil), 404, "no such resource"},
			{"unknown service definition", get("services/X9999.json", nil), 404, "no service"},
			{"bad start_date", get("requests.json", url.Values{"start_date": {"yesterday"}}), 400, "start_date must be a W3C datetime"},
			{"end before start", get("requests.json", url.Values{"start_date": {day(-1)}, "end_date": {day(-2)}}), 400, "end_date is before start_date"},
			{"more than 90 days", get("requests.json", url.Values{"start_date": {day(-91)}, "end_date": {day(0)}}), 400, "more than 90 days"},
			{"bad status", get("requests.json", url.Values{"status": {"pending"}}), 400, "status must be open or closed"},
			{"page_size 0", get("requests.json", url.Values{"page_size": {"0"}}), 400, "page_size must be"},
			{"page_size too big", get("requests.json", url.Values{"page_size": {"5000"}}), 400, "page_size must be"},
			{"page not a number", get("requests.json", url.Values{"page": {"two"}}), 400, "page must be"},
			{"page too deep", get("requests.json", url.Values{"page": {"101"}}), 400, "narrow the date window"},
			{"updates page too deep", get("servicerequestupdates.json", url.Values{"page": {"1001"}, "page_size": {"100"}}), 400, "narrow the date window"},
			{"extensions not boolean", get("requests.json", url.Values{"extensions": {"maybe"}}), 400, "extensions must be true or false"},
			{"bad service_request_id", get("requests.json", url.Values{"service_request_id": {"1,../etc"}}), 400, "not a request number"},
			{"unknown service_code filter", get("requests.json", url.Values{"service_code": {"E0102,Z1"}}), 400, "unknown service_code"},
			{"updated window reversed", get("requests.json", url.Values{"updated_after": {day(0)}, "updated_before": {day(-1)}}), 400, "updated_before is before"},
			{"unknown request", get("requests/99999.json", nil), 404, "no service request"},
			{"malformed request id", get("requests/abc.json", nil), 404, "no service request"},
			{"malformed token", get("tokens/abc.json", nil), 404, "no service request for token"},
			{"unknown token", get("tokens/"+strings.Repeat("ab", 16)+".json", nil), 404, "no service request for token"},
			{"updates: more than 90 days", get("servicerequestupdates.json", url.Values{"start_date": {day(-100)}, "end_date": {day(0)}}), 400, "more than 90 days"},
			{"updates: bad end_date", get("servicerequestupdates.json", url.Values{"end_date": {"2026-13-45"}}), 400, "end_date must be"},
			{"update without status", upd(url.Values{"service_request_id": {id}}), 400, "status is required"},
			{"update with unknown status", upd(url.Values{"service_request_id": {id}, "status": {"SOLVED"}}), 400, "status must be one of"},
			{"update without request", upd(url.Values{"status": {"OPEN"}}), 400, "service_request_id is required"},
			{"update of unknown request", upd(url.Values{"service_request_id": {"99999"}, "status": {"OPEN"}}), 404, "no service request"},
			{"update with bad time", upd(url.Values{"service_request_id": {id}, "status": {"OPEN"}, "updated_datetime": {"noon"}}), 400, "updated_datetime must be"},
			{"update outside the key's scope", upd(url.Values{"api_key": {e.keys["qmq"]}, "service_request_id": {id}, "status": {"OPEN"}}), 404, "no service request"},
			{"update id reused for another request", upd(url.Values{"service_request_id": {other}, "status": {"OPEN"}, "update_id": {"u1"}}), 400, "already used"},
			{"update without key", func() resp {
				return e.post("servicerequestupdates.json", url.Values{"service_request_id": {id}, "status": {"OPEN"}})
			}, 403, "api_key is required"},
		}
		for _, c := range cases {
			r := c.do()
			if r.Status >= 500 {
				t.Errorf("%s: %d %s", c.name, r.Status, r)
				continue
			}
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r)
				continue
			}
			var desc string
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				for _, er := range jsonErrors(t, r) {
					if er.Code != r.Status {
						t.Errorf("%s: error code %d in a %d answer", c.name, er.Code, r.Status)
					}
					desc += er.Description + "\n"
				}
			} else {
				desc = fmsErrors(t, r)
			}
			if !strings.Contains(desc, c.want) {
				t.Errorf("%s: message %q does not say %q", c.name, desc, c.want)
			}
			if !strings.ContainsFunc(desc, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("%s: no Chinese in %q", c.name, desc)
			}
		}
		// Nothing refused was stored.
		cs, err := e.f.App.Cases.List(ctx, e.f.Actors["admin"], casework.Filter{})
		if err != nil || len(cs) != 2 {
			t.Errorf("%d cases after the refusals (want the 2 accepted): %v", len(cs), err)
		}
		// No refusal was an internal error or a panic.
		if strings.Contains(e.log.String(), "level=ERROR") {
			t.Errorf("errors logged:\n%s", e.log)
		}
	})
}
