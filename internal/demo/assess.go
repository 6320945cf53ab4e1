package demo

import (
	"context"
	"fmt"
	"image/color"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// demoStreet is where the demo's assessment runs: 清名桥街道, the seeds' street.
const demoStreet = "320213022"

// Demo scheme codes.
const (
	DemoScheme     = "lx-jxh"
	DemoMgmtScheme = "lx-jxh-mu"
)

func fx(s string) assess.Fixed {
	v, err := assess.ParseFixed(s)
	if err != nil {
		panic(err)
	}
	return v
}

// demoIndicators are the seeds' inspection targets (主次干道, 背街小巷, 农贸市场,
// 老旧小区, 公厕, 建筑工地, 城中村), one leaf each, adding up to 100.
func demoIndicators() []assess.Indicator {
	leaf := func(code, name, full, typ string, ds ...assess.Deduction) assess.Indicator {
		return assess.Indicator{Code: code, Name: name, FullMarks: fx(full), PointTypes: []string{typ}, Deductions: ds}
	}
	d := func(cat, pts string) assess.Deduction { return assess.Deduction{Category: cat, Points: fx(pts)} }
	return []assess.Indicator{
		{Code: "env", Name: "市容环境卫生", Children: []assess.Indicator{
			leaf("main_road", "主次干道", "20", "main_road", d("E0102", "3"), d("E0104", "2"), d("E0502", "3"), d("E0201", "1"), d("", "2")),
			leaf("back_street", "背街小巷", "15", "back_street", d("E0107", "2"), d("E0505", "1.5"), d("", "1.5")),
			leaf("urban_village", "城中村", "10", "urban_village", d("E0103", "2"), d("", "2")),
		}},
		{Code: "places", Name: "重点场所", Children: []assess.Indicator{
			leaf("market", "农贸市场", "15", "market", d("E0503", "3"), d("", "2.5")),
			leaf("old_compound", "老旧小区", "15", "old_compound", d("E0107", "2"), d("C0304", "1.5"), d("", "1.5")),
			leaf("toilet", "公厕", "10", "toilet", d("C0301", "3"), d("", "2.5")),
			leaf("construction_site", "建筑工地", "15", "construction_site", d("E0302", "4"), d("E0303", "3"), d("", "2.5")),
		}},
	}
}

// findingCategories are the problems inspectors find at each point type.
var findingCategories = map[string][]string{
	"main_road": {"E0102", "E0104", "E0502", "E0201"}, "back_street": {"E0107", "E0505", "E0103"},
	"urban_village": {"E0103", "E0107", "E0201"}, "market": {"E0503", "E0102"}, "old_compound": {"E0107", "C0304", "E0108"},
	"toilet": {"C0301"}, "construction_site": {"E0302", "E0303"},
}

var findingNotes = map[string]string{
	"E0102": "暴露垃圾未及时清运", "E0104": "路面保洁不到位，有油污落叶", "E0502": "占道经营", "E0201": "墙面张贴小广告",
	"E0107": "乱堆物堆料", "E0505": "非机动车乱停放", "E0103": "积存垃圾渣土", "E0503": "店外经营、摊位越线",
	"C0304": "垃圾箱破损", "E0108": "楼道外沿乱晾晒", "C0301": "公厕保洁不到位、异味明显", "E0302": "工地裸土未覆盖，扬尘明显",
	"E0303": "出入口道路遗撒",
}

// seedAssessment runs assessment in 清名桥街道: the scheme, inspection points
// in its 26 communities, management units, monthly rounds for the last three
// months and the running one, a quarterly round for the last quarter, an
// annual special round of the management units, findings that open cases
// (walked through the loop in finished periods), and the last month's and
// quarter's results published (the quarter's red and black lists).
func seedAssessment(ctx context.Context, a *app.App, areas []territory.Area, users map[string]auth.Actor) error {
	var comms []territory.Area
	grids := map[string][]territory.Area{}
	for _, ar := range areas {
		switch {
		case ar.Level == territory.Community && ar.ParentCode == demoStreet:
			comms = append(comms, ar)
		case ar.Level == territory.Grid && len(ar.Code) > 12 && ar.Code[:9] == demoStreet:
			grids[ar.ParentCode] = append(grids[ar.ParentCode], ar)
		}
	}
	if len(comms) == 0 {
		return nil
	}
	slices.SortFunc(comms, func(x, y territory.Area) int { return strings.Compare(x.Code, y.Code) })
	now := time.Now()
	clock := now
	cases := *a.Cases
	cases.Now = func() time.Time { return clock }
	svc := &assess.Service{Store: a.DB, Cases: &cases, Calendar: a.Calendar, Locate: a.Locate, Category: a.Category,
		Area: func(code string) (territory.Area, bool) { return a.Territory().Area(code) }, Now: func() time.Time { return clock }}
	admin := users["admin"]
	rng := rand.New(rand.NewPCG(2026, 4))

	// Points: per community two main roads, two back streets, a compound and
	// a toilet; a market in every other one, a building site in every fifth,
	// an urban village in some. The last has too few points to be ranked.
	type kind struct {
		typ, suffix string
		n           func(i int) int
	}
	kinds := []kind{
		{"main_road", "路段", func(i int) int { return 2 - b2i(i == len(comms)-1) }},
		{"back_street", "巷", func(int) int { return 2 }},
		{"market", "农贸市场", func(i int) int { return b2i(i%2 == 0) }},
		{"old_compound", "新村小区", func(int) int { return 1 }},
		{"toilet", "公厕", func(i int) int { return 1 - b2i(i == len(comms)-1) }},
		{"construction_site", "地块工地", func(i int) int { return b2i(i%5 == 0 && i != len(comms)-1) }},
		{"urban_village", "自然村", func(i int) int { return b2i(i%6 == 3) }},
	}
	quality := map[string]float64{}
	var points []assess.Point
	for i, c := range comms {
		// How often a problem is found here: a few communities lag behind.
		quality[c.Code] = 0.03 + rng.Float64()*0.2
		if i%7 == 2 {
			quality[c.Code] += 0.25
		}
		gs := grids[c.Code]
		if len(gs) == 0 {
			continue
		}
		short := []rune(c.Name)
		short = short[:max(2, len(short)-2)] // "长街社区" → "长街"
		for _, k := range kinds {
			for j := range k.n(i) {
				pt, ok := territory.RandomPoint(gs[rng.IntN(len(gs))].Geometry, rng)
				if !ok {
					continue
				}
				name := string(short) + k.suffix
				if k.typ == "main_road" {
					name = roads[(i*2+j)%len(roads)] + "（" + string(short) + "段）"
				} else if k.n(i) > 1 {
					name += fmt.Sprint(j + 1)
				}
				lon, lat := pt[0], pt[1]
				code := fmt.Sprintf("QMQ-%s-%02d-%d", k.typ, i+1, j+1)
				loc, ok := a.Locate(lon, lat)
				if !ok {
					continue
				}
				points = append(points, assess.Point{Code: code, Name: name, Type: k.typ, Address: c.Name + "辖区", Lon: lon, Lat: lat,
					Grid: loc.Grid.Code, Community: loc.Community.Code, Street: loc.Street.Code, District: loc.District.Code, Enabled: true})
			}
		}
	}
	// One transaction for them all (as an import does).
	if err := a.DB.PutPoints(ctx, points); err != nil {
		return fmt.Errorf("demo points: %w", err)
	}

	// Management units: two neighbouring communities' grids each (管理单元).
	var mus []assess.MgmtUnit
	for i := 0; i+1 < len(comms); i += 2 {
		var gs []string
		for _, c := range comms[i : i+2] {
			for _, g := range grids[c.Code] {
				gs = append(gs, g.Code)
			}
		}
		if len(gs) == 0 {
			continue
		}
		n := []rune(comms[i].Name)
		mus = append(mus, assess.MgmtUnit{Code: fmt.Sprintf("QMQ-MU%02d", i/2+1), Name: string(n[:max(2, len(n)-2)]) + "片区管理单元",
			Parent: demoStreet, Grids: gs})
	}
	muQuality := map[string]float64{}
	for _, m := range mus {
		muQuality[m.Code] = 0.05 + rng.Float64()*0.35
	}
	if len(mus) > 0 {
		if _, err := svc.PutMgmtUnits(ctx, admin, mus); err != nil {
			return fmt.Errorf("demo management units: %w", err)
		}
	}
	// The scheme, and its twin for the management units.
	sc := assess.Scheme{Code: DemoScheme, Name: "梁溪区城市精细化管理考核办法（试行）", Level: "community", TierLevel: "street",
		Excellent: fx("90"), MinSample: 5, ListSize: 3, Bonus: &assess.Bonus{Points: fx("0.5"), Cap: fx("2"), WithinPercent: 50},
		Indicators: demoIndicators()}
	if _, err := svc.PutScheme(ctx, admin, sc); err != nil {
		return fmt.Errorf("demo scheme: %w", err)
	}
	mu := sc
	mu.Code, mu.Name, mu.Level, mu.TierLevel, mu.MinSample = DemoMgmtScheme, "梁溪区重点片区管理单元考核办法", assess.MgmtLevel, "street", 5
	if _, err := svc.PutScheme(ctx, admin, mu); err != nil {
		return fmt.Errorf("demo scheme: %w", err)
	}

	// No owner: every demo account (the leader too) may attach them.
	photo, err := demoPhoto(a, 0, color.RGBA{0xa0, 0x50, 0x30, 0xff})
	if err != nil {
		return err
	}
	fixed, err := demoPhoto(a, 0, color.RGBA{0x40, 0x90, 0x60, 0xff})
	if err != nil {
		return err
	}
	sizes := map[string]int{"main_road": 2, "back_street": 2, "market": 1, "old_compound": 1, "toilet": 1, "construction_site": 1, "urban_village": 1}
	month := assess.Period{Kind: assess.Month, Start: now}.Containing(now)
	quarter := assess.Period{Kind: assess.Quarter, Start: now}.Containing(now).Prev()
	year := assess.Period{Kind: assess.Year, Start: now}.Containing(now)
	type plan struct {
		scheme, kind, name string
		per                assess.Period
	}
	plans := []plan{}
	for k := 3; k >= 1; k-- {
		p := month
		for range k {
			p = p.Prev()
		}
		plans = append(plans, plan{DemoScheme, assess.Monthly, fmt.Sprintf("%d年%d月城市精细化管理考核", p.Start.Year(), p.Start.Month()), p})
	}
	plans = append(plans,
		plan{DemoScheme, assess.Quarterly, fmt.Sprintf("%d年第%d季度城市精细化管理考核", quarter.Start.Year(), (quarter.Start.Month()-1)/3+1), quarter},
		plan{DemoMgmtScheme, assess.Special, fmt.Sprintf("%d年重点片区管理单元专项考核", year.Start.Year()), year},
		plan{DemoScheme, assess.Monthly, fmt.Sprintf("%d年%d月城市精细化管理考核", month.Start.Year(), month.Start.Month()), month})
	rounds := map[string]int64{}
	for pi, pl := range plans {
		clock = pl.per.Start
		if clock.After(now) {
			continue
		}
		seed := uint64(20260000 + pi)
		r, pts, err := svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: pl.scheme, Kind: pl.kind, Period: pl.per.String(), Name: pl.name,
			Territory: demoStreet, Sizes: sizes, Seed: &seed})
		if err != nil {
			return fmt.Errorf("demo round %s: %w", pl.name, err)
		}
		rounds[pl.kind+pl.per.String()] = r.ID
		// Inspections spread over the period (the running one: up to now,
		// two in five points still to do, so the checklist has work).
		end := pl.per.End
		if now.Before(end) {
			end = now
		}
		span := end.Sub(pl.per.Start)
		clean := map[string]time.Time{}
		for _, p := range pts {
			at := pl.per.Start.Add(time.Duration(rng.Float64() * 0.9 * float64(span))).Truncate(time.Minute)
			if at.Hour() < 8 || at.Hour() > 17 {
				at = time.Date(at.Year(), at.Month(), at.Day(), 9+rng.IntN(8), rng.IntN(60), 0, 0, at.Location())
			}
			if !at.Before(now.Add(-time.Hour)) || (pl.per.End.After(now) && rng.IntN(5) < 2) || !at.After(pl.per.Start) {
				continue
			}
			clock = at
			q := quality[p.Unit]
			if pl.scheme == DemoMgmtScheme {
				q = muQuality[p.Unit]
			}
			if rng.Float64() >= q {
				clean[p.Point] = at // no problem found
				continue
			}
			cats := findingCategories[p.Type]
			cat := cats[rng.IntN(len(cats))]
			who := "inspector"
			if rng.IntN(8) == 0 {
				who = "leader" // 四不两直: the leader's own finding
			}
			_, c, err := svc.RecordFinding(ctx, users[who], r.ID, assess.FindingInput{Point: p.Point, Indicator: p.Type, Category: cat,
				Count: 1 + rng.IntN(3), Note: findingNotes[cat], Photos: []string{photo}})
			if err != nil {
				return fmt.Errorf("demo finding at %s: %w", p.Point, err)
			}
			if err := walkFinding(ctx, &cases, &clock, now, rng, users, c, fixed); err != nil {
				return fmt.Errorf("demo finding's case %d: %w", c.ID, err)
			}
		}
		if err := a.DB.MarkInspectedMany(ctx, r.ID, clean, users["inspector"].UserID); err != nil {
			return err
		}
	}
	// Publish the last month (scores and the street's department metrics)
	// and the last quarter's red and black lists.
	clock = now
	last := month.Prev()
	if id := rounds[assess.Monthly+last.String()]; id != 0 {
		if _, err := svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: last.String(), Round: id}); err != nil {
			return fmt.Errorf("demo publication: %w", err)
		}
		if _, err := svc.Publish(ctx, admin, assess.PublishInput{Kind: "metrics", Period: last.String(), By: "unit", Territory: demoStreet}); err != nil {
			return fmt.Errorf("demo publication: %w", err)
		}
	}
	if id := rounds[assess.Quarterly+quarter.String()]; id != 0 {
		if _, err := svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: quarter.String(), Round: id}); err != nil {
			return fmt.Errorf("demo publication: %w", err)
		}
	}
	return nil
}

// walkFinding takes a finding's case through the loop as the centre and the
// units would: registered and dispatched at once; handled, verified and
// closed by the units with demo accounts, most within the time limit.
func walkFinding(ctx context.Context, cases *casework.Service, clock *time.Time, now time.Time, rng *rand.Rand, users map[string]auth.Actor,
	c casework.Case, photo string) error {
	found := *clock
	defer func() { *clock = found }()
	var err error
	act := func(who string, action casework.Action, after time.Duration, in casework.Input) bool {
		if err != nil {
			return false
		}
		*clock = clock.Add(after)
		if !clock.Before(now) {
			return false
		}
		in.Version = c.Version
		c, err = cases.Act(ctx, users[who], c.ID, action, in)
		return err == nil
	}
	if !act("dispatcher", casework.Register, 20*time.Minute, casework.Input{}) ||
		!act("dispatcher", casework.Dispatch, 10*time.Minute, casework.Input{Unit: unitFor(c.Category, c)}) {
		return err
	}
	handler := handlerFor(c.Unit)
	if handler == "" {
		return nil // a unit without a demo account: it stays with them
	}
	hours := time.Duration(1+rng.IntN(30)) * time.Hour
	if !act(handler, casework.Handle, hours, casework.Input{Note: "已按考核要求整改", Attachments: []string{photo}}) {
		return err
	}
	passed := true
	if !act("inspector2", casework.Verify, 3*time.Hour, casework.Input{Passed: &passed, Note: "复查已整改", Attachments: []string{photo}}) {
		return err
	}
	act("dispatcher", casework.Close, time.Hour, casework.Input{Note: "考核问题已整改销号"})
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
