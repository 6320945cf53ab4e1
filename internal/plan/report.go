package plan

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/auth"
)

// YearReport is the year-end report of targets, statements and projects
// within a territory, as the actor may see them.
type YearReport struct {
	Year      int
	Territory string
	// TerritoryName names Territory on the printed page (the caller sets
	// it; the code shows otherwise).
	TerritoryName string
	At            time.Time
	// Units are the owner units with targets, by code; UnitNames names them.
	Units      []string
	UnitNames  map[string]string
	Targets    map[string][]Status
	Statements []Statement
	Projects   []Project
	Portfolio  Portfolio
}

// inYear says whether a project belongs to the year's report: a milestone
// planned or reached in it, or created in it.
func inYear(p Project, year int) bool {
	y := strconv.Itoa(year)
	for _, m := range p.Milestones {
		if strings.HasPrefix(m.Planned, y) || strings.HasPrefix(m.Actual, y) {
			return true
		}
	}
	return p.CreatedAt.In(shanghai()).Year() == year
}

// YearReport gathers the year's targets (evaluated now), statements and
// projects within territory ("" the actor's whole scope).
func (s *Service) YearReport(ctx context.Context, a auth.Actor, year int, territory string) (YearReport, error) {
	terr, err := a.Narrow(territory)
	if err != nil {
		return YearReport{}, err
	}
	rep := YearReport{Year: year, Territory: terr, At: s.now(), UnitNames: map[string]string{}, Targets: map[string][]Status{}}
	ts, err := s.Targets(ctx, a, year, "")
	if err != nil {
		return rep, err
	}
	for _, t := range ts {
		if !auth.Within(t.Territory, terr) {
			continue
		}
		if _, ok := rep.Targets[t.Unit]; !ok {
			rep.Units = append(rep.Units, t.Unit)
		}
		rep.Targets[t.Unit] = append(rep.Targets[t.Unit], t)
	}
	sts, err := s.Statements(ctx, a, year)
	if err != nil {
		return rep, err
	}
	for _, st := range sts {
		if auth.Within(st.Territory, terr) {
			rep.Statements = append(rep.Statements, st)
			if _, ok := rep.UnitNames[st.Unit]; !ok {
				rep.UnitNames[st.Unit] = ""
			}
		}
	}
	sort.Strings(rep.Units)
	for _, u := range rep.Units {
		rep.UnitNames[u] = ""
	}
	for code := range rep.UnitNames {
		rep.UnitNames[code] = code
		if u, err := s.Store.Unit(ctx, code); err == nil && u.Name != "" {
			rep.UnitNames[code] = u.Name
		}
	}
	ps, err := s.Projects(ctx, a, terr, "")
	if err != nil {
		return rep, err
	}
	rep.Projects = []Project{}
	for _, p := range ps {
		if inYear(p, year) {
			rep.Projects = append(rep.Projects, p)
		}
	}
	rep.Portfolio = Sum(rep.Projects)
	return rep, nil
}

// Status words of a target in the report.
func statusZh(st Status) string {
	switch {
	case st.Met && !st.Late:
		return "已完成"
	case st.Late:
		return "滞后"
	case st.Value == nil:
		return "未填报"
	}
	return "正常推进"
}

var measureZh = map[string]string{Percent: "百分比", Count: "计数", Milestone: "节点"}

var sourceZh = map[string]string{Manual: "填报", Cases: "案件台账", OnTime: "按期处置率", Score: "考核得分", Excellence: "考核优秀率", Clean: "点位洁净率"}

func (r YearReport) day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(shanghai()).Format(time.DateOnly)
}

// dueDay is the last day a target is due by (Due is the end of that day).
func dueDay(t Target) string {
	return t.Due.In(shanghai()).Add(-time.Millisecond).Format(time.DateOnly)
}

// Sheet names of the workbook.
const (
	SheetTargets    = "目标任务"
	SheetStatements = "责任状"
	SheetProjects   = "项目"
	SheetMilestones = "项目节点"
	SheetOutputs    = "项目产出"
)

// XLSX writes the report as a workbook: one sheet of targets per unit
// (measure, baseline, goal, actual, status, forecast, late), one of
// statements (signed by, at), one of projects (budget, spent, milestones,
// outputs), and one row a milestone and one an output of the projects.
// Numbers are numbers.
func (r YearReport) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetTargets); err != nil {
		return nil, err
	}
	for _, n := range []string{SheetStatements, SheetProjects, SheetMilestones, SheetOutputs} {
		if _, err := f.NewSheet(n); err != nil {
			return nil, err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	put := func(sheet string, row int, cells ...any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return f.SetSheetRow(sheet, cell, &cells)
	}
	num := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	row := 1
	if err := put(SheetTargets, row, "责任单位", "单位编码", "目标", "计量方式", "来源", "方向", "基准值", "目标值", "完成期限", "实际值", "进度(%)", "预测值", "状态", "滞后"); err != nil {
		return nil, err
	}
	f.SetRowStyle(SheetTargets, 1, 1, bold)
	for _, u := range r.Units {
		for _, st := range r.Targets[u] {
			row++
			dir := "越高越好"
			if st.Direction == Lower {
				dir = "越低越好"
			}
			if err := put(SheetTargets, row, r.UnitNames[u], u, st.Name, measureZh[st.Measure], sourceZh[st.Source], dir, st.Baseline, st.Goal,
				dueDay(st.Target), num(st.Value), num(st.Progress), num(st.Forecast), statusZh(st), yes(st.Late)); err != nil {
				return nil, err
			}
		}
	}
	if err := put(SheetStatements, 1, "责任状", "责任单位", "单位编码", "目标数", "下达时间", "签署人", "签署时间"); err != nil {
		return nil, err
	}
	f.SetRowStyle(SheetStatements, 1, 1, bold)
	for i, st := range r.Statements {
		if err := put(SheetStatements, i+2, st.Title, r.UnitNames[st.Unit], st.Unit, len(st.Targets), r.day(st.IssuedAt), st.SignerName, r.day(st.SignedAt)); err != nil {
			return nil, err
		}
	}
	if err := put(SheetProjects, 1, "项目", "类型", "区域", "阶段", "预算(元)", "已支出(元)", "支出率(%)", "节点", "已完成节点", "滞后节点", "产出"); err != nil {
		return nil, err
	}
	f.SetRowStyle(SheetProjects, 1, 1, bold)
	for i, p := range r.Projects {
		reached := 0
		for _, m := range p.Milestones {
			if m.Actual != "" {
				reached++
			}
		}
		var outs []string
		for _, o := range p.Outputs {
			outs = append(outs, fmt.Sprintf("%s %s/%s%s", o.Name, trimNum(o.Achieved), trimNum(o.Planned), o.Unit))
		}
		var rate any
		if p.Budget > 0 {
			rate = round2(float64(p.Spent) * 100 / float64(p.Budget))
		}
		if err := put(SheetProjects, i+2, p.Name, KindZh[p.Kind], p.Territory, StageZh[p.Stage], p.Budget, p.Spent, rate,
			len(p.Milestones), reached, p.LateMilestones, strings.Join(outs, "；")); err != nil {
			return nil, err
		}
	}
	tot := len(r.Projects) + 2
	if err := put(SheetProjects, tot, "合计", "", "", "", r.Portfolio.Total.Budget, r.Portfolio.Total.Spent, nil, nil, nil, r.Portfolio.Total.LateMilestones); err != nil {
		return nil, err
	}
	f.SetRowStyle(SheetProjects, tot, tot, bold)
	// One row a milestone and one an output, for sorting and sums.
	if err := put(SheetMilestones, 1, "项目", "节点", "计划日期", "实际日期", "滞后"); err != nil {
		return nil, err
	}
	if err := put(SheetOutputs, 1, "项目", "产出", "单位", "计划", "完成", "完成率(%)"); err != nil {
		return nil, err
	}
	f.SetRowStyle(SheetMilestones, 1, 1, bold)
	f.SetRowStyle(SheetOutputs, 1, 1, bold)
	mrow, orow := 1, 1
	today := r.At.In(shanghai()).Format(time.DateOnly)
	for _, p := range r.Projects {
		for _, m := range p.Milestones {
			mrow++
			if err := put(SheetMilestones, mrow, p.Name, m.Name, m.Planned, m.Actual, yes(m.Late(today))); err != nil {
				return nil, err
			}
		}
		for _, o := range p.Outputs {
			orow++
			var rate any
			if o.Planned > 0 {
				rate = round2(o.Achieved * 100 / o.Planned)
			}
			if err := put(SheetOutputs, orow, p.Name, o.Name, o.Unit, o.Planned, o.Achieved, rate); err != nil {
				return nil, err
			}
		}
	}
	for sheet, widths := range map[string][]float64{SheetMilestones: {28, 20, 12, 12, 6}, SheetOutputs: {28, 20, 8, 10, 10, 10}, SheetTargets: {24, 22, 30, 9, 11, 9, 8, 8, 11, 8, 8, 8, 9, 6},
		SheetStatements: {36, 24, 22, 8, 12, 12, 12}, SheetProjects: {28, 12, 14, 8, 14, 14, 10, 6, 10, 8, 40}} {
		for i, w := range widths {
			col, _ := excelize.ColumnNumberToName(i + 1)
			f.SetColWidth(sheet, col, col, w)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func trimNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

//go:embed report.html.tmpl
var reportTmpl string

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return trimNum(*p)
	},
	"n":       trimNum,
	"status":  statusZh,
	"measure": func(m string) string { return measureZh[m] },
	"source":  func(s string) string { return sourceZh[s] },
	"kind":    func(k string) string { return KindZh[k] },
	"stage":   func(s string) string { return StageZh[s] },
	"due":     dueDay,
	"wan": func(yuan int64) string {
		return strconv.FormatFloat(float64(yuan)/10000, 'f', -1, 64)
	},
}).Parse(reportTmpl))

// HTML renders the report as a printable page (A4, the typography of
// official documents).
func (r YearReport) HTML() ([]byte, error) {
	type unitRows struct {
		Code, Name string
		Targets    []Status
		Late, Met  int
	}
	var units []unitRows
	var total, late, met int
	for _, u := range r.Units {
		ur := unitRows{Code: u, Name: r.UnitNames[u], Targets: r.Targets[u]}
		for _, t := range ur.Targets {
			if t.Late {
				ur.Late++
			}
			if t.Met && !t.Late {
				ur.Met++
			}
		}
		total, late, met = total+len(ur.Targets), late+ur.Late, met+ur.Met
		units = append(units, ur)
	}
	signed := 0
	for _, st := range r.Statements {
		if st.Signed() {
			signed++
		}
	}
	var buf bytes.Buffer
	err := reportPage.Execute(&buf, map[string]any{
		"R": r, "Units": units, "Total": total, "Late": late, "Met": met, "Signed": signed,
		"At": r.At.In(shanghai()).Format("2006年1月2日 15:04"), "Names": r.UnitNames,
		"Day": r.day,
	})
	return buf.Bytes(), err
}
