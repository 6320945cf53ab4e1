package isolation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// side is one street's set of assessment and plan objects: 清名桥 ("Q") or
// 金星 ("J"). Every object carries marker text found nowhere else, so that
// a body holding it has read the object.
type side struct {
	name      string // "Q" or "J"
	street    string // the street's code
	community string // the community of its inspection point
	commName  string // that community's name
	unit      string // the organisation unit its target and statement belong to
	pt        [2]float64
	// Ids, filled as the objects are made (or placeholders in the route guard).
	round, pub, target, statement, project, suggestion int64
	photo, reportPhoto                                 string
	// Markers.
	roundName, finding, pointCode, pointName, mu, muName     string
	targetName, reportNote, stTitle, projName, caption, sugg string
	contact                                                  string
}

func newSides() (q, j *side) {
	q = &side{name: "Q", street: "320213022", community: "320213022010", commName: "家乐花园社区", unit: "320213022010.community",
		pt: apptest.PointJiale1, roundName: "ISO-RD-Q-5521", finding: "ISO-FIND-Q-8801", pointCode: "ISOPQ7731", pointName: "ISO-PT-Q-清扬路7731",
		mu: "ISO-MU-Q", muName: "ISO-MU-Q-家乐片区3310", targetName: "ISO-TGT-Q-2201", reportNote: "ISO-REP-Q-2202", stTitle: "ISO-ST-Q-3301",
		projName: "ISO-PRJ-Q-4401", caption: "ISO-CAP-Q-4402", sugg: "ISO-SUG-Q-5501 建议增设座椅", contact: "ISOCONTACTQ13900005502"}
	j = &side{name: "J", street: "320213023", community: "320213023001", commName: "金星社区", unit: "320213023.street_office",
		pt: apptest.PointJinxing, roundName: "ISO-RD-J-6632", finding: "ISO-FIND-J-8802", pointCode: "ISOPJ9146", pointName: "ISO-PT-J-金星路9146",
		mu: "ISO-MU-J", muName: "ISO-MU-J-金星片区4420", targetName: "ISO-TGT-J-2301", reportNote: "ISO-REP-J-2302", stTitle: "ISO-ST-J-3401",
		projName: "ISO-PRJ-J-4501", caption: "ISO-CAP-J-4502", sugg: "ISO-SUG-J-5601 建议拓宽人行道", contact: "ISOCONTACTJ13900005602"}
	return q, j
}

// mark is text of one kind of object of one side that a body must show
// when the actor may read that kind there, and must not show otherwise.
type mark struct {
	kind  string
	s     *side
	texts []string
	// absentOnly: the page may rightly show another object instead (the
	// trend shows one round per period), so only absence is checked.
	absentOnly bool
}

// srow is one request of the assessment, plan and hotline matrix.
type srow struct {
	door   string // api or console
	method string
	path   string
	// direct: the path names an object of kind marks[0].kind of side s; an
	// actor who may not read it gets 403 or 404.
	direct bool
	kind   string // the kind the row reads or writes
	s      *side
	marks  []mark
	json   any        // API body
	raw    []byte     // API raw body (imports)
	form   url.Values // console form (CSRF added)
	multi  bool       // console form sent as multipart with a photo
	file   []byte     // console form sent as multipart with this as "file"
	// async: the console answers with a background job's page; the job
	// is waited for before the store is compared.
	async bool
	// allow200: a write answered 200 that changes nothing is a refusal
	// too (an import reporting every row as an error).
	allow200 bool
}

func (r srow) write() bool { return r.method != "GET" }

// readable is who may read which kind of object on which side ("QJ",
// "Q", "J" or ""), worked out by hand from the rules:
//   - rounds, points, management units: admins, dispatchers, leaders and
//     inspectors, over their territory (assess canSeeRounds);
//   - pub (publications and scores of a street round): admins, dispatchers
//     and leaders over it (assess canRead, Visibility);
//   - target, statement: admins; handlers for their own unit; the others
//     over the territory (plan visible);
//   - project, suggestion: as target, but a handler sees by its scope;
//   - queue, contact (suggestions' moderation queue and contact details):
//     admins and leaders who plan the territory (plan canPlan);
//   - hotline (import orders as cases there): admins and dispatchers over it;
//   - assessor (plan rounds over it): admins and district dispatchers;
//   - org (organisation units answering for it): admins.
var readable = map[string]map[string]string{
	"admin":          {"org": "QJ", "assessor": "QJ", "round": "QJ", "point": "QJ", "mu": "QJ", "pub": "QJ", "target": "QJ", "statement": "QJ", "project": "QJ", "suggestion": "QJ", "queue": "QJ", "contact": "QJ", "hotline": "QJ"},
	"dispatcher":     {"assessor": "QJ", "round": "QJ", "point": "QJ", "mu": "QJ", "pub": "QJ", "target": "QJ", "statement": "QJ", "project": "QJ", "suggestion": "QJ", "hotline": "QJ"},
	"dispatcher-qmq": {"round": "Q", "point": "Q", "mu": "Q", "pub": "Q", "target": "Q", "statement": "Q", "project": "Q", "suggestion": "Q", "hotline": "Q"},
	"dispatcher-jx":  {"round": "J", "point": "J", "mu": "J", "pub": "J", "target": "J", "statement": "J", "project": "J", "suggestion": "J", "hotline": "J"},
	"inspector":      {"round": "QJ", "point": "QJ", "mu": "QJ", "target": "QJ", "statement": "QJ", "project": "QJ", "suggestion": "QJ"},
	"inspector2":     {"round": "Q", "point": "Q", "mu": "Q", "target": "Q", "statement": "Q", "project": "Q", "suggestion": "Q"},
	"leader":         {"round": "QJ", "point": "QJ", "mu": "QJ", "pub": "QJ", "target": "QJ", "statement": "QJ", "project": "QJ", "suggestion": "QJ", "queue": "QJ", "contact": "QJ"},
	"leader-jx":      {"round": "J", "point": "J", "mu": "J", "pub": "J", "target": "J", "statement": "J", "project": "J", "suggestion": "J", "queue": "J", "contact": "J"},
	"san":            {"project": "QJ", "suggestion": "QJ"}, // a district-wide unit: projects by scope, targets by unit (none are san's)
	"jiale":          {"target": "Q", "statement": "Q"},     // its own unit's; 清名桥's projects are wider than its community
	"nanyuan":        {},
}

func canRead(who, kind string, s *side) bool {
	return strings.Contains(readable[who][kind], s.name)
}

// scopeRows lists every request of the matrix for both sides. It takes the
// objects' ids only, so that the route guard can list the same requests
// with placeholder ids.
func scopeRows(sides ...*side) []srow {
	var rs []srow
	for _, s := range sides {
		id := func(n int64) string { return strconv.FormatInt(n, 10) }
		rd, pub, tg, st, pj, sg := id(s.round), id(s.pub), id(s.target), id(s.statement), id(s.project), id(s.suggestion)
		m := func(kind string, texts ...string) mark { return mark{kind: kind, s: s, texts: texts} }
		round := m("round", s.roundName)
		pubM := m("pub", s.community, s.commName)
		read := func(door, path string, direct bool, marks ...mark) {
			kind := ""
			if len(marks) > 0 {
				kind = marks[0].kind
			}
			rs = append(rs, srow{door: door, method: "GET", path: path, direct: direct, kind: kind, s: s, marks: marks})
		}
		// Assessment, API.
		read("api", "/api/v1/assess/rounds", false, round)
		read("api", "/api/v1/assess/rounds?period=2026-10", false, round)
		read("api", "/api/v1/assess/rounds/"+rd, true, round, m("round", s.finding))
		read("api", "/api/v1/assess/rounds/"+rd+"/sample", true, m("round", s.pointCode))
		read("api", "/api/v1/assess/scores?round="+rd, true, pubM)
		read("api", "/api/v1/assess/publications?kind=scores&period=2026-10&scope=round:"+rd, false, pubM)
		read("api", "/api/v1/assess/publications/"+pub+"/notice.html", true, m("pub", s.commName))
		read("api", "/api/v1/assess/publications/"+pub+"/notice.xlsx", true, m("pub", s.commName))
		read("api", "/api/v1/assess/points", false, m("point", s.pointCode, s.pointName))
		read("api", "/api/v1/assess/points?territory="+s.street, false, m("point", s.pointCode, s.pointName))
		read("api", "/api/v1/assess/management-units", false, m("mu", s.muName))
		read("api", "/api/v1/assess/management-units?territory="+s.street, false, m("mu", s.muName))
		// Assessment, console.
		read("console", "/assess", false, round)
		read("console", "/assess?period=2026-10", false, round)
		read("console", "/assess/rounds/"+rd, true, round, m("round", s.pointCode))
		read("console", "/assess/scores?round="+rd, true, m("pub", s.commName))
		read("console", "/assess/publications/"+pub+"/notice.html", true, m("pub", s.commName))
		read("console", "/assess/publications/"+pub+"/notice.xlsx", true, m("pub", s.commName))
		read("console", "/assess/points", false, m("point", s.pointName))
		read("console", "/assess/units", false, m("mu", s.muName))
		read("console", "/assess/rounds/new", true)
		rs[len(rs)-1].kind = "assessor"
		read("console", "/assess/trend", false, mark{kind: "pub", s: s, texts: []string{s.commName}, absentOnly: true})
		// Plan, API.
		read("api", "/api/v1/plan/targets", false, m("target", s.targetName))
		read("api", "/api/v1/plan/targets?year=2026", false, m("target", s.targetName))
		read("api", "/api/v1/plan/targets/"+tg, true, m("target", s.targetName, s.reportNote))
		read("api", "/api/v1/plan/statements", false, m("statement", s.stTitle))
		read("api", "/api/v1/plan/projects", false, m("project", s.projName))
		read("api", "/api/v1/plan/projects/"+pj, true, m("project", s.projName, s.caption))
		read("api", "/api/v1/plan/projects/"+pj+"/photos", true, m("project", s.caption))
		read("api", "/api/v1/plan/projects/"+pj+"/photos/"+s.photo, true)
		rs[len(rs)-1].kind = "project"
		read("api", "/api/v1/plan/projects/"+pj+"/suggestions", true, m("suggestion", s.sugg), m("contact", s.contact))
		read("api", "/api/v1/plan/projects/"+pj+"/poll", true)
		rs[len(rs)-1].kind = "project"
		read("api", "/api/v1/plan/suggestions", false, m("queue", s.sugg), m("contact", s.contact))
		read("api", "/api/v1/plan/portfolio", false)
		read("api", "/api/v1/plan/report.html?year=2026", false, m("target", s.targetName), m("project", s.projName))
		read("api", "/api/v1/plan/report.xlsx?year=2026", false, m("target", s.targetName), m("project", s.projName))
		// Plan, console.
		read("console", "/plan", false)
		read("console", "/plan/targets", false, m("target", s.targetName))
		read("console", "/plan/targets/"+tg, true, m("target", s.targetName, s.reportNote))
		read("console", "/plan/targets/"+tg+"/photos/"+s.reportPhoto, true)
		rs[len(rs)-1].kind = "target"
		read("console", "/plan/statements", false, m("statement", s.stTitle))
		read("console", "/plan/statements/"+st, true, m("statement", s.stTitle))
		read("console", "/plan/statements/"+st+"/print", true, m("statement", s.stTitle))
		read("console", "/plan/projects", false, m("project", s.projName))
		read("console", "/plan/projects/"+pj, true, m("project", s.projName, s.caption), m("suggestion", s.sugg), m("contact", s.contact))
		read("console", "/plan/projects/"+pj+"/photos/"+s.photo, true)
		rs[len(rs)-1].kind = "project"
		read("console", "/plan/report.html?year=2026", false, m("target", s.targetName), m("project", s.projName))
		read("console", "/plan/report.xlsx?year=2026", false, m("target", s.targetName), m("project", s.projName))

		// Writes. Each is tried only by actors who may not read the kind
		// on the side, and must be refused and change nothing.
		lon, lat := s.pt[0], s.pt[1]
		ll := url.Values{"lon": {strconv.FormatFloat(lon, 'f', -1, 64)}, "lat": {strconv.FormatFloat(lat, 'f', -1, 64)}}
		wr := func(door, method, path, kind string) *srow {
			rs = append(rs, srow{door: door, method: method, path: path, kind: kind, s: s, direct: true})
			return &rs[len(rs)-1]
		}
		finding := map[string]any{"point": s.pointCode, "indicator": "road", "category": "E0104", "note": "ISO-HIJACK"}
		wr("api", "POST", "/api/v1/assess/rounds/"+rd+"/visits", "round").json = map[string]any{"point": s.pointCode}
		wr("api", "POST", "/api/v1/assess/rounds/"+rd+"/inspected", "round").json = map[string]any{"point": s.pointCode}
		wr("api", "POST", "/api/v1/assess/rounds/"+rd+"/findings", "round").json = finding
		wr("api", "POST", "/api/v1/assess/rounds", "round").json = map[string]any{"scheme": "iso", "period": "2026-09", "name": "ISO-HIJACK",
			"territory": s.street, "sizes": map[string]int{"main_road": 1}}
		wr("api", "POST", "/api/v1/assess/publish", "pub").json = map[string]any{"kind": "scores", "period": "2026-10", "round": s.round, "reason": "ISO-HIJACK"}
		wr("api", "POST", "/api/v1/assess/points", "point").json = map[string]any{"code": s.pointCode, "name": "ISO-HIJACK", "type": "market", "lon": lon, "lat": lat}
		wr("api", "POST", "/api/v1/assess/points/import", "point").raw = fmt.Appendf(nil, "code,name,type,lon,lat\n%s,ISO-HIJACK,market,%g,%g\n", s.pointCode, lon, lat)
		wr("api", "POST", "/api/v1/assess/management-units", "mu").json = map[string]any{"code": s.mu, "name": "ISO-HIJACK", "parent": s.street}
		wr("api", "POST", "/api/v1/assess/management-units/import", "mu").raw = fmt.Appendf(nil, `[{"code":%q,"name":"ISO-HIJACK","parent":%q}]`, s.mu, s.street)
		wr("console", "POST", "/assess/rounds/"+rd+"/visits", "round").form = url.Values{"point": {s.pointCode}}
		wr("console", "POST", "/assess/rounds/"+rd+"/inspected", "round").form = url.Values{"point": {s.pointCode}}
		wr("console", "POST", "/assess/rounds/"+rd+"/findings", "round").form = url.Values{"point": {s.pointCode}, "indicator": {"road"},
			"category": {"E0104"}, "count": {"1"}, "note": {"ISO-HIJACK"}}
		wr("console", "POST", "/assess/rounds", "round").form = url.Values{"scheme": {"iso"}, "period": {"2026-09"}, "name": {"ISO-HIJACK"},
			"territory": {s.street}, "size.main_road": {"1"}, "seed": {"7"}, "do": {"create"}}
		wr("console", "POST", "/assess/publish", "pub").form = url.Values{"round": {rd}, "reason": {"ISO-HIJACK"}}
		f := url.Values{"code": {s.pointCode}, "name": {"ISO-HIJACK"}, "type": {"market"}}
		for k, v := range ll {
			f[k] = v
		}
		wr("console", "POST", "/assess/points", "point").form = f
		wr("console", "POST", "/assess/points/import", "point").file = fmt.Appendf(nil, "code,name,type,lon,lat\n%s,ISO-HIJACK,market,%g,%g\n", s.pointCode, lon, lat)
		wr("console", "POST", "/assess/units/import", "mu").file = fmt.Appendf(nil, `[{"code":%q,"name":"ISO-HIJACK","parent":%q}]`, s.mu, s.street)
		hotCSV := fmt.Appendf(nil, "工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度,紧急程度\nISO-HOT-%s,2026-11-20 09:00,占道经营,ISO-HIJACK,某路,%g,%g,一般\n", s.name, lon, lat)
		hot := wr("api", "POST", "/api/v1/hotline/import", "hotline")
		hot.raw, hot.allow200 = hotCSV, true
		hot = wr("console", "POST", "/hotline", "hotline")
		hot.file, hot.async = hotCSV, true
		if s.name == "Q" {
			// District-wide configuration: the hotline mapping, the
			// category catalogue (admins), assessment schemes (assessors).
			wr("api", "PUT", "/api/v1/hotline/mappings", "org").json = map[string]any{"text": "ISO-HIJACK", "category": "E0102"}
			wr("console", "POST", "/hotline/mappings", "org").form = url.Values{"text": {"ISO-HIJACK"}, "category": {"E0102"}}
			wr("api", "POST", "/api/v1/categories", "org").json = map[string]any{"code": "E0102", "name_zh": "ISO-HIJACK", "name_en": "ISO-HIJACK"}
			wr("api", "DELETE", "/api/v1/categories/E0102", "org")
			scheme := map[string]any{"code": "iso", "name": "ISO-HIJACK", "level": "community", "min_sample": 1, "indicators": []any{
				map[string]any{"code": "road", "name": "道路", "full_marks": 100, "deductions": []any{map[string]any{"points": 9}}}}}
			wr("api", "POST", "/api/v1/assess/schemes", "assessor").json = scheme
			wr("console", "POST", "/assess/schemes", "assessor").form = url.Values{"code": {"iso2"}, "name": {"ISO-HIJACK"}, "level": {"community"}}
			wr("console", "POST", "/assess/schemes/1", "assessor").form = url.Values{"code": {"iso"}, "name": {"ISO-HIJACK"}, "level": {"community"}}
		}
		// Organisation units are the admin's alone: a unit answering for
		// the side's street is refused to everyone else.
		wr("api", "POST", "/api/v1/units", "org").json = map[string]any{"code": s.street + ".iso_hijack", "name": "ISO-HIJACK", "kind": "department",
			"duty": "sanitation", "scope": s.street, "enabled": true}

		wr("api", "POST", "/api/v1/plan/targets", "target").json = map[string]any{"year": 2026, "unit": s.unit, "name": "ISO-HIJACK",
			"measure": "milestone", "due": "2026-12-31"}
		wr("api", "POST", "/api/v1/plan/targets/"+tg+"/reports", "target").json = map[string]any{"value": 70, "note": "ISO-HIJACK"}
		wr("api", "POST", "/api/v1/plan/statements", "statement").json = map[string]any{"year": 2026, "unit": s.unit, "title": "ISO-HIJACK", "targets": []int64{s.target}}
		wr("api", "POST", "/api/v1/plan/statements/"+st+"/sign", "statement").json = map[string]any{}
		wr("api", "POST", "/api/v1/plan/projects", "project").json = projectBody(s, "ISO-HIJACK")
		put := projectBody(s, "ISO-HIJACK")
		put["version"] = 1
		wr("api", "PUT", "/api/v1/plan/projects/"+pj, "project").json = put
		wr("api", "POST", "/api/v1/plan/projects/"+pj+"/photos", "project").json = map[string]any{"blob": s.photo, "kind": "after"}
		wr("api", "PUT", "/api/v1/plan/projects/"+pj+"/consultation", "project").json = map[string]any{"public": false, "consult": false}
		wr("api", "POST", "/api/v1/plan/suggestions/"+sg+"/moderate", "queue").json = map[string]any{"approve": true}
		wr("console", "POST", "/plan/targets", "target").form = url.Values{"year": {"2026"}, "unit": {s.unit}, "name": {"ISO-HIJACK"},
			"measure": {"milestone"}, "due": {"2026-12-31"}}
		wr("console", "POST", "/plan/targets/"+tg+"/reports", "target").form = url.Values{"value": {"70"}, "note": {"ISO-HIJACK"}}
		wr("console", "POST", "/plan/statements", "statement").form = url.Values{"year": {"2026"}, "unit": {s.unit}, "title": {"ISO-HIJACK"},
			"target": {tg}, "targets": {tg}}
		wr("console", "POST", "/plan/statements/"+st+"/sign", "statement").form = url.Values{"confirm": {"yes"}}
		wr("console", "POST", "/plan/projects", "project").form = url.Values{"name": {"ISO-HIJACK"}, "kind": {"back_alley"},
			"territory": {s.street}, "budget": {"1"}}
		wr("console", "POST", "/plan/projects/"+pj, "project").form = url.Values{"version": {"1"}, "spent": {"999"}}
		wr("console", "POST", "/plan/projects/"+pj+"/photos", "project").multi = true
		wr("console", "POST", "/plan/projects/"+pj+"/consult", "project").form = url.Values{"public": {"no"}, "consult": {"no"}}
		wr("console", "POST", "/plan/projects/"+pj+"/suggestions/"+sg, "queue").form = url.Values{"decision": {"approve"}}
	}
	return rs
}

// projectBody is a project of a side, for the API.
func projectBody(s *side, name string) map[string]any {
	return map[string]any{"name": name, "kind": "back_alley", "territory": s.street, "budget": 100000,
		"milestones": []map[string]any{{"name": "开工", "planned": "2026-03-01"}}, "outputs": []map[string]any{{"name": "路面", "unit": "米", "planned": 300}}}
}

// addUser adds a user to the world, with a token and the console password.
func (w *world) addUser(name string, role auth.Role, scope string) {
	w.t.Helper()
	ctx := context.Background()
	tok, err := w.f.App.AddUser(ctx, auth.User{Username: name, Role: role, Scope: scope}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	actor, err := w.f.App.Authenticate(ctx, tok)
	if err != nil {
		w.t.Fatal(err)
	}
	w.f.Tokens[name], w.f.Actors[name] = tok, actor
	if err := w.f.App.DB.SetPassword(ctx, name, auth.HashPasswordWith(password, auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})); err != nil {
		w.t.Fatal(err)
	}
	w.secrets = append(w.secrets, tok)
}

// must makes a request as who on the API and wants status want.
func (w *world) must(who string, want int, method, path string, body any) map[string]any {
	w.t.Helper()
	c := w.client(w.f.Tokens[who])
	var r resp
	switch b := body.(type) {
	case []byte:
		r = c.do(method, path, "application/octet-stream", bytes.NewReader(b))
	default:
		j, _ := json.Marshal(b)
		r = c.do(method, path, "application/json", bytes.NewReader(j))
	}
	if r.status != want {
		w.t.Fatalf("%s %s %s: %d, want %d: %.500s", who, method, path, r.status, want, r.body)
	}
	out := map[string]any{}
	json.Unmarshal([]byte(r.body), &out)
	return out
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// buildSides makes each side's objects as admin, leader, inspector, the
// owner units and a citizen would.
func buildSides(t *testing.T, w *world, q, j *side) {
	scheme := map[string]any{"code": "iso", "name": "ISO考核办法", "level": "community", "min_sample": 1, "indicators": []any{
		map[string]any{"code": "road", "name": "道路", "full_marks": 100, "deductions": []any{map[string]any{"points": 2.5}}}}}
	w.must("admin", 201, "POST", "/api/v1/assess/schemes", scheme)
	grids := map[*side]string{q: "32021302201001", j: "32021302300101"}
	for _, s := range []*side{q, j} {
		w.must("admin", 201, "POST", "/api/v1/assess/points", map[string]any{"code": s.pointCode, "name": s.pointName, "type": "main_road", "lon": s.pt[0], "lat": s.pt[1]})
		w.must("admin", 201, "POST", "/api/v1/assess/management-units", map[string]any{"code": s.mu, "name": s.muName, "parent": s.street, "grids": []string{grids[s]}})
		rd := w.must("dispatcher", 201, "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "iso", "period": "2026-10", "name": s.roundName,
			"territory": s.street, "sizes": map[string]int{"main_road": 1}, "seed": "42"})
		s.round = num(rd["id"])
		w.must("inspector", 201, "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/findings", s.round),
			map[string]any{"point": s.pointCode, "indicator": "road", "category": "E0104", "note": s.finding})
		p := w.must("admin", 201, "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-10", "round": s.round})
		s.pub = num(p["id"])

		tg := w.must("admin", 201, "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "unit": s.unit, "name": s.targetName,
			"measure": "percent", "baseline": 60, "goal": 90, "due": "2026-12-31"})
		s.target = num(tg["id"])
		owner := map[*side]string{q: "jiale", j: "admin"}[s]
		s.reportPhoto = w.must(owner, 201, "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "report-"+s.name...))["id"].(string)
		w.must(owner, 201, "POST", fmt.Sprintf("/api/v1/plan/targets/%d/reports", s.target), map[string]any{"value": 63, "note": s.reportNote, "blobs": []string{s.reportPhoto}})
		st := w.must("admin", 201, "POST", "/api/v1/plan/statements", map[string]any{"year": 2026, "unit": s.unit, "title": s.stTitle, "targets": []int64{s.target}})
		s.statement = num(st["id"])
		pj := w.must("leader", 201, "POST", "/api/v1/plan/projects", projectBody(s, s.projName))
		s.project = num(pj["id"])
		s.photo = w.must("leader", 201, "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "project-"+s.name...))["id"].(string)
		w.must("leader", 201, "POST", fmt.Sprintf("/api/v1/plan/projects/%d/photos", s.project), map[string]any{"blob": s.photo, "kind": "before", "caption": s.caption})
		w.must("leader", 200, "PUT", fmt.Sprintf("/api/v1/plan/projects/%d/consultation", s.project), map[string]any{"public": true, "consult": true})
		// A citizen suggests on the portal, with a contact.
		cit := w.client("")
		page := cit.get(fmt.Sprintf("/public/projects/%d", s.project))
		tok := match(t, portalCSRF, page)
		r := cit.postForm(fmt.Sprintf("/public/projects/%d/suggest", s.project), url.Values{"csrf": {tok}, "kind": {"suggestion"},
			"body": {s.sugg}, "contact": {s.contact}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("suggestion on %s: %d %.300s", s.projName, r.status, r.body)
		}
		sgs := w.must("admin", 200, "GET", "/api/v1/plan/suggestions", nil)
		for _, it := range sgs["items"].([]any) {
			if m := it.(map[string]any); m["body"] == s.sugg {
				s.suggestion = num(m["id"])
			}
		}
		if s.suggestion == 0 {
			t.Fatalf("suggestion %q not in the queue: %v", s.sugg, sgs)
		}
	}
}

// snapshot is a digest of every table the matrix's writes could change.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"assess_schemes", "assess_points", "assess_mgmt_units", "assess_mgmt_unit_grids", "assess_rounds",
		"assess_round_points", "assess_findings", "assess_publications", "plan_targets", "plan_reports", "plan_statements", "plan_projects",
		"plan_project_photos", "plan_suggestions", "cases", "events", "hotline_mappings", "units", "categories"} {
		rows, err := db.R.QueryContext(t.Context(), "SELECT * FROM "+tbl)
		if err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rows.Close()
		h := fnv.New64a()
		// Row order is not fixed without ORDER BY: sum the rows' hashes.
		var sum uint64
		for _, l := range lines {
			h.Reset()
			h.Write([]byte(l))
			sum += h.Sum64()
		}
		fmt.Fprintf(&b, "%s:%d:%x ", tbl, len(lines), sum)
	}
	return b.String()
}

// TestScopeMatrix proves territory and role isolation of assessment (考核),
// plans (targets, statements, projects, consultation) and hotline import
// on the API and the console: every actor × an object of each kind in 清名桥
// and in 金星 × every endpoint. Reads outside scope answer 403/404 or a list
// without the object, and never show its marker text; reads inside scope
// show it; writes outside scope are refused and change no table.
func TestScopeMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.addUser("dispatcher-qmq", auth.Dispatcher, "320213022")
		q, j := newSides()
		buildSides(t, w, q, j)
		rows := scopeRows(q, j)
		actors := []string{"admin", "dispatcher", "dispatcher-qmq", "dispatcher-jx", "inspector", "inspector2", "leader", "leader-jx", "san", "jiale", "nanyuan"}
		clients := map[string]*client{}
		clientFor := func(who, door string) *client {
			k := who + "/" + door
			if c, ok := clients[k]; ok {
				return c
			}
			c := w.client(w.f.Tokens[who])
			if door == "console" {
				c = w.login(who)
			}
			clients[k] = c
			return c
		}
		var reads, writes, insides int
		for _, who := range actors {
			for _, r := range rows {
				inside := r.kind != "" && canRead(who, r.kind, r.s)
				if r.write() && inside {
					// Writes inside scope would change what the other cells
					// read: only refusals are tested.
					continue
				}
				c := clientFor(who, r.door)
				name := fmt.Sprintf("%s %s %s %s (%s of %s, inside=%v)", who, r.door, r.method, r.path, r.kind, r.s.name, inside)
				var before string
				if r.write() {
					before = snapshot(t, db)
				}
				var got resp
				switch {
				case r.door == "api" && r.raw != nil:
					got = c.do(r.method, r.path, "text/csv", bytes.NewReader(r.raw))
				case r.door == "api":
					b, _ := json.Marshal(r.json)
					got = c.do(r.method, r.path, "application/json", bytes.NewReader(b))
				case r.multi:
					ct, body := multipartBody(url.Values{"_csrf": {c.csrf}, "kind": {"after"}}, "photos", 0)
					got = c.do(r.method, r.path, ct, body)
				case r.file != nil:
					ct, body := multipartFile(url.Values{"_csrf": {c.csrf}}, "file", "iso.csv", r.file)
					got = c.do(r.method, r.path, ct, body)
				case r.method == "GET":
					got = c.get(r.path)
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
					continue
				}
				if r.async && got.status == http.StatusSeeOther {
					got = waitJob(t, c, got.header.Get("Location"))
				}
				if r.write() {
					writes++
					if got.status != http.StatusForbidden && got.status != http.StatusNotFound && !(r.allow200 && got.status == http.StatusOK) {
						t.Errorf("%s: out-of-scope write answered %d, want 403/404: %.300s", name, got.status, got.body)
					}
					if after := snapshot(t, db); after != before {
						t.Errorf("%s: out-of-scope write changed the store:\n before %s\n after  %s", name, before, after)
					}
					continue
				}
				reads++
				if inside {
					insides++
					if got.status != http.StatusOK && !(len(r.marks) == 0 && got.status < 400) {
						t.Errorf("%s: inside read answered %d: %.300s", name, got.status, got.body)
					}
				} else if r.direct && got.status != http.StatusForbidden && got.status != http.StatusNotFound {
					t.Errorf("%s: out-of-scope read answered %d, want 403/404: %.300s", name, got.status, got.body)
				}
				for _, mk := range r.marks {
					may := canRead(who, mk.kind, mk.s)
					for i, txt := range mk.texts {
						has := strings.Contains(got.body, txt)
						if !may && has {
							t.Errorf("%s: reveals %s of %s (%q, status %d): %.300s", name, mk.kind, mk.s.name, txt, got.status, got.body)
						}
						if may && i == 0 && !has && !mk.absentOnly && got.status == http.StatusOK {
							t.Errorf("%s: lacks %s of %s the actor may read (%q): %.300s", name, mk.kind, mk.s.name, txt, got.body)
						}
					}
				}
			}
		}
		// A photo is served only through the object it belongs to: another
		// street's photo through one's own project or target is not found,
		// even for who may read both.
		for _, who := range []string{"admin", "leader", "leader-jx", "dispatcher-jx", "jiale"} {
			for _, p := range []struct{ door, path string }{
				{"api", fmt.Sprintf("/api/v1/plan/projects/%d/photos/%s", j.project, q.photo)},
				{"console", fmt.Sprintf("/plan/projects/%d/photos/%s", j.project, q.photo)},
				{"console", fmt.Sprintf("/plan/projects/%d/photos/%s", j.project, q.reportPhoto)},
				{"console", fmt.Sprintf("/plan/targets/%d/photos/%s", j.target, q.reportPhoto)},
				{"console", fmt.Sprintf("/plan/targets/%d/photos/%s", q.target, q.photo)},
				{"api", fmt.Sprintf("/api/v1/plan/projects/%d/photos/%s", q.project, q.reportPhoto)},
			} {
				if got := clientFor(who, p.door).get(p.path); got.status != http.StatusNotFound && got.status != http.StatusForbidden {
					t.Errorf("%s GET %s: %d, want 403/404 (the photo is not that object's)", who, p.path, got.status)
				}
			}
		}
		// The same writes inside scope are taken, or the refusals prove nothing.
		before := snapshot(t, db)
		var imp struct {
			Imported int `json:"imported"`
		}
		b, _ := json.Marshal(w.must("dispatcher-qmq", 200, "POST", "/api/v1/hotline/import", scopeRowFor(rows, "api", "/api/v1/hotline/import", q).raw))
		if json.Unmarshal(b, &imp); imp.Imported != 1 {
			t.Errorf("hotline import inside scope: %s, want 1 imported", b)
		}
		w.must("jiale", 201, "POST", fmt.Sprintf("/api/v1/plan/targets/%d/reports", q.target), map[string]any{"value": 70, "note": "in scope"})
		w.must("leader-jx", 201, "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/findings", j.round), map[string]any{"point": j.pointCode, "indicator": "road", "category": "E0104"})
		w.must("leader-jx", 200, "POST", fmt.Sprintf("/api/v1/plan/suggestions/%d/moderate", j.suggestion), map[string]any{"approve": true})
		w.must("leader-jx", 200, "PUT", fmt.Sprintf("/api/v1/plan/projects/%d/consultation", j.project), map[string]any{"public": true, "consult": false})
		if after := snapshot(t, db); after == before {
			t.Error("writes inside scope changed nothing: the snapshot cannot see writes")
		}
		w.checkLog(t, true)
		t.Logf("scope matrix: %d actors × %d requests: %d reads (%d inside), %d refused writes", len(actors), len(rows), reads, insides, writes)
		fmt.Printf("scope matrix (%s): %d reads (%d inside), %d refused writes\n", db.Dialect, reads, insides, writes)
	})
}

// TestDistrictRoundPartialViews: a district round spans both streets. A
// street's dispatcher, leader or inspector reads its own street's part of
// it (points, sample, findings, scores) and never the other street's; its
// publication is read whole by the street's leader (the notice is
// addressed to them) and as an excerpt by the street's dispatcher
// (assess.Visibility).
func TestDistrictRoundPartialViews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.addUser("dispatcher-qmq", auth.Dispatcher, "320213022")
		q, j := newSides()
		buildSides(t, w, q, j)
		rd := w.must("dispatcher", 201, "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "iso", "period": "2026-10", "name": "ISO-RD-D-7743",
			"territory": "320213", "sizes": map[string]int{"main_road": 1}, "seed": "9"})
		id := num(rd["id"])
		notes := map[*side]string{q: "ISO-FIND-DQ-1101", j: "ISO-FIND-DJ-1102"}
		for _, s := range []*side{q, j} {
			w.must("inspector", 201, "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/findings", id),
				map[string]any{"point": s.pointCode, "indicator": "road", "category": "E0104", "note": notes[s]})
		}
		pub := num(w.must("admin", 201, "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-10", "round": id})["id"])
		// Recording at the other street's points of the district round is
		// refused, on both doors, and changes nothing.
		before := snapshot(t, db)
		for _, c := range []struct {
			who string
			s   *side
		}{{"inspector2", j}, {"dispatcher-jx", q}, {"leader-jx", q}, {"dispatcher-qmq", j}} {
			api, con := w.client(w.f.Tokens[c.who]), w.login(c.who)
			for _, r := range []resp{
				api.postJSON(fmt.Sprintf("/api/v1/assess/rounds/%d/findings", id), map[string]any{"point": c.s.pointCode, "indicator": "road", "category": "E0104", "note": "ISO-HIJACK"}),
				api.postJSON(fmt.Sprintf("/api/v1/assess/rounds/%d/inspected", id), map[string]any{"point": c.s.pointCode}),
				api.postJSON(fmt.Sprintf("/api/v1/assess/rounds/%d/visits", id), map[string]any{"point": c.s.pointCode}),
				con.postForm(fmt.Sprintf("/assess/rounds/%d/findings", id), url.Values{"_csrf": {con.csrf}, "point": {c.s.pointCode}, "indicator": {"road"},
					"category": {"E0104"}, "count": {"1"}, "note": {"ISO-HIJACK"}}),
				con.postForm(fmt.Sprintf("/assess/rounds/%d/inspected", id), url.Values{"_csrf": {con.csrf}, "point": {c.s.pointCode}}),
				con.postForm(fmt.Sprintf("/assess/rounds/%d/visits", id), url.Values{"_csrf": {con.csrf}, "point": {c.s.pointCode}}),
			} {
				if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
					t.Errorf("%s recording at %s's point %s of the district round: %d, want 403/404: %.300s", c.who, c.s.name, c.s.pointCode, r.status, r.body)
				}
			}
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("refused recordings changed the store:\n before %s\n after  %s", before, after)
		}
		// The same at one's own street's point is taken.
		w.must("inspector2", 204, "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/inspected", id), map[string]any{"point": q.pointCode})
		type view struct {
			who      string
			mine     *side // the street whose part the actor reads ("" both)
			pubWhole bool  // reads the publication whole
			canRead  bool  // reads results at all (not inspectors)
		}
		rpath := fmt.Sprintf("/api/v1/assess/rounds/%d", id)
		for _, v := range []view{
			{who: "dispatcher-jx", mine: j, canRead: true},
			{who: "dispatcher-qmq", mine: q, canRead: true},
			{who: "leader-jx", mine: j, pubWhole: true, canRead: true},
			{who: "inspector2", mine: q},
		} {
			other := map[*side]*side{q: j, j: q}[v.mine]
			api, con := w.client(w.f.Tokens[v.who]), w.login(v.who)
			check := func(path string, r resp, mine, theirs []string) {
				t.Helper()
				r.body = unzipped(r.body)
				if r.status != http.StatusOK {
					t.Errorf("%s GET %s: %d %.300s", v.who, path, r.status, r.body)
					return
				}
				for _, s := range mine {
					if !strings.Contains(r.body, s) {
						t.Errorf("%s GET %s lacks its own street's %q: %.300s", v.who, path, s, r.body)
					}
				}
				for _, s := range theirs {
					if strings.Contains(r.body, s) {
						t.Errorf("%s GET %s reveals the other street's %q: %.300s", v.who, path, s, r.body)
					}
				}
			}
			mineRound, theirRound := []string{v.mine.pointCode, notes[v.mine]}, []string{other.pointCode, other.pointName, notes[other]}
			check(rpath, api.get(rpath), mineRound, theirRound)
			check(rpath+"/sample", api.get(rpath+"/sample"), []string{v.mine.pointCode}, theirRound)
			cp := fmt.Sprintf("/assess/rounds/%d", id)
			check(cp, con.get(cp), []string{v.mine.pointCode}, theirRound)
			if !v.canRead {
				continue
			}
			sp := fmt.Sprintf("/api/v1/assess/scores?round=%d", id)
			check(sp, api.get(sp), []string{v.mine.community}, []string{other.community})
			csp := fmt.Sprintf("/assess/scores?round=%d", id)
			check(csp, con.get(csp), []string{v.mine.commName}, []string{other.commName})
			pubs := []struct {
				path         string
				c            *client
				mine, theirs []string
			}{
				{fmt.Sprintf("/api/v1/assess/publications?kind=scores&period=2026-10&scope=round:%d", id), api, []string{v.mine.community}, []string{other.community}},
				{fmt.Sprintf("/api/v1/assess/publications/%d/notice.html", pub), api, []string{v.mine.commName}, []string{other.commName}},
				{fmt.Sprintf("/api/v1/assess/publications/%d/notice.xlsx", pub), api, []string{v.mine.commName}, []string{other.commName}},
				{fmt.Sprintf("/assess/publications/%d/notice.html", pub), con, []string{v.mine.commName}, []string{other.commName}},
				{fmt.Sprintf("/assess/publications/%d/notice.xlsx", pub), con, []string{v.mine.commName}, []string{other.commName}},
			}
			for _, p := range pubs {
				if v.pubWhole {
					check(p.path, p.c.get(p.path), append(p.mine, p.theirs...), nil)
				} else {
					check(p.path, p.c.get(p.path), p.mine, p.theirs)
				}
			}
		}
	})
}

// multipartFile is a form with one file.
func multipartFile(fields url.Values, field, name string, data []byte) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// waitJob follows a console import to its job and waits for the job to
// end; a job that imported rows answers 200 with its count, which the
// caller's store comparison judges.
func waitJob(t *testing.T, c *client, page string) resp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.get(page + "/status.json")
		var st struct {
			State    string `json:"state"`
			Imported int    `json:"imported"`
		}
		json.Unmarshal([]byte(r.body), &st)
		if r.status != http.StatusOK || st.State != "running" {
			if st.State == "done" && st.Imported == 0 {
				// Every row refused: a refusal, as the API's 200 with errors.
				r.status = http.StatusNotFound
			}
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("import job %s still running", page)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scopeRowFor finds a row of the matrix.
func scopeRowFor(rows []srow, door, path string, s *side) srow {
	for _, r := range rows {
		if r.door == door && r.path == path && r.s == s {
			return r
		}
	}
	panic("no row " + path)
}

// TestHotlineJobsAreTheirStarters: a console hotline import's job page,
// progress and error file (which repeat the orders' text and addresses)
// are its starter's alone, whoever else asks.
func TestHotlineJobsAreTheirStarters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		marker := "ISO-HOTJOB-7007" // the order number, which the error file repeats
		csv := fmt.Appendf(nil, "工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度,紧急程度\n%s,2026-11-20 09:00,无此类别,无法归类,清扬路,%g,%g,一般\n",
			marker, apptest.PointJiale1[0], apptest.PointJiale1[1])
		owner := w.login("dispatcher")
		ct, body := multipartFile(url.Values{"_csrf": {owner.csrf}}, "file", "orders.csv", csv)
		r := owner.do("POST", "/hotline", ct, body)
		page := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(page, "/hotline/jobs/") {
			t.Fatalf("upload: %d %q %.300s", r.status, page, r.body)
		}
		if st := waitJob(t, owner, page); st.status >= 400 && st.status != http.StatusNotFound {
			t.Fatalf("job: %d %.300s", st.status, st.body)
		}
		if got := owner.get(page + "/errors.csv"); got.status != http.StatusOK || !strings.Contains(got.body, marker) {
			t.Fatalf("the starter's error file: %d, want the refused row %q: %.300s", got.status, marker, got.body)
		}
		for _, who := range []string{"admin", "dispatcher-jx", "inspector", "leader"} {
			c := w.login(who)
			for _, p := range []string{page, page + "/status.json", page + "/errors.csv", "/hotline"} {
				got := c.get(p)
				if p != "/hotline" && got.status != http.StatusNotFound && got.status != http.StatusForbidden {
					t.Errorf("%s GET %s: %d, want 403/404", who, p, got.status)
				}
				// An error page may repeat the id asked for; the list must not name it.
				if strings.Contains(got.body, marker) || p == "/hotline" && strings.Contains(got.body, strings.TrimPrefix(page, "/hotline/jobs/")) {
					t.Errorf("%s GET %s reveals another's import: %.300s", who, p, got.body)
				}
			}
		}
	})
}
