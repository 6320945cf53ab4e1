package isolation_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPublicRevealsNoContactOrNotes reports through Open311 and the portal
// with unique contact details, lets staff write notes with a unique marker,
// and reads every public endpoint for them.
func TestPublicRevealsNoContactOrNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		secret := []string{"Qiuzhiyuan", "Xuanmingshi", "iso-contact-311@example.test", "13977001188",
			"秘名李四喜", "13966002277", "STAFF-NOTE-4471", "STAFF-REASON-8832"}
		ft := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

		// Open311, with a key.
		anon := w.client("")
		r := anon.postForm("/open311/v2/requests.json", url.Values{"api_key": {w.keys["city"]}, "service_code": {"E0102"},
			"lat": {ft(apptest.PointJiale1[1])}, "long": {ft(apptest.PointJiale1[0])}, "description": {"ISO-PUB-311 垃圾"},
			"first_name": {secret[0]}, "last_name": {secret[1]}, "email": {secret[2]}, "phone": {secret[3]}})
		if r.status != http.StatusOK && r.status != http.StatusCreated {
			t.Fatalf("open311 report: %d %s", r.status, r.body)
		}
		var posted []struct {
			ID    string `json:"service_request_id"`
			Token string `json:"token"`
		}
		if err := json.Unmarshal([]byte(r.body), &posted); err != nil || len(posted) != 1 || posted[0].ID == "" {
			t.Fatalf("open311 answer %s: %v", r.body, err)
		}

		// The portal, through its form.
		citizen := w.client("")
		tok := match(t, portalCSRF, citizen.get("/public/"))
		r = citizen.postForm("/public/report", url.Values{"csrf": {tok}, "category": {"E0102"}, "description": {"ISO-PUB-PORTAL 垃圾"},
			"lat": {ft(apptest.PointNanyuan[1])}, "lon": {ft(apptest.PointNanyuan[0])}, "name": {secret[4]}, "phone": {secret[5]}})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/public/t/") {
			t.Fatalf("portal report: %d %s %.300s", r.status, loc, r.body)
		}
		track, _, _ := strings.Cut(strings.TrimPrefix(loc, "/public/t/"), "?")

		// Staff write notes and reasons on both.
		var list struct {
			Items []struct {
				Code        string `json:"code"`
				Description string `json:"description"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(w.client(w.f.Tokens["admin"]).get("/api/v1/cases").body), &list); err != nil {
			t.Fatal(err)
		}
		codes := map[string]string{}
		for _, it := range list.Items {
			codes[it.Description] = it.Code
		}
		if codes["ISO-PUB-311 垃圾"] != posted[0].ID || codes["ISO-PUB-PORTAL 垃圾"] == "" {
			t.Fatalf("reports not in the ledger as expected: %v (open311 said %s)", codes, posted[0].ID)
		}
		for _, code := range []string{posted[0].ID, codes["ISO-PUB-PORTAL 垃圾"]} {
			id, _ := casework.IDFromCode(code)
			c, _, err := w.f.App.Cases.Get(t.Context(), w.f.Actors["admin"], id)
			if err != nil {
				t.Fatal(err)
			}
			c = w.act("dispatcher", c, casework.Register, casework.Input{Note: secret[6]})
			c = w.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation", Note: secret[6]})
			c = w.act("san", c, casework.Return, casework.Input{Reason: secret[7], Note: secret[6]})
			c = w.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation", Note: secret[6]})
			w.act("san", c, casework.Handle, casework.Input{Note: secret[6], Attachments: []string{w.f.Photo(t, code)}})
		}

		code := posted[0].ID
		// The tracking code and the Open311 token open a case to whoever holds them.
		w.secrets = append(w.secrets, track, posted[0].Token, tok)
		pages := []string{"/public/t/" + track, "/public/track?code=" + url.QueryEscape(track)}
		for _, f := range []string{"json", "xml"} {
			pages = append(pages,
				"/open311/v2/requests."+f+"?extensions=true",
				"/open311/v2/requests."+f+"?extensions=true&api_key="+url.QueryEscape(w.keys["city"]),
				"/open311/v2/requests/"+code+"."+f+"?extensions=true",
				"/open311/v2/requests/"+codes["ISO-PUB-PORTAL 垃圾"]+"."+f+"?extensions=true",
				"/open311/v2/servicerequestupdates."+f,
				"/open311/v2/servicerequestupdates."+f+"?api_key="+url.QueryEscape(w.keys["city"]),
			)
			if posted[0].Token != "" {
				pages = append(pages, "/open311/v2/tokens/"+posted[0].Token+"."+f)
			}
		}
		sawCase := 0
		for _, p := range pages {
			got := anon.get(p)
			if got.status >= 500 {
				t.Errorf("GET %s: %d", p, got.status)
			}
			if strings.Contains(got.body, "ISO-PUB-") || strings.Contains(got.body, code) {
				sawCase++
			}
			for _, s := range secret {
				if strings.Contains(got.body, s) {
					t.Errorf("GET %s reveals %q: %.400s", p, s, got.body)
				}
			}
		}
		// The pages must show the cases, or their silence proves nothing.
		if sawCase < len(pages)/2 {
			t.Errorf("only %d of %d public pages show the reported cases", sawCase, len(pages))
		}
		w.checkLog(t, false)
		t.Logf("%d public pages checked for %d secrets", len(pages), len(secret))
	})
}
