package notice

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

//go:embed notice.html.tmpl
var page string

var tmpl = template.Must(template.New("notice").Funcs(template.FuncMap{"add": func(a, b int) int { return a + b }}).Parse(page))

// HTML writes the notice as a printable A4 page.
func (n *Notice) HTML(w io.Writer) error {
	return tmpl.Execute(w, n)
}

// Sheet names, one per section, in the order of the printed notice.
const (
	SheetNotice       = "通报"
	SheetScores       = "考核得分"
	SheetExcellence   = "优秀率"
	SheetProblems     = "问题数量"
	SheetLists        = "红黑榜"
	SheetInsufficient = "样本不足"
	SheetMetrics      = "部门指标"
)

// sheet writes rows from A1 down; a string that is a plain decimal (as the
// notice formats figures) becomes a number cell, so the workbook calculates.
type sheet struct {
	f     *excelize.File
	name  string
	row   int
	err   error
	fixed int // the style of two-decimal figures
}

func (s *sheet) add(cells ...any) {
	s.row++
	for i, v := range cells {
		if s.err != nil {
			return
		}
		ref, err := excelize.CoordinatesToCellName(i+1, s.row)
		if err != nil {
			s.err = err
			return
		}
		switch x := v.(type) {
		case num:
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				if s.err = s.f.SetCellFloat(s.name, ref, f, 2, 64); s.err == nil {
					s.err = s.f.SetCellStyle(s.name, ref, ref, s.fixed)
				}
			} else {
				s.err = s.f.SetCellStr(s.name, ref, string(x))
			}
		case int:
			s.err = s.f.SetCellInt(s.name, ref, int64(x))
		default:
			s.err = s.f.SetCellValue(s.name, ref, fmt.Sprint(x))
		}
	}
}

// num marks a formatted figure ("95.00", or "—" for no data).
type num string

// XLSX writes the notice as a workbook with one sheet per section.
func (n *Notice) XLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetNotice); err != nil {
		return err
	}
	for _, name := range []string{SheetScores, SheetExcellence, SheetProblems, SheetLists, SheetInsufficient, SheetMetrics} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	// Built-in format 2 is "0.00": figures keep their two decimals on screen.
	fixed, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		return err
	}
	var sheets []*sheet
	open := func(name string) *sheet {
		s := &sheet{f: f, name: name, fixed: fixed}
		sheets = append(sheets, s)
		return s
	}

	s := open(SheetNotice)
	s.add(n.Title)
	s.add("考核周期", n.PeriodLabel, n.Period)
	s.add("考核办法", n.Scheme, n.SchemeVersion)
	s.add("考核轮次", int(n.Round))
	s.add("发布版本", n.Version)
	s.add("发布时间", n.PublishedAt)
	s.add("数据截止", n.Cutoff)
	if n.Reason != "" {
		s.add("更正说明", n.Reason)
	}

	s = open(SheetScores)
	head := []any{"层级", "排名", "单位编码", "单位", "检查点位"}
	for _, c := range n.Columns {
		nm := c.Name
		if nm == "" {
			nm = c.Code
		}
		head = append(head, fmt.Sprintf("%s（%s）", nm, c.FullMarks))
	}
	s.add(append(head, "扣分", "加分", "总分", "等次")...)
	for _, r := range n.Ranked {
		s.add(scoreCells(r)...)
	}

	s = open(SheetExcellence)
	s.add("优秀分数线", "参与排名单位数", "优秀单位数", "优秀率（%）")
	s.add(num(n.Threshold), n.Scored, n.ExcellentUnits, num(n.ExcellenceRate))

	s = open(SheetProblems)
	s.add("单位编码", "单位", "本期问题数", "上期问题数", "增减")
	for _, r := range append(append([]Row(nil), n.Ranked...), n.Insufficient...) {
		s.add(r.Unit, r.Name, r.Problems, num(r.Prev), num(r.Change))
	}
	s.add("合计", "", n.Problems, num(n.PrevProblems), num(n.Change))

	s = open(SheetLists)
	s.add("层级", "榜单", "名次", "单位")
	for _, l := range n.Lists {
		tier := l.TierName
		if tier == "" {
			tier = l.Tier
		}
		for i, e := range l.Red {
			s.add(tier, "红榜", i+1, e)
		}
		for i, e := range l.Black {
			s.add(tier, "黑榜", i+1, e)
		}
	}
	s.add()
	s.add("排名规则", n.TieRuleZh)
	s.add("Tie rule", n.TieRule)

	s = open(SheetInsufficient)
	s.add("层级", "单位编码", "单位", "检查点位", "问题数", "总分")
	for _, r := range n.Insufficient {
		s.add(r.TierName, r.Unit, r.Name, r.Inspected, r.Problems, num(r.Total))
	}
	s.add()
	s.add(fmt.Sprintf("检查点位数少于 %d 个的单位不参与排名和优秀率计算。", n.MinSample))

	s = open(SheetMetrics)
	if !n.HasMetrics {
		s.add("本期部门处置指标尚未发布。")
	} else {
		s.add("单位编码", "单位", "应处置数", "按期处置数", "按期处置率（%）", "超期未处置数", "返工率（%）", "应结案数", "结案数", "结案率（%）", "按期结案率（%）", "综合指标值")
		for _, m := range n.Metrics {
			s.add(m.Key, m.Name, m.Due, m.HandledOnTime, num(m.OnTime), m.OverdueOpen, num(m.Rework), m.ToClose, m.Closed,
				num(m.Closure), num(m.OnTimeClosure), num(m.Composite))
		}
		s.add()
		s.add(fmt.Sprintf("部门指标发布版本：第%d版；“—”表示无数据。", n.MetricsVersion))
	}
	for _, s := range sheets {
		if s.err != nil {
			return s.err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

func scoreCells(r Row) []any {
	tier := r.TierName
	if tier == "" {
		tier = r.Tier
	}
	var rank any = r.Rank
	if n, err := strconv.Atoi(r.Rank); err == nil {
		rank = n
	}
	out := []any{tier, rank, r.Unit, r.Name, r.Inspected}
	for _, v := range r.Indicators {
		out = append(out, num(v))
	}
	grade := ""
	if r.Excellent {
		grade = "优秀"
	}
	return append(out, num(r.Deducted), num(r.Bonus), num(r.Total), grade)
}
