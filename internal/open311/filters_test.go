package open311_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestRequestFilters checks the spec's filters and the paging extension on
// five requests, newest first.
func TestRequestFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.report("E0102", apptest.PointJiale1, nil)
		b := e.report("E0104", apptest.PointJiale2, nil)
		c := e.report("E0102", apptest.PointNanyuan, nil)
		d := e.report("C0110", apptest.PointJinxing, nil)
		x := e.report("E0102", apptest.PointJinxing, nil)
		e.act("dispatcher", b, casework.Reject, casework.Input{Reason: "重复"})
		e.act("dispatcher", d, casework.Register, casework.Input{})
		now := time.Now().UTC()
		q := func(kv ...string) url.Values {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		cases := []struct {
			name string
			q    url.Values
			want []string
		}{
			{"default: last 90 days, newest first", nil, []string{x, d, c, b, a}},
			{"service_code", q("service_code", "E0102"), []string{x, c, a}},
			{"service_code list", q("service_code", "E0104,C0110"), []string{d, b}},
			{"status open", q("status", "open"), []string{x, d, c, a}},
			{"status closed", q("status", "closed"), []string{b}},
			{"status both", q("status", "open,closed"), []string{x, d, c, b, a}},
			{"ids override the rest", q("service_request_id", a+","+b, "status", "open", "service_code", "C0110"), []string{b, a}},
			{"bare ids", q("service_request_id", strings.TrimLeft(a[8:], "0")), []string{a}},
			{"page 1 of 2", q("page_size", "2"), []string{x, d}},
			{"page 2", q("page_size", "2", "page", "2"), []string{c, b}},
			{"page 3", q("page_size", "2", "page", "3"), []string{a}},
			{"page past the end", q("page_size", "2", "page", "9"), nil},
			{"window before", q("start_date", now.Add(-48*time.Hour).Format(time.RFC3339), "end_date", now.Add(-24*time.Hour).Format(time.RFC3339)), nil},
			{"window around", q("start_date", now.Add(-time.Hour).Format(time.RFC3339), "end_date", now.Add(time.Hour).Format(time.RFC3339)), []string{x, d, c, b, a}},
			{"start only, 90 days on", q("start_date", now.Add(-time.Hour).Format(time.RFC3339)), []string{x, d, c, b, a}},
			{"end only, in the past", q("end_date", now.Add(-time.Hour).Format(time.RFC3339)), nil},
			{"offset written with a space for '+'", q("start_date", now.Add(-time.Hour).In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04:05")+" 08:00"), []string{x, d, c, b, a}},
			{"updated_after", q("updated_after", now.Add(time.Hour).Format(time.RFC3339)), nil},
			{"updated_before", q("updated_before", now.Add(time.Hour).Format(time.RFC3339)), []string{x, d, c, b, a}},
		}
		for _, tc := range cases {
			got := ids(t, e.get("requests.json", tc.q))
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		// English names and notes with locale=en.
		var out []map[string]any
		json.Unmarshal(e.get("requests/"+d+".json", url.Values{"locale": {"en"}}).Body, &out)
		if out[0]["service_name"] != "street lamp" || !strings.HasPrefix(out[0]["status_notes"].(string), "Registered") {
			t.Errorf("locale=en: %v", out[0])
		}
	})
}

// TestMediaUpload posts a photo with a multipart request: it is stored and
// attached to the case, and the public answer does not serve it.
func TestMediaUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		form := url.Values{"api_key": {e.keys["city"]}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}, "description": {"照片为证"}}
		r := e.postMultipart("requests.xml", form, map[string][]byte{"p.png": apptest.PNG})
		if r.Status != 200 {
			t.Fatalf("multipart: %d %s", r.Status, r)
		}
		var created fmsRequests
		xmlOf(t, r, &created)
		id, _ := casework.IDFromCode(created.Requests[0].ServiceRequestID)
		_, evs, err := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], id)
		if err != nil || len(evs) != 1 || len(evs[0].Attachments) != 1 {
			t.Fatalf("events %+v %v", evs, err)
		}
		if _, err := e.f.App.DB.Blob(context.Background(), evs[0].Attachments[0]); err != nil {
			t.Errorf("the photo is not stored: %v", err)
		}
		if strings.Contains(e.get("requests/"+created.Requests[0].ServiceRequestID+".json", url.Values{"extensions": {"true"}}).String(), evs[0].Attachments[0]) {
			t.Error("the uploaded photo's id is public")
		}
	})
}

// TestRateLimits checks 429 with Retry-After per client address and per
// key, in the spec's error document.
func TestRateLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e2 := &env{t: t, f: e.f, keys: e.keys}
		o := open311.New(e.f.App, nil)
		o.Config = open311.DefaultConfig()
		o.Config.PerIP = open311.Limit{Rate: 1.0 / 60, Burst: 3}
		o.Config.PerKey = open311.Limit{Rate: 1.0 / 30, Burst: 2}
		o.Config.TrustProxy = true
		e2.srv = newServer(t, o)
		from := func(ip string, path string, q url.Values) resp {
			req, _ := http.NewRequest("GET", e2.srv.URL+open311.Prefix+path+"?"+q.Encode(), nil)
			req.Header.Set("X-Forwarded-For", "198.51.100.9, "+ip)
			return e2.do(req)
		}
		for i := 0; i < 3; i++ {
			if r := from("203.0.113.1", "services.json", nil); r.Status != 200 {
				t.Fatalf("request %d: %d", i, r.Status)
			}
		}
		r := from("203.0.113.1", "services.xml", nil)
		if r.Status != 429 || r.Header.Get("Retry-After") != "60" || !strings.Contains(fmsErrors(t, r), "too many requests") {
			t.Errorf("4th request: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r)
		}
		if r := from("203.0.113.2", "services.json", nil); r.Status != 200 {
			t.Errorf("another address is limited too: %d", r.Status)
		}
		// Per key: two requests, then 429 whatever the address.
		key := url.Values{"api_key": {e.keys["city"]}}
		from("203.0.113.3", "services.json", key)
		from("203.0.113.4", "services.json", key)
		r = from("203.0.113.5", "services.json", key)
		if r.Status != 429 || r.Header.Get("Retry-After") != "30" {
			t.Errorf("3rd keyed request: %d Retry-After %q", r.Status, r.Header.Get("Retry-After"))
		}
		if r := from("203.0.113.5", "services.json", nil); r.Status != 200 {
			t.Errorf("the address itself is not limited: %d", r.Status)
		}
		// Without trusting the proxy, every request counts against the socket's address.
		o2 := open311.New(e.f.App, nil)
		o2.Config = open311.DefaultConfig()
		o2.Config.PerIP = open311.Limit{Rate: 1.0 / 60, Burst: 1}
		e2.srv = newServer(t, o2)
		from("203.0.113.6", "services.json", nil)
		if r := from("203.0.113.7", "services.json", nil); r.Status != 429 {
			t.Errorf("X-Forwarded-For trusted without TrustProxy: %d", r.Status)
		}
	})
}
