package isolation_test

import (
	"archive/zip"
	"fmt"
	"io"
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

// target is a case an actor reads or writes, with what must not leak.
type target struct {
	c      casework.Case
	marker string // its unique description
	photo  string // its photo's blob id
	street string
	pt     [2]float64
	other  string // the code of the other case (a merge target)
	// community is the name of the case's community: the actor's
	// dashboard and map must not count cases there.
	community string
}

// row is one cell of the matrix.
type row struct {
	who    string // user or Open311 key
	door   string // api, console, open311
	method string
	path   string
	inside bool // the case is in the actor's scope
	write  bool
	json   any        // API write body
	form   url.Values // console write form (CSRF added)
	tgt    *target
}

func TestIsolationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// Q lies in 清名桥街道 and is with 家乐花园社区; JX lies in 金星街道 and is
		// with its street office.
		q := &target{marker: "ISO-Q-家乐-7731", street: "320213022", pt: apptest.PointJiale1, community: "家乐花园社区"}
		jx := &target{marker: "ISO-JX-金星-9146", street: "320213023", pt: apptest.PointJinxing, community: "金星社区"}
		for _, x := range []*target{q, jx} {
			var c casework.Case
			c, x.photo = w.report("inspector", x.pt, x.marker, x.marker)
			c = w.act("dispatcher", c, casework.Register, casework.Input{})
			unit := "320213022010.community"
			if x == jx {
				unit = "320213023.street_office"
			}
			x.c = w.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: unit})
		}
		q.other, jx.other = jx.c.Code(), q.c.Code()
		// Who has which case inside and which outside. The district-wide
		// users (admin, dispatcher, inspector, leader, san) have no case
		// outside their scope in a one-district fixture: dispatcher-jx,
		// inspector2, leader-jx, jiale and nanyuan stand for their roles'
		// narrow scopes.
		type scope struct {
			who     string
			in, out []*target
			key     bool
		}
		scopes := []scope{
			{who: "admin", in: []*target{q, jx}},
			{who: "dispatcher", in: []*target{q, jx}},
			{who: "dispatcher-jx", in: []*target{jx}, out: []*target{q}},
			{who: "inspector2", in: []*target{q}, out: []*target{jx}},
			{who: "jiale", in: []*target{q}, out: []*target{jx}},
			{who: "nanyuan", out: []*target{q, jx}},
			{who: "san", in: []*target{q, jx}}, // a unit's scope is its territory (the district), not its assignments
			{who: "inspector", in: []*target{q, jx}},
			{who: "leader", in: []*target{q, jx}},
			{who: "leader-jx", in: []*target{jx}, out: []*target{q}},
			{who: "qmq", key: true, in: []*target{q}, out: []*target{jx}},
		}
		var rows []row
		for _, s := range scopes {
			for _, inside := range []bool{true, false} {
				tgts := s.out
				if inside {
					tgts = s.in
				}
				for _, x := range tgts {
					rows = append(rows, rowsFor(s.who, s.key, x, inside)...)
				}
			}
		}
		t.Logf("isolation matrix: %d cells (%d actors)", len(rows), len(scopes))
		fmt.Printf("isolation matrix (%s): %d cells\n", db.Dialect, len(rows))

		clients := map[string]*client{}
		clientFor := func(r row) *client {
			k := r.who + "/" + r.door
			if c, ok := clients[k]; ok {
				return c
			}
			var c *client
			switch r.door {
			case "api":
				c = w.client(w.f.Tokens[r.who])
			case "console":
				c = w.login(r.who)
			default:
				c = w.client("")
			}
			clients[k] = c
			return c
		}
		var reads, writes int
		for _, r := range rows {
			c := clientFor(r)
			name := fmt.Sprintf("%s %s %s %s inside=%v", r.who, r.door, r.method, r.path, r.inside)
			before := w.version(r.tgt.c.ID)
			// Open311 rows name the key as KEY: the secret is known only now.
			path := strings.Replace(r.path, "KEY", "api_key="+url.QueryEscape(w.keys[r.who]), 1)
			var got resp
			switch {
			case r.method == "GET":
				got = c.get(path)
			case r.door == "api":
				got = c.postJSON(r.path, r.json)
			default:
				f := url.Values{"_csrf": {c.csrf}}
				for k, v := range r.form {
					f[k] = v
				}
				got = c.postForm(r.path, f)
			}
			got.body = unzipped(got.body)
			if got.status >= 500 {
				t.Errorf("%s: %d %.300s", name, got.status, got.body)
			}
			if r.inside {
				// Inside cells exercise the paths; the case lists must show
				// the case, or the outside cells' silence proves nothing.
				if (r.path == "/api/v1/cases" || strings.HasPrefix(r.path, "/open311/v2/requests.json")) && !strings.Contains(got.body, r.tgt.marker) ||
					(r.path == "/cases?state=" || r.path == bboxPath) && !strings.Contains(got.body, r.tgt.c.Code()) {
					t.Errorf("%s: the list lacks the actor's own case %s", name, r.tgt.c.Code())
				}
				continue
			}
			if r.write {
				writes++
				if got.status != http.StatusForbidden && got.status != http.StatusNotFound {
					t.Errorf("%s: out-of-scope write answered %d, want 403/404: %.300s", name, got.status, got.body)
				}
				if after := w.version(r.tgt.c.ID); after != before {
					t.Errorf("%s: out-of-scope write changed the case: version %d → %d", name, before, after)
				}
				continue
			}
			reads++
			for _, leak := range []string{r.tgt.marker, r.tgt.c.Code(), r.tgt.photo} {
				// An error that repeats the id asked for tells the caller nothing new.
				if strings.Contains(got.body, leak) && !strings.Contains(r.path, leak) {
					t.Errorf("%s: out-of-scope read reveals %q (status %d): %.300s", name, leak, got.status, got.body)
				}
			}
			if (strings.HasPrefix(r.path, "/dashboard/") || strings.HasPrefix(r.path, "/map/")) && strings.Contains(got.body, r.tgt.community) {
				t.Errorf("%s: out-of-scope aggregate names %s: %.300s", name, r.tgt.community, got.body)
			}
			if strings.Contains(r.path, r.tgt.photo) && got.status == http.StatusOK {
				t.Errorf("%s: out-of-scope photo served", name)
			}
		}
		// The inside cells must reach the data, or the outside ones prove nothing.
		for _, s := range scopes {
			for _, x := range s.in {
				var got resp
				switch {
				case s.key:
					got = w.client("").get("/open311/v2/requests/" + x.c.Code() + ".json?api_key=" + url.QueryEscape(w.keys[s.who]))
				default:
					got = clients[s.who+"/api"].get("/api/v1/cases/" + x.c.Code())
				}
				if got.status != http.StatusOK || !strings.Contains(got.body, x.c.Code()) {
					t.Errorf("%s cannot read its own case %s: %d %.300s", s.who, x.c.Code(), got.status, got.body)
				}
			}
		}
		// Reports placed outside the actor's scope, on every door that takes them.
		count := func() int {
			var n int
			if err := w.f.App.DB.R.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM cases").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		for _, s := range scopes {
			for _, x := range s.out {
				lon, lat := strconv.FormatFloat(x.pt[0], 'f', -1, 64), strconv.FormatFloat(x.pt[1], 'f', -1, 64)
				var got []resp
				if s.key {
					got = append(got, w.client("").postForm("/open311/v2/requests.json", url.Values{"api_key": {w.keys[s.who]},
						"service_code": {"E0102"}, "lat": {lat}, "long": {lon}, "description": {"ISO-OUT-REPORT"}}))
				} else {
					got = append(got, clients[s.who+"/api"].postJSON("/api/v1/cases", map[string]any{"category": "E0102",
						"description": "ISO-OUT-REPORT", "lon": x.pt[0], "lat": x.pt[1]}))
					cc := clients[s.who+"/console"]
					got = append(got, cc.postForm("/report", url.Values{"_csrf": {cc.csrf}, "category": {"E0102"},
						"description": {"ISO-OUT-REPORT"}, "lon": {lon}, "lat": {lat}}))
				}
				for i, g := range got {
					if g.status != http.StatusForbidden && g.status != http.StatusNotFound {
						t.Errorf("%s report #%d outside its scope at %v: %d, want 403/404: %.300s", s.who, i, x.pt, g.status, g.body)
					}
				}
			}
		}
		if n := count(); n != before {
			t.Errorf("reports outside scope were stored: %d cases, want %d", n, before)
		}
		// The same reports inside scope are taken, or the refusals prove nothing.
		lon, lat := strconv.FormatFloat(q.pt[0], 'f', -1, 64), strconv.FormatFloat(q.pt[1], 'f', -1, 64)
		cc := clients["inspector2/console"]
		for i, g := range []resp{
			w.client("").postForm("/open311/v2/requests.json", url.Values{"api_key": {w.keys["qmq"]},
				"service_code": {"E0102"}, "lat": {lat}, "long": {lon}, "description": {"ISO-IN-REPORT"}}),
			clients["inspector2/api"].postJSON("/api/v1/cases", map[string]any{"category": "E0102",
				"description": "ISO-IN-REPORT", "lon": q.pt[0], "lat": q.pt[1]}),
			cc.postForm("/report", url.Values{"_csrf": {cc.csrf}, "category": {"E0102"},
				"description": {"ISO-IN-REPORT"}, "lon": {lon}, "lat": {lat}}),
		} {
			if g.status >= 400 {
				t.Errorf("report #%d inside scope: %d %.300s", i, g.status, g.body)
			}
		}
		if n := count(); n != before+3 {
			t.Errorf("reports inside scope: %d cases, want %d", n, before+3)
		}
		w.checkLog(t, true)
		t.Logf("asserted %d out-of-scope reads and %d out-of-scope writes", reads, writes)
	})
}

// bboxPath asks the map for every case in the fixture's district.
const bboxPath = "/map/cases.json?bbox=120.1,31.4,120.5,31.7"

// rowsFor lists every endpoint (Open311 paths carry KEY where the key goes) that reads or writes case data, for one
// actor and one case.
func rowsFor(who string, key bool, x *target, inside bool) []row {
	var rs []row
	add := func(door, method, path string) *row {
		if method == "POST" && inside {
			// Writes inside scope would move the cases on and make the
			// outside cells depend on their order: only refusals are tested.
			return &row{}
		}
		rs = append(rs, row{who: who, door: door, method: method, path: path, inside: inside, write: method == "POST", tgt: x})
		return &rs[len(rs)-1]
	}
	code, v := x.c.Code(), x.c.Version
	if key {
		for _, f := range []string{"json", "xml"} {
			add("open311", "GET", "/open311/v2/requests."+f+"?extensions=true&KEY")
			add("open311", "GET", "/open311/v2/requests/"+code+"."+f+"?extensions=true&KEY")
			add("open311", "GET", "/open311/v2/servicerequestupdates."+f+"?KEY")
			add("open311", "POST", "/open311/v2/servicerequestupdates."+f).form = url.Values{"api_key": {"KEY"},
				"service_request_id": {code}, "status": {"REOPEN"}, "description": {"isolation"}, "update_id": {"iso-" + f}}
		}
		return rs
	}
	lonlat := "lon=" + strconv.FormatFloat(x.pt[0], 'f', -1, 64) + "&lat=" + strconv.FormatFloat(x.pt[1], 'f', -1, 64)
	for _, p := range []string{
		"/api/v1/cases", "/api/v1/cases?state=dispatched", "/api/v1/cases?q=" + url.QueryEscape(x.marker),
		"/api/v1/cases/" + code, "/api/v1/cases/" + code + "/duplicates", "/api/v1/blobs/" + x.photo,
		"/api/v1/territory/" + x.street, "/api/v1/territory/locate?" + lonlat, "/api/v1/units",
		"/api/v1/hotline/mappings", "/api/v1/assess/metrics", "/api/v1/assess/scores", "/api/v1/assess/rounds",
		"/api/v1/assess/points", "/api/v1/assess/publications",
	} {
		add("api", "GET", p)
	}
	for _, a := range []casework.Action{casework.Register, casework.Reject, casework.Dispatch, casework.Return, casework.Handle,
		casework.Verify, casework.Close, casework.Extend, casework.ApproveExtension, casework.Suspend, casework.Resume} {
		yes := true
		add("api", "POST", "/api/v1/cases/"+code+"/"+string(a)).json = casework.Input{Version: v, Note: "isolation", Reason: "isolation",
			Unit: "320213022010.community", Hours: 8, Passed: &yes, Approved: &yes}
		add("console", "POST", "/cases/"+code+"/"+string(a)).form = url.Values{"version": {strconv.Itoa(v)}, "note": {"isolation"},
			"reason": {"isolation"}, "unit": {"320213022010.community"}, "hours": {"8"}, "passed": {"true"}, "approved": {"true"}}
	}
	add("api", "POST", "/api/v1/cases/"+code+"/merge").json = map[string]any{"into": x.other, "version": v}
	add("api", "POST", "/api/v1/cases/"+code+"/unmerge").json = map[string]any{}
	add("api", "POST", "/api/v1/cases/"+code+"/duplicates/dismiss").json = map[string]any{"candidate": x.other}
	for _, p := range []string{
		"/", "/cases", "/cases?state=", "/cases?q=" + url.QueryEscape(x.marker), "/cases/" + code, "/photos/" + x.photo,
		"/mine", "/nearby?" + lonlat, "/map", "/map/cases.json", bboxPath, bboxPath + "&state=", "/dashboard", "/dashboard/data.json",
		"/dashboard/daily.csv", "/dashboard/categories.csv", "/dashboard/overdue.csv", "/dashboard/ontime.csv",
		"/dashboard/communities.csv", "/dashboard/overdue.xlsx", "/dashboard/communities.xlsx",
		"/assess", "/assess/scores", "/assess/metrics",
	} {
		add("console", "GET", p)
	}
	return rs
}

// unzipped is a body with every member of a ZIP (an XLSX) appended, so
// that a search for a string looks inside spreadsheets too.
func unzipped(body string) string {
	if !strings.HasPrefix(body, "PK") {
		return body
	}
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		return body
	}
	var b strings.Builder
	b.WriteString(body)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			continue
		}
		x, _ := io.ReadAll(rc)
		rc.Close()
		b.Write(x)
	}
	return b.String()
}
