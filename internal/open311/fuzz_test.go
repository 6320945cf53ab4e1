package open311_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// fuzzDoor is the Open311 door in process on the fixture, with one request
// in it and a key for the whole installation; rate limits are off.
type fuzzDoor struct {
	o   *open311.Server
	key string
	id  string
}

func newFuzzDoor(tb testing.TB, db *store.DB) *fuzzDoor {
	tb.Helper()
	f := apptest.New(tb, db)
	o := open311.New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	o.Config = open311.DefaultConfig()
	o.Config.PerIP.Rate, o.Config.PerKey.Rate = 0, 0
	o.Config.Jurisdiction = "wuxi.gov.cn"
	_, key, err := open311.AddKey(context.Background(), f.App, "fuzz", "")
	if err != nil {
		tb.Fatal(err)
	}
	d := &fuzzDoor{o: o, key: key}
	form := url.Values{"api_key": {key}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}, "description": {"路边有一堆垃圾"}}
	rec := d.serve("POST", "requests.json", "", "application/x-www-form-urlencoded", []byte(form.Encode()))
	var out []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != 200 || err != nil || len(out) != 1 {
		tb.Fatalf("seed request: %d %s", rec.Code, rec.Body)
	}
	d.id, _ = out[0]["service_request_id"].(string)
	return d
}

// serve sends one request to /open311/v2/path with the raw query as given.
func (d *fuzzDoor) serve(method, path, rawQuery, ct string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, open311.Prefix+path, bytes.NewReader(body))
	req.URL.RawQuery = rawQuery
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	d.o.ServeHTTP(rec, req)
	return rec
}

// checkOpen311 says what is wrong with an answer: a 5xx, or a refusal that is
// not the spec's error document (a JSON array or <errors> of code and
// description) with the status as code and an English and Chinese message.
func checkOpen311(rec *httptest.ResponseRecorder, jsonFormat bool) error {
	if rec.Code >= 500 {
		return fmt.Errorf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code < 400 {
		return nil
	}
	type item struct {
		Code        int    `json:"code" xml:"code"`
		Description string `json:"description" xml:"description"`
	}
	var items []item
	if jsonFormat {
		if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
			return fmt.Errorf("status %d: not a JSON error array (%v): %q", rec.Code, err, rec.Body)
		}
	} else {
		var doc struct {
			XMLName xml.Name `xml:"errors"`
			Items   []item   `xml:"error"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			return fmt.Errorf("status %d: not an <errors> document (%v): %q", rec.Code, err, rec.Body)
		}
		items = doc.Items
	}
	if len(items) == 0 {
		return fmt.Errorf("status %d: no error in %q", rec.Code, rec.Body)
	}
	for _, it := range items {
		en, zh, ok := strings.Cut(it.Description, " / ")
		if it.Code != rec.Code || strings.TrimSpace(en) == "" || !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			return fmt.Errorf("status %d: error %+v (en+zh: %v)", rec.Code, it, ok)
		}
	}
	return nil
}

// readPaths are the resources a GET names, by the fuzzer's pick; "ID" is
// replaced by the door's request.
var readPaths = []string{"discovery", "services", "services/E0102", "services/NOPE", "requests", "requests/ID", "requests/999999",
	"tokens/abc", "servicerequestupdates"}

// FuzzQuery reads every resource of the door with an arbitrary query string
// (filters, dates, pages, ids, keys, locales, repeated and broken
// parameters). No answer is a 5xx; every refusal is the spec's error
// document in the format asked for, in English and Chinese.
func FuzzQuery(f *testing.F) {
	for i, q := range []string{"", "service_request_id=1,2,3", "start_date=2026-11-01T00:00:00Z&end_date=2026-11-30", "status=open,closed&page=2&page_size=10",
		"updated_after=2026-11-25T16:00:00+08:00", "lat=31.52&long=120.22&radius=500", "jurisdiction_id=other", "locale=en&extensions=true",
		"page=-1", "page_size=100000", "start_date=%zz", "a=1&a=2&service_code=E0102&service_code=E0101"} {
		f.Add(uint8(i), q)
	}
	d := newFuzzDoor(f, fuzzStore(f))
	f.Fuzz(func(t *testing.T, pick uint8, query string) {
		path := strings.Replace(readPaths[int(pick)%len(readPaths)], "ID", d.id, 1)
		jsonFormat := pick&0x80 == 0
		if jsonFormat {
			path += ".json"
		} else {
			path += ".xml"
		}
		if pick&0x40 != 0 {
			query += "&api_key=" + url.QueryEscape(d.key)
		}
		rec := d.serve("GET", path, query, "", nil)
		if err := checkOpen311(rec, jsonFormat); err != nil {
			t.Fatalf("GET %s?%s: %v", path, query, err)
		}
	})
}

// formTypes are the Content-Types a POST body is sent with.
var formTypes = []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=B", "", "multipart/form-data",
	"application/x-www-form-urlencoded; charset=gbk", "text/plain", "multipart/form-data; boundary=\"B\"", "multipart/mixed; boundary=B"}

// FuzzForm posts arbitrary bodies to the door's two writes (service
// requests and updates) with each Content-Type, with and without a valid
// key in the query: url-encoded and multipart parsing, size limits, UTF-8
// and parameter checks, then the request's own fields. No answer is a 5xx;
// every refusal is the spec's error document in English and Chinese.
func FuzzForm(f *testing.F) {
	ok := url.Values{"service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}, "description": {"路边有一堆垃圾"}, "email": {"a@b.cn"}}
	f.Add(uint8(0x40), []byte(ok.Encode()))
	f.Add(uint8(0x41), []byte("--B\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\nE0102\r\n--B\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n\r\n"+string(apptest.PNG)+"\r\n--B--\r\n"))
	f.Add(uint8(0x41), []byte("--B\r\nContent-Disposition: form-data; name=\"lat\"\r\n\r\n31.52"))
	f.Add(uint8(0xc0), []byte("service_request_id=1&status=closed&update_id=u9&description=done&updated_datetime=2026-11-25T10:00:00Z"))
	f.Add(uint8(0x40), []byte("lat=NaN&long=Inf&service_code=E0102"))
	f.Add(uint8(0x40), []byte("%ff=%fe&description=%e4%bd"))
	f.Add(uint8(0x02), []byte("service_code=E0102&lat=91&long=181"))
	d := newFuzzDoor(f, fuzzStore(f))
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		path := "requests.json"
		if pick&0x80 != 0 {
			path = "servicerequestupdates.json"
			body = bytes.ReplaceAll(body, []byte("service_request_id=1&"), []byte("service_request_id="+d.id+"&"))
		}
		query := ""
		if pick&0x40 != 0 {
			query = "api_key=" + url.QueryEscape(d.key)
		}
		ct := formTypes[int(pick&0x3f)%len(formTypes)]
		rec := d.serve("POST", path, query, ct, body)
		if err := checkOpen311(rec, true); err != nil {
			t.Fatalf("POST %s (%s) %q: %v", path, ct, body, err)
		}
	})
}

// TestNastyParams sends, on both stores, the characters a database may
// refuse (NUL, invalid UTF-8) in every parameter of every resource, in the
// query and in url-encoded and multipart bodies: refusals, never a 5xx.
func TestNastyParams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := newFuzzDoor(t, db)
		names := []string{"service_code", "service_request_id", "jurisdiction_id", "status", "start_date", "end_date", "updated_after",
			"updated_before", "page", "page_size", "lat", "long", "address_string", "description", "email", "device_id", "account_id",
			"first_name", "last_name", "phone", "media_url", "update_id", "updated_datetime", "locale", "extensions", "attribute[x]", "token"}
		for _, bad := range []string{"%00", "a%00b", "%ff", "%c3%28", "%ed%a0%80"} {
			var q []string
			for _, n := range names {
				q = append(q, url.QueryEscape(n)+"="+bad)
			}
			query := strings.Join(q, "&")
			for _, p := range readPaths {
				for _, key := range []string{"", "&api_key=" + url.QueryEscape(d.key)} {
					path := strings.Replace(p, "ID", d.id, 1) + ".json"
					if err := checkOpen311(d.serve("GET", path, query+key, "", nil), true); err != nil {
						t.Errorf("GET %s with %s: %v", path, bad, err)
					}
				}
				for _, raw := range []string{bad, "x" + bad} {
					path := "requests/" + raw + ".json"
					if err := checkOpen311(d.serve("GET", path, "", "", nil), true); err != nil {
						t.Errorf("GET %s: %v", path, err)
					}
				}
			}
			for _, path := range []string{"requests.json", "servicerequestupdates.json"} {
				body := "api_key=" + url.QueryEscape(d.key) + "&" + strings.ReplaceAll(query, "service_request_id="+bad, "service_request_id="+d.id)
				if err := checkOpen311(d.serve("POST", path, "", "application/x-www-form-urlencoded", []byte(body)), true); err != nil {
					t.Errorf("POST %s with %s: %v", path, bad, err)
				}
				// One field at a time, the others valid, so each reaches its own check.
				for _, n := range names {
					v := url.Values{"api_key": {d.key}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}, "description": {"垃圾"},
						"service_request_id": {d.id}, "status": {"open"}, "update_id": {"u-" + n}, "updated_datetime": {"2026-11-25T10:00:00Z"}}
					v.Del(n)
					b := v.Encode() + "&" + url.QueryEscape(n) + "=" + bad
					if err := checkOpen311(d.serve("POST", path, "", "application/x-www-form-urlencoded", []byte(b)), true); err != nil {
						t.Errorf("POST %s with %s=%s: %v", path, n, bad, err)
					}
				}
			}
		}
	})
}

// fuzzStore is PostgreSQL when XIUHUA_TEST_POSTGRES_URL is set (as in CI:
// text PostgreSQL refuses is a class of bug SQLite hides), else SQLite.
func fuzzStore(f *testing.F) *store.DB {
	if os.Getenv(storetest.EnvPostgres) != "" {
		return storetest.Postgres(f)
	}
	return storetest.SQLite(f)
}
