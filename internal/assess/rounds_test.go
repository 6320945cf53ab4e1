package assess_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func f2(s string) assess.Fixed { return *fx(s) }

// civicScheme: communities scored on four leaves adding up to 100.
func civicScheme() assess.Scheme {
	return assess.Scheme{Code: "civic", Name: "文明城市常态长效管理考核办法", Level: "community", ListSize: 1,
		Bonus: &assess.Bonus{Points: f2("2"), Cap: f2("5"), WithinPercent: 50},
		Indicators: []assess.Indicator{
			{Code: "road", Name: "道路", Children: []assess.Indicator{
				{Code: "road.clean", Name: "路面保洁", FullMarks: f2("30"), PointTypes: []string{"main_road", "back_street"},
					Deductions: []assess.Deduction{{Category: "E0104", Points: f2("2")}, {Category: "E0102", PointType: "main_road", Points: f2("3")}, {Points: f2("1")}}},
				{Code: "road.order", Name: "街面秩序", FullMarks: f2("20"), PointTypes: []string{"main_road", "back_street"},
					Deductions: []assess.Deduction{{Category: "E0502", Points: f2("2")}}},
			}},
			{Code: "market", Name: "农贸市场", FullMarks: f2("20"), PointTypes: []string{"market"}, Deductions: []assess.Deduction{{Points: f2("5")}}},
			{Code: "compound", Name: "老旧小区", FullMarks: f2("30"), PointTypes: []string{"old_compound"},
				Deductions: []assess.Deduction{{Category: "E0102", Points: f2("1.5")}}},
		}}
}

var fixturePoints = []struct {
	code, typ string
	lon, lat  float64
}{
	// 家乐花园社区 (lon 120.20–120.25)
	{"J-R1", "main_road", 120.21, 31.51}, {"J-R2", "main_road", 120.22, 31.52}, {"J-R3", "main_road", 120.23, 31.53}, {"J-R4", "main_road", 120.21, 31.57},
	{"J-M1", "market", 120.22, 31.56}, {"J-M2", "market", 120.23, 31.58}, {"J-C1", "old_compound", 120.24, 31.51}, {"J-C2", "old_compound", 120.24, 31.57},
	// 南苑社区 (120.25–120.30)
	{"N-R1", "main_road", 120.26, 31.51}, {"N-R2", "main_road", 120.27, 31.53}, {"N-R3", "main_road", 120.28, 31.55},
	{"N-M1", "market", 120.26, 31.57}, {"N-C1", "old_compound", 120.27, 31.58}, {"N-C2", "old_compound", 120.29, 31.52},
	// 金星社区 (120.30–120.40)
	{"X-R1", "main_road", 120.32, 31.52}, {"X-R2", "main_road", 120.35, 31.55},
}

const (
	jialeC   = "320213022010"
	nanyuanC = "320213022003"
	jinxingC = "320213023001"
)

// pick returns the round's points of a unit and type, drawn or visited.
func pick(pts []assess.RoundPoint, unit, typ string) []string {
	var out []string
	for _, p := range pts {
		if p.Unit == unit && p.Type == typ {
			out = append(out, p.Point)
		}
	}
	return out
}

func (w *world) finding(when, who string, round int64, point, indicator, category string, count int) (assess.Finding, casework.Case) {
	w.t.Helper()
	w.now = at(when)
	f, c, err := w.svc.RecordFinding(context.Background(), w.f.Actors[who], round, assess.FindingInput{Point: point, Indicator: indicator,
		Category: category, Count: count, Note: "发现问题", Photos: []string{w.f.Photo(w.t, when+point+indicator)}})
	if err != nil {
		w.t.Fatalf("finding at %s: %v", point, err)
	}
	return f, c
}

func (w *world) inspected(when string, round int64, points ...string) {
	w.t.Helper()
	w.now = at(when)
	for _, p := range points {
		if err := w.svc.Inspected(context.Background(), w.f.Actors["inspector"], round, p); err != nil {
			w.t.Fatal(err)
		}
	}
}

func unitScore(t *testing.T, sc assess.Scores, unit string) assess.UnitScore {
	t.Helper()
	for _, u := range sc.Units {
		if u.Unit == unit {
			return u
		}
	}
	t.Fatalf("no score for %s in %+v", unit, sc.Units)
	return assess.UnitScore{}
}

func TestRoundsScoresPublishing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		admin := w.f.Actors["admin"]
		w.now = at("2026-09-01 09:00")

		// Schemes: checked (a bad one names every problem), versioned, frozen by a round.
		bad := civicScheme()
		bad.Indicators[1].FullMarks = f2("25")
		bad.Indicators[2].Deductions[0].Category = "E9999"
		if _, err := w.svc.PutScheme(ctx, admin, bad); xiuhua.ErrorCode(err) != xiuhua.EInvalid || len(xiuhua.AsError(err).Details) != 2 {
			t.Fatalf("bad scheme: %v", err)
		}
		if _, err := w.svc.PutScheme(ctx, w.f.Actors["dispatcher-jx"], civicScheme()); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Fatalf("a street dispatcher set a scheme: %v", err)
		}
		v1, err := w.svc.PutScheme(ctx, admin, civicScheme())
		if err != nil || v1.Version != 1 || v1.Indicators[0].FullMarks != f2("50") || v1.Excellent != f2("90") || v1.MinSample != 5 {
			t.Fatalf("v1: %+v %v", v1, err)
		}
		if again, _ := w.svc.PutScheme(ctx, admin, civicScheme()); again.Version != 1 || again.ID != v1.ID {
			t.Fatalf("an unused version should be replaced: %+v", again)
		}
		for _, p := range fixturePoints {
			lon, lat := p.lon, p.lat
			if _, err := w.svc.PutPoint(ctx, admin, assess.PointInput{Code: p.code, Name: "点位" + p.code, Type: p.typ, Lon: &lon, Lat: &lat}); err != nil {
				t.Fatal(err)
			}
		}
		sizes := map[string]int{"main_road": 3, "market": 1, "old_compound": 2}

		// September: one round on v1, one finding at 南苑 (5 problems): last period's count.
		seed := uint64(20260901)
		sep, _, err := w.svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "civic", Period: "2026-09", Name: "9月考核", Territory: "320213", Sizes: sizes, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		sepPts, _ := db.RoundPoints(ctx, sep.ID)
		w.finding("2026-09-10 10:00", "inspector", sep.ID, pick(sepPts, nanyuanC, "old_compound")[0], "compound", "E0102", 5)
		// v1 is frozen now: a change makes version 2, which October uses.
		v2, err := w.svc.PutScheme(ctx, admin, civicScheme())
		if err != nil || v2.Version != 2 || v2.ID == v1.ID {
			t.Fatalf("v2: %+v %v", v2, err)
		}
		if got, _ := db.Scheme(ctx, v1.ID); !got.Frozen {
			t.Fatal("v1 not frozen by its round")
		}

		// October's round: the stratified sample, recorded and redrawable.
		seed = 7
		w.now = at("2026-10-09 09:00")
		oct, pts, err := w.svc.CreateRound(ctx, w.f.Actors["dispatcher"], assess.RoundInput{Scheme: "civic", Period: "2026-10", Name: "10月考核",
			Territory: "320213", Sizes: sizes, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		if oct.SchemeVersion != 2 || oct.Algorithm != assess.SampleAlgorithm || oct.Seed != 7 {
			t.Fatalf("round: %+v", oct)
		}
		// Strata: 家乐 main_road 3 of 4, market 1 of 2, old_compound 2 of 2; 南苑 3 of 3, 1 of 1, 2 of 2;
		// 金星 main_road 2 of 2 (asked for 3): 6 + 6 + 2 = 14 points.
		if len(pts) != 14 || len(pick(pts, jialeC, "main_road")) != 3 || len(pick(pts, jialeC, "market")) != 1 ||
			len(pick(pts, nanyuanC, "main_road")) != 3 || len(pick(pts, jinxingC, "main_road")) != 2 || len(oct.Strata) != 7 {
			t.Fatalf("sample: %d points, %+v", len(pts), oct.Strata)
		}
		stored, err := db.Round(ctx, oct.ID)
		if err != nil || !reflect.DeepEqual(assess.Redraw(stored), stored.Strata) || !reflect.DeepEqual(stored.Strata, oct.Strata) {
			t.Fatalf("redraw from the stored seed differs: %+v vs %+v (%v)", assess.Redraw(stored), stored.Strata, err)
		}

		// An unannounced visit (四不两直) by the leader to a 家乐 road not drawn.
		undrawn := ""
		for _, c := range []string{"J-R1", "J-R2", "J-R3", "J-R4"} {
			if !slices.Contains(pick(pts, jialeC, "main_road"), c) {
				undrawn = c
			}
		}
		if _, err := w.svc.AddVisit(ctx, w.f.Actors["leader"], oct.ID, undrawn); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddVisit(ctx, w.f.Actors["leader"], oct.ID, undrawn); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Fatalf("the same visit twice: %v", err)
		}
		if _, err := w.svc.AddVisit(ctx, w.f.Actors["inspector"], oct.ID, "J-M2"); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Fatalf("an inspector added a visit: %v", err)
		}

		jr, jm, jc := pick(pts, jialeC, "main_road"), pick(pts, jialeC, "market"), pick(pts, jialeC, "old_compound")
		nr, nm, nc := pick(pts, nanyuanC, "main_road"), pick(pts, nanyuanC, "market"), pick(pts, nanyuanC, "old_compound")
		xr := pick(pts, jinxingC, "main_road")
		// Findings that break the rules are refused and leave nothing behind.
		if _, _, err := w.svc.RecordFinding(ctx, w.f.Actors["inspector"], oct.ID, assess.FindingInput{Point: jm[0], Indicator: "road.clean", Category: "E0104"}); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Fatalf("road indicator at a market: %v", err)
		}
		if _, _, err := w.svc.RecordFinding(ctx, w.f.Actors["inspector"], oct.ID, assess.FindingInput{Point: nr[0], Indicator: "road.order", Category: "E0104"}); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Fatalf("no rule for E0104 under road.order: %v", err)
		}
		if _, _, err := w.svc.RecordFinding(ctx, w.f.Actors["inspector"], oct.ID, assess.FindingInput{Point: "J-M2", Indicator: "market", Category: "E0601"}); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable && !slices.Contains(jm, "J-M2") {
			t.Fatalf("a point not in the round: %v", err)
		}

		// 家乐花园: road.clean E0104 ×3 (2 each = 6) and E0102 ×2 at a main road (3 each = 6);
		// the market E0601 ×5 (5 each = 25, capped at 20); the compound E0102 ×1 (1.5);
		// the leader's visit E0601 ×1 (catch-all 1).
		f1, c1 := w.finding("2026-10-12 08:30", "inspector", oct.ID, jr[0], "road.clean", "E0104", 3)
		w.finding("2026-10-12 08:40", "inspector", oct.ID, jr[1], "road.clean", "E0102", 2)
		w.finding("2026-10-12 08:50", "inspector", oct.ID, jm[0], "market", "E0601", 5)
		w.finding("2026-10-13 09:00", "inspector", oct.ID, jc[0], "compound", "E0102", 1)
		w.finding("2026-10-14 15:00", "leader", oct.ID, undrawn, "road.clean", "E0601", 1)
		w.inspected("2026-10-13 10:00", oct.ID, jr[2], jc[1])
		// 南苑: road.order E0502 ×1 (2); compound E0102 ×2 (3); all six points inspected.
		w.finding("2026-10-15 10:00", "inspector", oct.ID, nr[0], "road.order", "E0502", 1)
		w.finding("2026-10-15 10:30", "inspector", oct.ID, nc[0], "compound", "E0102", 2)
		w.inspected("2026-10-15 11:00", oct.ID, nr[1], nr[2], nm[0], nc[1])
		// 金星: two points only (fewer than 5): E0104 ×1.
		w.finding("2026-10-16 10:00", "inspector", oct.ID, xr[0], "road.clean", "E0104", 1)
		w.inspected("2026-10-16 10:30", oct.ID, xr[1])

		// Each finding opened a case through the loop, source assessment, where the point is.
		if c1.Source != casework.SourceAssessment || c1.State != casework.Reported || c1.Community != jialeC || f1.CaseID != c1.ID || f1.Point != jr[0] {
			t.Fatalf("finding's case: %+v / %+v", c1, f1)
		}
		// It is fixed within half its limit: dispatched 10-12 09:00, handled 11:00 — 2 of 8 working
		// hours — so its 3 problems earn 3 × 2 = 6, capped at 5.
		c1 = w.act("2026-10-12 09:00", "dispatcher", c1, casework.Register, casework.Input{})
		c1 = w.act("2026-10-12 09:00", "dispatcher", c1, casework.Dispatch, casework.Input{Unit: san})
		w.act("2026-10-12 11:00", "san", c1, casework.Handle, casework.Input{})

		w.now = at("2026-11-05 09:00")
		sc, err := w.svc.Scores(ctx, w.f.Actors["leader"], assess.ScoreQuery{Period: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		// 家乐: road.clean 30 − (6 + 6 + 1) = 17; road.order 20; market 20 − 20 = 0; compound 30 − 1.5 = 28.5;
		// 65.50 + bonus 5 = 70.50; 12 problems (3+2+5+1+1), was 0 in September: +12; 7 points inspected.
		j := unitScore(t, sc, jialeC)
		if j.Total != f2("70.50") || j.Deducted != f2("34.50") || j.Bonus != f2("5") || j.FixedFast != 3 || j.Problems != 12 ||
			j.Inspected != 7 || *j.PrevProblems != 0 || *j.Change != 12 || j.Excellent || j.Insufficient || j.Rank != 2 || j.Name != "家乐花园社区" {
			t.Errorf("家乐: %+v", j)
		}
		if got := j.Indicators; got[0] != (assess.IndicatorScore{"road.clean", f2("30"), f2("13"), f2("17")}) || got[2].Score != 0 || got[3].Score != f2("28.5") {
			t.Errorf("家乐 indicators: %+v", got)
		}
		// 南苑: 30 + (20 − 2) + 20 + (30 − 3) = 95.00, excellent, first; 3 problems, 5 in September: −2.
		n := unitScore(t, sc, nanyuanC)
		if n.Total != f2("95") || !n.Excellent || n.Rank != 1 || n.Problems != 3 || *n.Change != -2 || n.Inspected != 6 {
			t.Errorf("南苑: %+v", n)
		}
		// 金星: 98.00 on two points: insufficient sample, shown, not ranked, not excellent.
		x := unitScore(t, sc, jinxingC)
		if x.Total != f2("98") || !x.Insufficient || x.Rank != 0 || x.Excellent || x.Inspected != 2 {
			t.Errorf("金星: %+v", x)
		}
		// Excellence rate 1 of 2 ranked = 50.00 %; one tier (the district): red 南苑, black 家乐.
		if sc.Scored != 2 || sc.ExcellentUnits != 1 || str(sc.ExcellenceRate) != "50.00" ||
			!reflect.DeepEqual(sc.Lists, []assess.TierList{{Tier: "320213", Red: []string{nanyuanC}, Black: []string{jialeC}}}) || sc.TieRuleZh == "" {
			t.Errorf("scores: %+v", sc)
		}

		// Publishing: not before the period ends; then frozen, recomputable, corrected only with a reason.
		w.now = at("2026-10-31 20:00")
		if _, err := w.svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10"}); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Fatalf("published a running period: %v", err)
		}
		w.now = at("2026-11-05 09:00")
		pub, err := w.svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10"})
		if err != nil || pub.Version != 1 {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		var body struct{ Result assess.Scores }
		if err := json.Unmarshal(pub.Body, &body); err != nil || unitScore(t, body.Result, jialeC).Total != f2("70.50") || len(body.Result.Units) != 3 {
			t.Fatalf("published body: %s", pub.Body)
		}
		mpub, err := w.svc.Publish(ctx, admin, assess.PublishInput{Kind: "metrics", Period: "2026-10", By: "unit"})
		if err != nil {
			t.Fatal(err)
		}
		// Later events — a finding's case closed in November, another finding in November — do not move October.
		w.now = at("2026-11-06 10:00")
		w.act("2026-11-06 10:00", "inspector", mustCase(t, w, c1.ID), casework.Verify, casework.Input{Passed: &yes})
		w.finding("2026-11-06 11:00", "inspector", oct.ID, jr[2], "road.order", "E0502", 4)
		for _, p := range []assess.Publication{pub, mpub} {
			same, fresh, err := w.svc.Recompute(ctx, w.f.Actors["leader"], p)
			if err != nil || !same {
				t.Fatalf("%s recomputed differently (%v):\n was %s\n now %s", p.Kind, err, p.Body, fresh)
			}
		}
		if _, err := w.svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10"}); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
			t.Fatalf("a second version without a reason: %v", err)
		}
		v2pub, err := w.svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10", Reason: "更正：补录暗访结果"})
		if err != nil || v2pub.Version != 2 {
			t.Fatalf("correction: %+v %v", v2pub, err)
		}
		all, err := w.svc.Publications(ctx, w.f.Actors["leader"], "scores", "2026-10", pub.Scope)
		if err != nil || len(all) != 2 || all[0].Version != 1 || all[1].Reason != "更正：补录暗访结果" || string(all[0].Body) != string(pub.Body) {
			t.Fatalf("versions: %+v %v", all, err)
		}
	})
}

func mustCase(t *testing.T, w *world, id int64) casework.Case {
	t.Helper()
	c, err := w.f.App.DB.Case(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
