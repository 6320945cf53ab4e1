package demo

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// checkPlans: the demo has a year of targets in every state, statements
// signed and waiting, and the seeds' projects in every stage with
// consultation and a poll.
func checkPlans(t *testing.T, a *app.App, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	svc := &plan.Service{Store: db, Now: time.Now, Ancestors: func(code string) []string { return a.Territory().Ancestors(code) }}
	svc.UseAssessment(&assess.Service{Store: db, Cases: a.Cases, Calendar: a.Calendar, Locate: a.Locate, Category: a.Category,
		Area: func(code string) (territory.Area, bool) { return a.Territory().Area(code) }, Now: time.Now})
	u, err := db.UserByName(ctx, "leader")
	if err != nil {
		t.Fatal(err)
	}
	leader := auth.Actor{UserID: u.ID, Username: "leader", Role: auth.Leader, Scope: "320213"}
	year := time.Now().In(plan.YearStart(2000).Location()).Year()
	ts, err := svc.Targets(ctx, leader, year, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 13 {
		t.Errorf("%d demo targets, want 13", len(ts))
	}
	states := map[string]int{}
	evidence := 0
	sources := map[string]int{}
	for _, s := range ts {
		sources[s.Source]++
		switch {
		case s.Met && !s.Late:
			states["done"]++
		case s.Late:
			states["late"]++
		case s.Value != nil:
			states["on track"]++
		}
		full, err := svc.Target(ctx, leader, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range full.History {
			if len(r.Blobs) > 0 {
				evidence++
			}
		}
	}
	for _, st := range []string{"done", "late", "on track"} {
		if states[st] == 0 {
			t.Errorf("no demo target is %s: %v", st, states)
		}
	}
	for _, src := range []string{plan.Manual, plan.Cases, plan.OnTime, plan.Score, plan.Excellence, plan.Clean} {
		if sources[src] == 0 {
			t.Errorf("no demo target from %s", src)
		}
	}
	if evidence < 3 {
		t.Errorf("%d reports with photos", evidence)
	}
	sts, err := svc.Statements(ctx, leader, year)
	if err != nil {
		t.Fatal(err)
	}
	signed := 0
	for _, st := range sts {
		if st.Signed() {
			signed++
		}
	}
	if len(sts) != 5 || signed != 2 {
		t.Errorf("statements %d, signed %d", len(sts), signed)
	}

	ps, err := svc.Projects(ctx, leader, "", "")
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]int{}
	kinds := map[string]int{}
	var four int64
	var parking float64
	for _, p := range ps {
		stages[p.Stage]++
		kinds[p.Kind]++
		if p.Area == nil {
			t.Errorf("%s has no area", p.Name)
		} else if _, err := plan.CheckArea(p.Area); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		switch p.Name {
		case "城东社区小花坞区块", "城西社区象牙浦区块", "春秋社区田园路区块", "太平桥社区佳和苑区块":
			four += p.Budget
		}
		for _, o := range p.Outputs {
			if o.Name == "新增停车位" {
				parking += o.Planned
			}
		}
		if p.Stage == plan.InProgress && p.LateMilestones == 0 {
			t.Errorf("%s in progress with no late milestone", p.Name)
		}
	}
	if four != 63000000 || parking < 180 {
		t.Errorf("four blocks %d yuan, parking planned %v", four, parking)
	}
	if stages[plan.Planned] == 0 || stages[plan.InProgress] == 0 || stages[plan.Done] == 0 || len(kinds) != 3 {
		t.Errorf("stages %v kinds %v", stages, kinds)
	}
	pub, err := svc.PublicProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var consulting, polled, approved, pending int
	for _, p := range pub {
		v, err := svc.PublicProject(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Consult {
			consulting++
			all, _ := svc.Suggestions(ctx, leader, p.ID, plan.Pending)
			pending += len(all)
			approved += len(v.Suggestions)
		}
		if v.Poll != nil && v.Poll.Votes > 0 {
			polled++
			if v.Poll.Votes != 42 || *v.Poll.Rate != 95.24 {
				t.Errorf("poll of %s: %+v", p.Name, v.Poll)
			}
		}
		for _, sg := range v.Suggestions {
			if sg.Contact != "" {
				t.Errorf("public suggestion with a contact")
			}
		}
	}
	if consulting < 2 || polled < 1 || approved == 0 || pending == 0 {
		t.Errorf("consulting %d polled %d approved %d pending %d", consulting, polled, approved, pending)
	}
	// The year-end workbook builds.
	rep, err := svc.YearReport(ctx, leader, year, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rep.XLSX(); err != nil {
		t.Error(err)
	}
}
