package plan

import (
	"testing"
	"time"
)

func day(n int) time.Time { return YearStart(2026).AddDate(0, 0, n) }

func f(v float64) *float64 { return &v }

func val(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// A 2026 target due by the end of 31 December: 365 days after 1 January.
func target(measure, dir, source string, baseline, goal float64) Target {
	return Target{Year: 2026, Measure: measure, Direction: dir, Source: source, Baseline: baseline, Goal: goal, Due: day(365), CreatedAt: day(0)}
}

func TestEvaluateManualForecast(t *testing.T) {
	tg := target(Percent, Higher, Manual, 60, 90)
	// (0, 60), (73, 66): slope 6/73 a day, at day 365: 60 + 6·5 = 90, the goal.
	s := Evaluate(tg, f(66), []Report{{Value: 66, At: day(73)}}, day(80))
	if val(s.Progress) != 20.0 || val(s.Forecast) != 90.0 || s.Met || s.Late {
		t.Errorf("on track: progress %v forecast %v met %v late %v", val(s.Progress), val(s.Forecast), s.Met, s.Late)
	}
	// (0, 60), (73, 63), (146, 66): slope 3/73, at day 365: 60 + 3·5 = 75 < 90.
	s = Evaluate(tg, f(66), []Report{{Value: 63, At: day(73)}, {Value: 66, At: day(146)}}, day(150))
	if val(s.Progress) != 20.0 || val(s.Forecast) != 75.0 || !s.Late {
		t.Errorf("behind: progress %v forecast %v late %v", val(s.Progress), val(s.Forecast), s.Late)
	}
	// Least squares through points off a line: (0,60), (10,70), (20,70):
	// mean x 10, mean y 66.67; slope = Σ(dx·dy)/Σdx² = (−10·−6.67 + 10·3.33)/200 = 0.5,
	// intercept 66.67 − 5 = 61.67; at 365: 61.67 + 182.5 = 244.17.
	// (On a count: a percent's forecast stops at 100.)
	cnt := target(Count, Higher, Manual, 60, 90)
	s = Evaluate(cnt, f(70), []Report{{Value: 70, At: day(10)}, {Value: 70, At: day(20)}}, day(21))
	if val(s.Forecast) != 244.17 || s.Late {
		t.Errorf("least squares: forecast %v late %v", val(s.Forecast), s.Late)
	}
	s = Evaluate(tg, f(70), []Report{{Value: 70, At: day(10)}, {Value: 70, At: day(20)}}, day(21))
	if val(s.Forecast) != 100.0 || s.Late {
		t.Errorf("percent forecast clamped: %v late %v", val(s.Forecast), s.Late)
	}
	// A count falling fast stops at 0: (0,60), (73,30) → −90 at day 365, 0.
	low := target(Count, Lower, Manual, 60, 20)
	if s = Evaluate(low, f(30), []Report{{Value: 30, At: day(73)}}, day(80)); val(s.Forecast) != 0.0 || s.Late {
		t.Errorf("count forecast clamped: %v", val(s.Forecast))
	}
}

func TestEvaluateLowerAndRunRate(t *testing.T) {
	// 3 cases in the first 146 days run on to 3·365/146 = 7.5 for the year.
	if got := RunRate(3, 2026, day(365), day(146)); got != 7.5 {
		t.Fatalf("run rate %v", got)
	}
	// Past the due date the count stands.
	if got := RunRate(3, 2026, day(365), day(400)); got != 3 {
		t.Fatalf("run rate after due %v", got)
	}
	tg := target(Count, Lower, Cases, 10, 7)
	// 7.5 from baseline 10 towards 7: 2.5/3 = 83.33%; 7.5 > 7: not met, late.
	s := Evaluate(tg, f(7.5), nil, day(146))
	if val(s.Progress) != 83.33 || s.Met || !s.Late || val(s.Forecast) != 7.5 {
		t.Errorf("lower: %+v progress %v", s, val(s.Progress))
	}
	// Worse than the baseline clamps to 0; better than the goal to 100.
	if s := Evaluate(tg, f(12), nil, day(146)); val(s.Progress) != 0.0 {
		t.Errorf("worse: progress %v", val(s.Progress))
	}
	if s := Evaluate(tg, f(5), nil, day(146)); val(s.Progress) != 100.0 || !s.Met || s.Late {
		t.Errorf("better: %+v", s)
	}
}

func TestEvaluateMilestoneAndDue(t *testing.T) {
	tg := target(Milestone, Higher, Manual, 0, 1)
	if s := Evaluate(tg, nil, nil, day(100)); s.Late || s.Progress != nil {
		t.Errorf("nothing yet, not due: %+v", s)
	}
	if s := Evaluate(tg, nil, nil, day(365)); !s.Late {
		t.Errorf("due passed with nothing reported: not late")
	}
	// A milestone's forecast is its value: 0 before the due date is late.
	if s := Evaluate(tg, f(0), []Report{{Value: 0, At: day(10)}}, day(100)); !s.Late || val(s.Forecast) != 0.0 {
		t.Errorf("milestone 0: %+v", s)
	}
	if s := Evaluate(tg, f(1), []Report{{Value: 1, At: day(10)}}, day(400)); s.Late || !s.Met || val(s.Progress) != 100.0 {
		t.Errorf("milestone done: %+v", s)
	}
}

func TestCheck(t *testing.T) {
	bad := []Target{
		{Name: "x", Year: 2026, Unit: "u", Measure: Percent, Baseline: 50, Goal: 120, Due: day(1)},
		{Name: "x", Year: 2026, Unit: "u", Measure: Count, Baseline: 10, Goal: 12, Direction: Lower, Due: day(1)},
		{Name: "x", Year: 2026, Unit: "u", Measure: Percent, Baseline: 10, Goal: 12, Source: Cases, Category: "E0104", Due: day(1)},
		{Name: "", Year: 2026, Unit: "u", Measure: "kg", Due: day(1)},
		{Name: "x", Year: 2027, Unit: "u", Measure: Milestone, Due: day(1)},
	}
	for i, tg := range bad {
		if err := tg.Check(); err == nil {
			t.Errorf("%d: accepted %+v", i, tg)
		}
	}
	ok := Target{Name: "问题数下降30%", Year: 2026, Unit: "u", Measure: Count, Baseline: 10, Goal: 7, Direction: Lower, Source: Cases, Category: "E0104", Due: day(1)}
	if err := ok.Check(); err != nil {
		t.Error(err)
	}
}

func TestSum(t *testing.T) {
	ps := []Project{
		{District: "320213", Kind: UrbanVillage, Budget: 15000000, Spent: 12000000, Milestones: []Step{{Name: "设计", Planned: "2026-03-01", Actual: "2026-03-10"}, {Name: "施工", Planned: "2026-05-01"}}},
		{District: "320213", Kind: BackAlley, Budget: 16000000, Spent: 5500000, Milestones: []Step{{Name: "完工", Planned: "2026-04-01", Actual: "2026-03-30"}}},
		{District: "320202", Kind: UrbanVillage, Budget: 15980000, Spent: 9000000, Milestones: []Step{{Name: "完工", Planned: "2026-06-30"}}},
	}
	for i := range ps {
		ps[i].Mark("2026-05-27")
	}
	got := Sum(ps)
	want := []Line{
		{District: "320202", Kind: UrbanVillage, Projects: 1, Budget: 15980000, Spent: 9000000},
		{District: "320213", Kind: BackAlley, Projects: 1, Budget: 16000000, Spent: 5500000},
		{District: "320213", Kind: UrbanVillage, Projects: 1, Budget: 15000000, Spent: 12000000, LateMilestones: 2},
	}
	if len(got.Lines) != 3 {
		t.Fatalf("lines %+v", got.Lines)
	}
	for i := range want {
		if got.Lines[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, got.Lines[i], want[i])
		}
	}
	if tot := got.Total; tot.Projects != 3 || tot.Budget != 46980000 || tot.Spent != 26500000 || tot.LateMilestones != 2 {
		t.Errorf("total %+v", tot)
	}
}

// TestProjectMoneyBounds: negative amounts and amounts past a trillion yuan
// (fen typed as yuan) are refused; the cap itself is accepted.
func TestProjectMoneyBounds(t *testing.T) {
	base := Project{Name: "南长街背街小巷整治", Kind: BackAlley, Territory: "320213022"}
	for _, c := range []struct {
		budget, spent int64
		ok            bool
	}{{MaxYuan, MaxYuan, true}, {MaxYuan + 1, 0, false}, {0, MaxYuan + 1, false}, {-1, 0, false}, {63_000_000, 0, true}} {
		p := base
		p.Budget, p.Spent = c.budget, c.spent
		err := p.Check()
		if (err == nil) != c.ok {
			t.Errorf("budget %d spent %d: %v, want ok=%v", c.budget, c.spent, err, c.ok)
		}
	}
}
