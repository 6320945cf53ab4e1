package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestProjectConsultation follows public consultation on both stores:
// publication, the pages (map, milestones, outputs, budget, photos), a
// suggestion through CSRF, honeypot and checks, moderation (only approved
// ones shown, a contact never), and the satisfaction poll of a completed
// project, one vote per browser and none from the same address in a day.
func TestProjectConsultation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()
		leader := e.f.Actors["leader"]
		svc := &plan.Service{Store: db, Now: e.clock, Ancestors: func(code string) []string { return e.f.App.Territory().Ancestors(code) }}
		area := json.RawMessage(`{"type":"Polygon","coordinates":[[[120.21,31.51],[120.24,31.51],[120.24,31.54],[120.21,31.54],[120.21,31.51]]]}`)
		save := func(name string, steps []plan.Step) plan.Project {
			p, err := svc.SaveProject(ctx, leader, plan.Project{Name: name, Kind: plan.BackAlley, Territory: "320213022010", Budget: 16020000, Spent: 8010000,
				Milestones: steps, Outputs: []plan.Output{{Name: "新增停车位", Unit: "个", Planned: 120, Achieved: 86}}, Area: area})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		open := save("太平桥社区佳和苑区块", []plan.Step{{Name: "设计", Planned: "2026-03-01", Actual: "2026-03-05"}, {Name: "完工", Planned: "2026-10-31"}})
		done := save("春秋社区田园路区块", []plan.Step{{Name: "完工", Planned: "2026-09-30", Actual: "2026-09-28"}})
		hidden := save("内部项目", nil)
		if open.Stage != plan.InProgress || done.Stage != plan.Done || hidden.Stage != plan.Planned || open.LateMilestones != 2 {
			t.Fatalf("stages %s %s %s, late %d", open.Stage, done.Stage, hidden.Stage, open.LateMilestones)
		}
		if _, err := svc.SetConsultation(ctx, leader, open.ID, plan.ConsultInput{Consult: true}); err == nil {
			t.Fatal("consultation without publication accepted")
		}
		if _, err := svc.SetConsultation(ctx, e.f.Actors["jiale"], open.ID, plan.ConsultInput{Public: true}); err == nil {
			t.Fatal("a community handler published a project")
		}
		for id, in := range map[int64]plan.ConsultInput{open.ID: {Public: true, Consult: true}, done.ID: {Public: true}} {
			if _, err := svc.SetConsultation(ctx, leader, id, in); err != nil {
				t.Fatal(err)
			}
		}
		before, after := e.f.Photo(t, "before"), e.f.Photo(t, "after")
		for kind, b := range map[string]string{plan.Before: before, plan.After: after} {
			if _, err := svc.AddPhoto(ctx, leader, done.ID, plan.PhotoInput{Blob: b, Kind: kind, Caption: "田园路" + kind}); err != nil {
				t.Fatal(err)
			}
		}

		cz := e.citizen("")
		list := cz.get("/public/projects")
		if list.status != 200 || !strings.Contains(list.body, "太平桥社区佳和苑区块") || !strings.Contains(list.body, "春秋社区田园路区块") || strings.Contains(list.body, "内部项目") {
			t.Fatalf("list %d: %s", list.status, list.body)
		}
		if p := cz.get(fmt.Sprintf("/public/projects/%d", hidden.ID)); p.status != 404 {
			t.Errorf("unpublished project: %d", p.status)
		}
		if p := cz.get("/public/projects/abc"); p.status != 404 {
			t.Errorf("bad id: %d", p.status)
		}
		openPath := fmt.Sprintf("/public/projects/%d", open.ID)
		pg := cz.get(openPath)
		// 1,602万 budget, 801万 spent (50.0%), the area on the map, the late milestones
		// (设计 reached after its date, 完工 not reached by 31 October).
		for _, want := range []string{"1602 万元", "801 万元（50.0%）", `id="project-map"`, "data-area=", "新增停车位", "86 个", "滞后", `id="suggest-form"`} {
			if !strings.Contains(pg.body, want) {
				t.Errorf("project page lacks %q", want)
			}
		}
		if strings.Contains(pg.body, `id="vote-form"`) {
			t.Error("a poll on works not done")
		}

		suggest := func(c *citizen, id int64, v url.Values) page {
			v.Set("csrf", c.csrf)
			return c.postForm(fmt.Sprintf("/public/projects/%d/suggest", id), v)
		}
		good := func(body, contact string) url.Values {
			return url.Values{"kind": {"suggestion"}, "body": {body}, "contact": {contact}}
		}
		if p := suggest(cz, open.ID, good("建议在巷口增设非机动车停放点", "13800138000")); p.status != 303 || !strings.HasSuffix(p.header.Get("Location"), "?suggested=1#suggest") {
			t.Fatalf("suggestion: %d %s", p.status, p.body)
		}
		suggest(cz, open.ID, url.Values{"kind": {"comment"}, "body": {"施工噪音太大，晚上请停工"}, "contact": {"王先生 13900139000"}})
		trap := good("我是机器人填写的内容", "")
		trap.Set("website", "http://spam")
		if p := suggest(cz, open.ID, trap); p.status != 400 {
			t.Errorf("honeypot: %d", p.status)
		}
		if p := cz.postForm(fmt.Sprintf("/public/projects/%d/suggest", open.ID), good("没有令牌的提交内容", "")); p.status != 403 {
			t.Errorf("no CSRF: %d", p.status)
		}
		if p := suggest(cz, open.ID, good("短", "")); p.status != 400 || !strings.Contains(p.body, "内容须为 5–1000 字") || !strings.Contains(p.body, `id="problems"`) {
			t.Errorf("too short: %d", p.status)
		}
		if p := suggest(cz, done.ID, good("完工项目还能提意见吗", "")); p.status != 409 {
			t.Errorf("suggestion on a project not consulting: %d", p.status)
		}
		if p := suggest(cz, hidden.ID, good("未公开项目的意见内容", "")); p.status != 404 {
			t.Errorf("suggestion on a hidden project: %d", p.status)
		}

		// Pending: nothing shown yet.
		if p := cz.get(openPath); strings.Contains(p.body, "非机动车停放点") || strings.Contains(p.body, "施工噪音") {
			t.Error("a pending suggestion is shown")
		}
		sgs, err := svc.Suggestions(ctx, leader, open.ID, plan.Pending)
		if err != nil || len(sgs) != 2 || sgs[0].Contact != "13800138000" {
			t.Fatalf("pending %v %v", sgs, err)
		}
		// A community handler sees the suggestions of its area, not the contacts, and cannot moderate.
		if hs, err := svc.Suggestions(ctx, e.f.Actors["jiale"], open.ID, ""); err != nil || len(hs) != 2 || hs[0].Contact != "" {
			t.Errorf("handler's view %v %v", hs, err)
		}
		if _, err := svc.Moderate(ctx, e.f.Actors["jiale"], sgs[0].ID, plan.ModerateInput{Approve: true}); err == nil {
			t.Error("a handler moderated")
		}
		if _, err := svc.Moderate(ctx, leader, sgs[1].ID, plan.ModerateInput{}); err == nil {
			t.Error("a rejection without a reason")
		}
		if _, err := svc.Moderate(ctx, leader, sgs[0].ID, plan.ModerateInput{Approve: true}); err != nil {
			t.Fatal(err)
		}
		rej, err := svc.Moderate(ctx, leader, sgs[1].ID, plan.ModerateInput{Reason: "夜间施工已按规定报备"})
		if err != nil || rej.State != plan.Rejected || rej.Reason != "夜间施工已按规定报备" || rej.ModeratedBy != leader.UserID {
			t.Fatalf("rejected %+v %v", rej, err)
		}
		if _, err := svc.Moderate(ctx, leader, sgs[1].ID, plan.ModerateInput{Approve: true}); err == nil {
			t.Error("moderated twice")
		}
		pg = cz.get(openPath)
		if !strings.Contains(pg.body, "建议在巷口增设非机动车停放点") || strings.Contains(pg.body, "施工噪音") {
			t.Error("the approved suggestion is not shown, or the rejected one is")
		}
		for _, private := range []string{"13800138000", "13900139000", "王先生"} {
			if strings.Contains(pg.body, private) || strings.Contains(list.body, private) {
				t.Errorf("contact %q on a public page", private)
			}
		}

		// The completed project: photos before and after, and the poll.
		donePath := fmt.Sprintf("/public/projects/%d", done.ID)
		pg = cz.get(donePath)
		for _, want := range []string{`id="vote-form"`, "整治前", "整治后", "/photo/" + before, "/photo/" + after, "共 0 人参与评价"} {
			if !strings.Contains(pg.body, want) {
				t.Errorf("completed project page lacks %q", want)
			}
		}
		if strings.Contains(pg.body, `id="suggest-form"`) {
			t.Error("suggestion form on a project not consulting")
		}
		if p := cz.get(donePath + "/photo/" + before); p.status != 200 || p.header.Get("Content-Type") != "image/png" {
			t.Errorf("photo: %d %s", p.status, p.header.Get("Content-Type"))
		}
		if p := cz.get(donePath + "/photo/" + e.f.Photo(t, "other")); p.status != 404 {
			t.Errorf("a photo not of the project: %d", p.status)
		}
		vote := func(c *citizen, id int64, rating string) page {
			return c.postForm(fmt.Sprintf("/public/projects/%d/vote", id), url.Values{"csrf": {c.csrf}, "rating": {rating}})
		}
		if p := vote(cz, open.ID, "satisfied"); p.status != 409 {
			t.Errorf("vote on works in progress: %d", p.status)
		}
		if p := vote(cz, done.ID, "great"); p.status != 400 {
			t.Errorf("bad answer: %d", p.status)
		}
		if p := vote(cz, done.ID, "satisfied"); p.status != 303 {
			t.Fatalf("vote: %d %s", p.status, p.body)
		}
		if p := vote(cz, done.ID, "unsatisfied"); p.status != 409 {
			t.Errorf("second vote of a browser: %d", p.status)
		}
		// Another browser on the same address: refused within the day.
		cz2 := e.citizen("")
		cz2.get(donePath)
		if p := vote(cz2, done.ID, "unsatisfied"); p.status != 409 {
			t.Errorf("second vote of an address: %d", p.status)
		}
		e.advance(25 * time.Hour)
		if p := vote(cz2, done.ID, "basic"); p.status != 303 {
			t.Errorf("vote after the window: %d", p.status)
		}
		cz3 := e.citizen("")
		cz3.get(donePath)
		e.advance(25 * time.Hour)
		vote(cz3, done.ID, "unsatisfied")
		// 1 satisfied, 1 basic, 1 unsatisfied: 3 votes, 66.67% satisfied or basically.
		pg = cz.get(donePath)
		for _, want := range []string{"共 3 人参与评价", "满意率 66.67%", `id="poll-satisfied">1（33.3%）`, `id="poll-unsatisfied">1（33.3%）`} {
			if !strings.Contains(pg.body, want) {
				t.Errorf("poll lacks %q", want)
			}
		}
		if poll, err := svc.Poll(ctx, leader, done.ID); err != nil || poll.Votes != 3 || poll.Basic != 1 || *poll.Rate != 66.67 {
			t.Errorf("poll %+v %v", poll, err)
		}
		// Only hashes are stored: no address, no cookie.
		var voter, ip string
		if err := db.R.QueryRow(db.Q(`SELECT voter, ip FROM plan_votes WHERE project_id = ? LIMIT 1`), done.ID).Scan(&voter, &ip); err != nil ||
			!regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(voter) || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ip) {
			t.Errorf("stored voter %q ip %q (%v)", voter, ip, err)
		}
		// English too.
		if p := e.citizen("en").get(donePath); !strings.Contains(p.body, "Satisfaction poll") || !strings.Contains(p.body, "Before") {
			t.Errorf("English page: %s", p.body)
		}
	})
}
