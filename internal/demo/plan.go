package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// demoBlock is a renovation project of the seeds: the four blocks of the
// year (6,300万 in all, 3,098万 of it in the two urban villages), the blocks
// finished in earlier years with the parking spaces they added year by year
// (40, then 30 and 30, …: about 180 in all), and an old estate.
type demoBlock struct {
	name, kind, community string
	budget, spent         int64
	// stage: plan.Planned, plan.InProgress (with a late milestone) or plan.Done;
	// yearsAgo > 0 puts a finished block in an earlier year.
	stage    string
	yearsAgo int
	parking  [2]float64 // planned, achieved
	outputs  []plan.Output
	public   bool
	consult  bool
}

var demoBlocks = []demoBlock{
	{name: "城东社区小花坞区块", kind: plan.UrbanVillage, community: "320213022005", budget: 15000000, spent: 9600000, stage: plan.InProgress, parking: [2]float64{25, 10},
		outputs: []plan.Output{{Name: "管线入地", Unit: "米", Planned: 1800, Achieved: 1100}, {Name: "拆除违法建筑", Unit: "平方米", Planned: 2600, Achieved: 2600}}, public: true, consult: true},
	{name: "城西社区象牙浦区块", kind: plan.UrbanVillage, community: "320213022008", budget: 15980000, spent: 11200000, stage: plan.InProgress, parking: [2]float64{30, 18},
		outputs: []plan.Output{{Name: "雨污分流管网", Unit: "米", Planned: 2400, Achieved: 1500}}, public: true},
	{name: "春秋社区田园路区块", kind: plan.BackAlley, community: "320213022017", budget: 16000000, spent: 15820000, stage: plan.Done, parking: [2]float64{25, 25},
		outputs: []plan.Output{{Name: "路面翻新", Unit: "平方米", Planned: 8600, Achieved: 8600}, {Name: "新增绿化", Unit: "平方米", Planned: 1200, Achieved: 1350}}, public: true},
	{name: "太平桥社区佳和苑区块", kind: plan.BackAlley, community: "320213022019", budget: 16020000, stage: plan.Planned, parking: [2]float64{20, 0},
		outputs: []plan.Output{{Name: "管道天然气入户", Unit: "户", Planned: 420}}, public: true, consult: true},
	{name: "春南社区南园路区块", kind: plan.BackAlley, community: "320213022001", budget: 9800000, spent: 9650000, stage: plan.Done, yearsAgo: 3, parking: [2]float64{40, 40}, public: true},
	{name: "后拔路区块", kind: plan.BackAlley, community: "320213022004", budget: 7600000, spent: 7480000, stage: plan.Done, yearsAgo: 2, parking: [2]float64{30, 30}},
	{name: "苋浦区块", kind: plan.BackAlley, community: "320213022009", budget: 8200000, spent: 8200000, stage: plan.Done, yearsAgo: 2, parking: [2]float64{30, 30}},
	{name: "塘南新村老旧小区改造", kind: plan.OldEstate, community: "320213022002", budget: 12500000, spent: 4300000, stage: plan.InProgress, parking: [2]float64{60, 12},
		outputs: []plan.Output{{Name: "建筑立面出新", Unit: "幢", Planned: 32, Achieved: 9}, {Name: "雨污分流改造", Unit: "米", Planned: 3100, Achieved: 800}}, public: true, consult: true},
}

// blockArea draws a block inside a community: the middle of its first
// grid's bounding box, as a GeoJSON Polygon.
func blockArea(grids []territory.Area) json.RawMessage {
	if len(grids) == 0 || grids[0].Geometry == nil {
		return nil
	}
	b := grids[0].Geometry.Bound()
	c := b.Center()
	dx, dy := (b.Max[0]-b.Min[0])*0.3, (b.Max[1]-b.Min[1])*0.3
	ring := orb.Ring{{c[0] - dx, c[1] - dy}, {c[0] + dx, c[1] - dy*0.8}, {c[0] + dx*0.9, c[1] + dy}, {c[0] - dx, c[1] + dy*0.9}, {c[0] - dx, c[1] - dy}}
	coords := make([][]float64, len(ring))
	for i, p := range ring {
		coords[i] = []float64{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}
	}
	coords[len(coords)-1] = coords[0]
	raw, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][]float64{coords}})
	return raw
}

// seedPlans fills the year's plans in 清名桥街道: target task books of the
// street office, the sanitation department and three communities with
// targets in every state (on track, late, done, reported with evidence,
// computed from cases, metrics and assessment rounds), responsibility
// statements issued and some signed, and the seeds' renovation projects in
// every stage, some open for suggestions (approved and pending) and the
// finished ones polled.
func seedPlans(ctx context.Context, a *app.App, areas []territory.Area, users map[string]auth.Actor) error {
	now := time.Now()
	clock := now
	svc := &plan.Service{Store: a.DB, Now: func() time.Time { return clock },
		Ancestors:   func(code string) []string { return a.Territory().Ancestors(code) },
		HasCategory: func(code string) bool { _, ok := a.Category(code); return ok }}
	svc.UseAssessment(&assess.Service{Store: a.DB, Cases: a.Cases, Calendar: a.Calendar, Locate: a.Locate, Category: a.Category,
		Area: func(code string) (territory.Area, bool) { return a.Territory().Area(code) }, Now: time.Now})
	leader := users["leader"]
	year := now.In(plan.YearStart(2000).Location()).Year()
	start := plan.YearStart(year)
	end := plan.YearStart(year + 1)
	elapsed := now.Sub(start)
	// at is the moment a fraction f of the year so far had passed.
	at := func(f float64) time.Time { return start.Add(time.Duration(float64(elapsed) * f)) }

	// Targets are set on 1 January.
	clock = start
	type tgt struct {
		t       plan.Target
		reports []float64 // values reported at even steps of the year so far
		photo   bool
	}
	lateDue := now.Add(-10 * 24 * time.Hour)
	if lateDue.Before(start.Add(24 * time.Hour)) {
		lateDue = start.Add(24 * time.Hour)
	}
	street, san := demoStreet+".street_office", "320213.sanitation"
	comms := []string{"320213022005.community", "320213022017.community", "320213022019.community"}
	list := []tgt{
		{t: plan.Target{Unit: street, Name: "主次干道洁净率达到100%", Measure: plan.Percent, Baseline: 85, Goal: 100, Source: plan.Clean, Scheme: DemoScheme, PointType: "main_road"}},
		{t: plan.Target{Unit: street, Name: "管理单元考核优秀率不低于60%", Measure: plan.Percent, Baseline: 40, Goal: 60, Source: plan.Excellence, Scheme: DemoScheme}},
		{t: plan.Target{Unit: street, Name: "新增停车泊位100个", Measure: plan.Count, Baseline: 0, Goal: 100}, reports: []float64{30, 62, 95}, photo: true},
		{t: plan.Target{Unit: street, Name: "背街小巷四个区块整治完工", Measure: plan.Milestone, Due: end}},
		{t: plan.Target{Unit: street, Name: "沿街店招店牌整治完成", Measure: plan.Milestone, Due: lateDue}},
		{t: plan.Target{Unit: san, Name: "按期处置率不低于95%", Measure: plan.Percent, Baseline: 90, Goal: 95, Source: plan.OnTime}},
		{t: plan.Target{Unit: san, Name: "道路不洁问题数下降30%", Measure: plan.Count, Direction: plan.Lower, Baseline: 60, Goal: 42, Source: plan.Cases, Category: "E0104"}},
		{t: plan.Target{Unit: san, Name: "撤桶并点行动完成", Measure: plan.Milestone, Due: end}, reports: []float64{1}, photo: true},
		{t: plan.Target{Unit: comms[0], Name: "社区考核得分不低于90分", Measure: plan.Percent, Baseline: 85, Goal: 90, Source: plan.Score, Scheme: DemoScheme, Territory: "320213022005"}},
		{t: plan.Target{Unit: comms[0], Name: "垃圾分类知晓率达到95%", Measure: plan.Percent, Baseline: 70, Goal: 95}, reports: []float64{82, 91, 96}, photo: true},
		{t: plan.Target{Unit: comms[1], Name: "背街小巷居民满意率达到90%", Measure: plan.Percent, Baseline: 60, Goal: 90}, reports: []float64{62, 64, 65}},
		{t: plan.Target{Unit: comms[1], Name: "楼道堆物清理率达到100%", Measure: plan.Percent, Baseline: 50, Goal: 100}, reports: []float64{70, 88}},
		{t: plan.Target{Unit: comms[2], Name: "文明养犬宣传覆盖率达到100%", Measure: plan.Percent, Baseline: 40, Goal: 100}, reports: []float64{65, 92, 100}},
	}
	made := map[string][]int64{}
	for i := range list {
		t := &list[i].t
		t.Year = year
		if t.Due.IsZero() {
			t.Due = end
		}
		got, err := svc.CreateTarget(ctx, leader, *t)
		if err != nil {
			return fmt.Errorf("demo target %s: %w", t.Name, err)
		}
		*t = got
		made[t.Unit] = append(made[t.Unit], t.ID)
	}
	reporters := map[string]auth.Actor{street: users["qmq"], san: users["sanitation"]}
	for i, tg := range list {
		for k, v := range tg.reports {
			clock = at(float64(k+1) / float64(len(tg.reports)+1))
			who, ok := reporters[tg.t.Unit]
			if !ok {
				who = leader
			}
			in := plan.ReportInput{Value: v, Note: fmt.Sprintf("第%d次填报：现场核查", k+1)}
			if tg.photo {
				id, err := demoPhoto(a, who.UserID, color.RGBA{0x40, byte(0x60 + 20*k), byte(0x80 + 10*i), 0xff})
				if err != nil {
					return err
				}
				in.Blobs = []string{id}
				in.Note += "，附现场照片"
			}
			if _, err := svc.Report(ctx, who, tg.t.ID, in); err != nil {
				return fmt.Errorf("demo report %s: %w", tg.t.Name, err)
			}
		}
	}

	// Statements: issued in the first week, the street's and the sanitation
	// department's signed the day after, the communities' waiting.
	clock = start.Add(3 * 24 * time.Hour)
	if clock.After(now) {
		clock = now
	}
	signers := map[string]auth.Actor{street: users["qmq"], san: users["sanitation"]}
	for _, unit := range append([]string{street, san}, comms...) {
		st, err := svc.Issue(ctx, leader, plan.Statement{Year: year, Unit: unit, Title: fmt.Sprintf("%d年度城市精细化管理目标责任状", year), Targets: made[unit]})
		if err != nil {
			return fmt.Errorf("demo statement %s: %w", unit, err)
		}
		if who, ok := signers[unit]; ok {
			saved := clock
			clock = clock.Add(26 * time.Hour)
			if clock.After(now) {
				clock = now
			}
			if _, err := svc.Sign(ctx, who, st.ID); err != nil {
				return fmt.Errorf("demo signature %s: %w", unit, err)
			}
			clock = saved
		}
	}

	// Projects.
	grids := map[string][]territory.Area{}
	for _, ar := range areas {
		if ar.Level == territory.Grid {
			grids[ar.ParentCode] = append(grids[ar.ParentCode], ar)
		}
	}
	day := func(d time.Time) string { return d.In(start.Location()).Format(time.DateOnly) }
	for bi, b := range demoBlocks {
		base := now.AddDate(-b.yearsAgo, 0, 0)
		var steps []plan.Step
		switch b.stage {
		case plan.Planned:
			steps = []plan.Step{{Name: "方案设计及公示", Planned: day(now.AddDate(0, 0, 20))}, {Name: "开工", Planned: day(now.AddDate(0, 0, 45))}, {Name: "完工验收", Planned: day(now.AddDate(0, 0, 200))}}
		case plan.InProgress:
			steps = []plan.Step{{Name: "方案设计及公示", Planned: day(now.AddDate(0, 0, -150)), Actual: day(now.AddDate(0, 0, -148))},
				{Name: "管线迁改", Planned: day(now.AddDate(0, 0, -60)), Actual: day(now.AddDate(0, 0, -52))},
				{Name: "路面及立面施工", Planned: day(now.AddDate(0, 0, -15))},
				{Name: "完工验收", Planned: day(now.AddDate(0, 0, 40))}}
		case plan.Done:
			steps = []plan.Step{{Name: "方案设计及公示", Planned: day(base.AddDate(0, 0, -200)), Actual: day(base.AddDate(0, 0, -201))},
				{Name: "开工", Planned: day(base.AddDate(0, 0, -150)), Actual: day(base.AddDate(0, 0, -150))},
				{Name: "完工验收", Planned: day(base.AddDate(0, 0, -20)), Actual: day(base.AddDate(0, 0, -23))}}
		}
		outs := append([]plan.Output{{Name: "新增停车位", Unit: "个", Planned: b.parking[0], Achieved: b.parking[1]}}, b.outputs...)
		clock = base.AddDate(0, 0, -210)
		p, err := svc.SaveProject(ctx, leader, plan.Project{Name: b.name, Kind: b.kind, Territory: b.community, Budget: b.budget, Spent: b.spent,
			Milestones: steps, Outputs: outs, Area: blockArea(grids[b.community])})
		if err != nil {
			return fmt.Errorf("demo project %s: %w", b.name, err)
		}
		clock = now
		if b.stage != plan.Planned {
			kinds := []string{plan.Before, plan.Progress}
			if b.stage == plan.Done {
				kinds = append(kinds, plan.After)
			}
			for k, kind := range kinds {
				id, err := demoPhoto(a, leader.UserID, color.RGBA{byte(0x90 + 30*k), byte(0x50 + 8*bi), 0x30, 0xff})
				if err != nil {
					return err
				}
				if _, err := svc.AddPhoto(ctx, leader, p.ID, plan.PhotoInput{Blob: id, Kind: kind, Caption: b.name + map[string]string{plan.Before: "整治前", plan.Progress: "施工中", plan.After: "整治后"}[kind],
					TakenAt: base.AddDate(0, 0, -200+90*k)}); err != nil {
					return err
				}
			}
		}
		if !b.public {
			continue
		}
		if _, err := svc.SetConsultation(ctx, leader, p.ID, plan.ConsultInput{Public: true, Consult: true}); err != nil {
			return err
		}
		if b.consult || b.stage == plan.Done {
			if err := seedConsultation(ctx, svc, leader, p, b, &clock, now); err != nil {
				return err
			}
		}
		if !b.consult {
			if _, err := svc.SetConsultation(ctx, leader, p.ID, plan.ConsultInput{Public: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoSuggestions are what citizens say, with whether staff approved them
// (nil: still pending; a reason: rejected).
var demoSuggestions = []struct {
	kind, body, contact string
	approve             *bool
	reason              string
}{
	{plan.KindSuggestion, "建议在巷口增设非机动车停放架，解决电动车乱停问题。", "13812345678", ptr(true), ""},
	{plan.KindSuggestion, "希望保留巷子里的老井和石板路，留住老街记忆。", "", ptr(true), ""},
	{plan.KindComment, "施工期间请注意夜间噪音，晚上十点后不要施工。", "王先生", ptr(true), ""},
	{plan.KindSuggestion, "能否在小区门口增加一处快递柜？", "", nil, ""},
	{plan.KindComment, "专业防水补漏，电话联系。", "1390000000", ptr(false), "与项目无关的广告信息"},
	{plan.KindSuggestion, "路灯太暗，建议更换为节能LED路灯并增加数量。", "", nil, ""},
}

func ptr(b bool) *bool { return &b }

// seedConsultation has citizens suggest (some approved, one rejected, the
// rest pending) and, on a finished block, vote in its poll.
func seedConsultation(ctx context.Context, svc *plan.Service, leader auth.Actor, p plan.Project, b demoBlock, clock *time.Time, now time.Time) error {
	for i, sg := range demoSuggestions {
		if b.stage == plan.Done && i > 2 {
			break
		}
		*clock = now.AddDate(0, 0, -30+4*i)
		s, err := svc.Suggest(ctx, p.ID, plan.SuggestInput{Kind: sg.kind, Body: sg.body, Contact: sg.contact})
		if err != nil {
			return fmt.Errorf("demo suggestion on %s: %w", b.name, err)
		}
		if sg.approve != nil {
			*clock = clock.Add(20 * time.Hour)
			if _, err := svc.Moderate(ctx, leader, s.ID, plan.ModerateInput{Approve: *sg.approve, Reason: sg.reason}); err != nil {
				return err
			}
		}
	}
	*clock = now
	if b.stage == plan.Done {
		// 满意 31, 基本满意 9, 不满意 2: 95.24% satisfied or basically.
		n := 0
		for _, v := range []struct {
			answer string
			count  int
		}{{"satisfied", 31}, {"basic", 9}, {"unsatisfied", 2}} {
			for range v.count {
				n++
				if err := svc.Vote(ctx, p.ID, fmt.Sprintf("demo-voter-%d-%d", p.ID, n), fmt.Sprintf("demo-ip-%d-%d", p.ID, n), v.answer); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
