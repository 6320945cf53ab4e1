package demo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// checkAssessment (from TestSeed, on the seeded demo): the demo's
// assessment has content for every page: the scheme with the seeds'
// indicators, points in 清名桥街道's communities, management units, rounds
// for the last months with findings that opened cases, scores with ranked,
// excellent and insufficient units, and the last month and quarter published
// (recomputing byte for byte).
func checkAssessment(t *testing.T, a *app.App, db *store.DB) {
	ctx := context.Background()
	svc := &assess.Service{Store: db, Cases: a.Cases, Calendar: a.Calendar, Locate: a.Locate, Category: a.Category,
		Area: func(code string) (territory.Area, bool) { return a.Territory().Area(code) }, Now: time.Now}
	leader, err := db.UserByName(ctx, "leader")
	if err != nil {
		t.Fatal(err)
	}
	reader := auth.Actor{UserID: leader.ID, Username: "leader", Role: auth.Leader, Scope: "320213"}

	schemes, err := svc.Schemes(ctx, reader)
	if err != nil || len(schemes) != 2 || schemes[0].Code != DemoScheme || !schemes[0].Frozen {
		t.Fatalf("schemes: %+v %v", schemes, err)
	}
	names := map[string]bool{}
	for _, l := range schemes[0].Leaves() {
		names[l.Name] = true
	}
	for _, n := range []string{"主次干道", "背街小巷", "农贸市场", "老旧小区", "公厕", "建筑工地", "城中村"} {
		if !names[n] {
			t.Errorf("no indicator %s", n)
		}
	}
	pts, _ := svc.Points(ctx, reader, demoStreet)
	types := map[string]int{}
	for _, p := range pts {
		types[p.Type]++
		if p.MgmtUnit == "" {
			t.Errorf("point %s is in no management unit", p.Code)
		}
	}
	if len(pts) < 150 || len(types) != 7 {
		t.Errorf("%d points, types %v", len(pts), types)
	}
	if mus, _ := svc.MgmtUnits(ctx, reader, ""); len(mus) != 13 {
		t.Errorf("%d management units", len(mus))
	}
	rounds, err := svc.Rounds(ctx, reader, "")
	if err != nil || len(rounds) < 5 {
		t.Fatalf("rounds: %d %v", len(rounds), err)
	}
	now := time.Now()
	last := assess.Period{Kind: assess.Month, Start: now}.Containing(now).Prev()
	sc, err := svc.Scores(ctx, reader, assess.ScoreQuery{Period: last.String(), Scheme: DemoScheme})
	if err != nil {
		t.Fatal(err)
	}
	var insufficient, excellent, problems int
	for _, u := range sc.Units {
		problems += u.Problems
		if u.Insufficient {
			insufficient++
		}
		if u.Excellent {
			excellent++
		}
	}
	if len(sc.Units) != 26 || insufficient != 1 || excellent == 0 || excellent == sc.Scored || problems < 10 || sc.ExcellenceRate == nil ||
		len(sc.Lists) != 1 || len(sc.Lists[0].Red) != 3 || len(sc.Lists[0].Black) != 3 {
		t.Errorf("%s scores: %d units, %d insufficient, %d excellent of %d, %d problems, lists %+v", last, len(sc.Units), insufficient, excellent, sc.Scored, problems, sc.Lists)
	}
	// Findings opened cases with source assessment, most of them closed since.
	var assessed, closed int
	cs, _ := db.Cases(ctx, casework.Filter{Limit: 1000, Source: casework.SourceAssessment})
	for _, c := range cs {
		assessed++
		if c.State == casework.Closed {
			closed++
		}
	}
	if assessed < 50 || closed < assessed/3 {
		t.Errorf("%d assessment cases, %d closed", assessed, closed)
	}
	// Published: the last month (scores, metrics) and the last quarter's red and black lists.
	q := assess.Period{Kind: assess.Quarter, Start: now}.Containing(now).Prev()
	for _, p := range []struct{ kind, period, scope string }{
		{"scores", last.String(), ""}, {"metrics", last.String(), "metrics:unit:" + demoStreet}, {"scores", q.String(), ""},
	} {
		scope := p.scope
		if scope == "" {
			for _, r := range rounds {
				if r.Period == p.period && r.SchemeCode == DemoScheme {
					scope = "round:" + itoa(r.ID)
				}
			}
		}
		ps, err := svc.Publications(ctx, reader, p.kind, p.period, scope)
		if err != nil || len(ps) != 1 {
			t.Errorf("publication %s %s %s: %d %v", p.kind, p.period, scope, len(ps), err)
			continue
		}
		if p.kind == "scores" {
			var b struct{ Result assess.Scores }
			json.Unmarshal(ps[0].Body, &b)
			if len(b.Result.Lists) != 1 || len(b.Result.Lists[0].Red) != 3 {
				t.Errorf("%s lists: %+v", p.period, b.Result.Lists)
			}
		}
		if same, _, err := svc.Recompute(ctx, reader, ps[0]); err != nil || !same {
			t.Errorf("%s %s does not recompute: %v", p.kind, p.period, err)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
