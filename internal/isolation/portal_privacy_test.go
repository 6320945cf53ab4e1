package isolation_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPortalPrivacy reads the portal's red and black lists and its
// projects as a citizen: they show the published lists and projects, and
// never contacts, moderation notes, rejected or pending suggestions, staff
// names, scores, findings, correction reasons, unpublished projects or
// internal plan records (targets, statements).
func TestPortalPrivacy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// Staff with names found nowhere else, to see whether the portal names them.
		w.addUser("isostaff-zhouadm", auth.Admin, "")
		w.addUser("isostaff-lileader", auth.Leader, "320213")
		q, j := newSides()
		buildSides(t, w, q, j)

		// November's district round on a simulated clock: a finding at
		// 清名桥's point (−2.5: 97.50), 金星's point clean; published on 1
		// December, then corrected with a reason.
		at := func(s string) {
			tm, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai())
			if err != nil {
				t.Fatal(err)
			}
			w.f.App.Cases.Now = func() time.Time { return tm }
		}
		at("2026-11-10 09:00")
		rd := num(w.must("isostaff-zhouadm", 201, "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "iso", "period": "2026-11",
			"name": "ISO-RD-P-9901", "territory": "320213", "sizes": map[string]int{"main_road": 1}, "seed": "5"})["id"])
		finding := "ISO-FIND-P-9902"
		w.must("isostaff-lileader", 201, "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/findings", rd),
			map[string]any{"point": q.pointCode, "indicator": "road", "category": "E0104", "note": finding})
		w.must("isostaff-lileader", 204, "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/inspected", rd), map[string]any{"point": j.pointCode})
		at("2026-12-01 09:00")
		w.must("isostaff-zhouadm", 201, "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11", "round": rd})
		reason := "ISO-PUB-REASON-9903"
		w.must("isostaff-zhouadm", 201, "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11", "round": rd, "reason": reason})
		scores := w.must("isostaff-zhouadm", 200, "GET", fmt.Sprintf("/api/v1/assess/scores?round=%d", rd), nil)
		if !strings.Contains(fmt.Sprint(scores), "97.5") {
			t.Fatalf("scores: want 97.50 for 家乐: %v", scores)
		}
		w.f.App.Cases.Now = time.Now

		// Suggestions: 清名桥's approved, a second one rejected with a reason,
		// 金星's left pending; the moderator is a named leader.
		cit := w.client("")
		tok := match(t, portalCSRF, cit.get(fmt.Sprintf("/public/projects/%d", q.project)))
		rejected, rejContact, modReason := "ISO-SUG-REJ-9904", "ISOCONTACTREJ13900009905", "ISO-MOD-REASON-9906"
		if r := cit.postForm(fmt.Sprintf("/public/projects/%d/suggest", q.project), url.Values{"csrf": {tok}, "kind": {"comment"},
			"body": {rejected}, "contact": {rejContact}}); r.status != http.StatusSeeOther {
			t.Fatalf("second suggestion: %d %.300s", r.status, r.body)
		}
		var rej int64
		for _, it := range w.must("isostaff-lileader", 200, "GET", "/api/v1/plan/suggestions", nil)["items"].([]any) {
			if m := it.(map[string]any); m["body"] == rejected {
				rej = num(m["id"])
			}
		}
		w.must("isostaff-lileader", 200, "POST", fmt.Sprintf("/api/v1/plan/suggestions/%d/moderate", q.suggestion), map[string]any{"approve": true, "reason": "ISO-MOD-NOTE-9907"})
		w.must("isostaff-lileader", 200, "POST", fmt.Sprintf("/api/v1/plan/suggestions/%d/moderate", rej), map[string]any{"approve": false, "reason": modReason})
		// A project not published, with a photo.
		priv := num(w.must("isostaff-lileader", 201, "POST", "/api/v1/plan/projects", projectBody(q, "ISO-PRJ-PRIV-9908"))["id"])
		privPhoto := w.must("isostaff-lileader", 201, "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "private"...))["id"].(string)
		w.must("isostaff-lileader", 201, "POST", fmt.Sprintf("/api/v1/plan/projects/%d/photos", priv), map[string]any{"blob": privPhoto, "kind": "before", "caption": "ISO-CAP-PRIV-9909"})

		secret := []string{
			q.contact, j.contact, rejContact, // contacts
			rejected, j.sugg, modReason, "ISO-MOD-NOTE-9907", // rejected and pending suggestions, moderation notes
			"isostaff-zhouadm", "isostaff-lileader", // staff
			"97.5", finding, reason, q.finding, j.finding, // scores, findings, correction reasons
			"ISO-PRJ-PRIV-9908", "ISO-CAP-PRIV-9909", // an unpublished project
			q.targetName, j.targetName, q.reportNote, q.stTitle, j.stTitle, // internal plan records
		}
		pages := map[string][]string{ // path → what it must show, or its silence proves nothing
			"/public/board":    {"家乐花园社区"},
			"/public/projects": {q.projName, j.projName},
			fmt.Sprintf("/public/projects/%d", q.project):         {q.projName, q.sugg, q.caption},
			fmt.Sprintf("/public/projects/%d", j.project):         {j.projName},
			fmt.Sprintf("/public/projects/%d", priv):              nil,
			"/public/projects?lang=en":                            {q.projName},
			"/public/board?lang=en":                               nil,
			fmt.Sprintf("/public/projects/%d?lang=en", q.project): {q.sugg},
		}
		for p, want := range pages {
			r := cit.get(p)
			if r.status >= 500 {
				t.Errorf("GET %s: %d", p, r.status)
			}
			for _, s := range want {
				if r.status != http.StatusOK || !strings.Contains(r.body, s) {
					t.Errorf("GET %s: %d, lacks %q", p, r.status, s)
				}
			}
			for _, s := range secret {
				if strings.Contains(r.body, s) {
					i := strings.Index(r.body, s)
					t.Errorf("GET %s reveals %q: …%s…", p, s, r.body[max(0, i-150):min(len(r.body), i+150)])
				}
			}
		}
		if r := cit.get(fmt.Sprintf("/public/projects/%d", priv)); r.status != http.StatusNotFound {
			t.Errorf("unpublished project: %d, want 404", r.status)
		}
		// Photos: a published project's own, and nothing else through it.
		for _, c := range []struct {
			path string
			want int
		}{
			{fmt.Sprintf("/public/projects/%d/photo/%s", q.project, q.photo), http.StatusOK},
			{fmt.Sprintf("/public/projects/%d/photo/%s", q.project, q.reportPhoto), http.StatusNotFound}, // a target report's photo
			{fmt.Sprintf("/public/projects/%d/photo/%s", q.project, j.photo), http.StatusNotFound},       // another project's
			{fmt.Sprintf("/public/projects/%d/photo/%s", priv, privPhoto), http.StatusNotFound},          // an unpublished project's
			{fmt.Sprintf("/public/projects/%d/photo/%s", q.project, privPhoto), http.StatusNotFound},     // through a published one
		} {
			if r := cit.get(c.path); r.status != c.want {
				t.Errorf("GET %s: %d, want %d", c.path, r.status, c.want)
			}
		}
		// Suggestions and votes on an unpublished project are refused and stored nowhere.
		before := snapshot(t, db)
		tok = match(t, portalCSRF, cit.get(fmt.Sprintf("/public/projects/%d", q.project)))
		for _, p := range []string{fmt.Sprintf("/public/projects/%d/suggest", priv), fmt.Sprintf("/public/projects/%d/vote", priv)} {
			r := cit.postForm(p, url.Values{"csrf": {tok}, "kind": {"suggestion"}, "body": {"ISO-PRIV-SUG"}, "answer": {"satisfied"}})
			if r.status != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404: %.300s", p, r.status, r.body)
			}
		}
		var votes int
		if err := db.R.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM plan_votes").Scan(&votes); err != nil || votes != 0 {
			t.Errorf("votes stored: %d (%v)", votes, err)
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("refused portal posts changed the store:\n before %s\n after  %s", before, after)
		}
		w.checkLog(t, false)
	})
}
