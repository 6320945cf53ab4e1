package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
)

// Statement is a responsibility statement (责任状) issued to a unit with
// its targets. It is signed once by a member of that unit.
type Statement struct {
	ID         int64     `json:"id"`
	Year       int       `json:"year"`
	Unit       string    `json:"unit"`
	Territory  string    `json:"territory"`
	Title      string    `json:"title"`
	Targets    []int64   `json:"targets"`
	IssuedBy   int64     `json:"issued_by"`
	IssuedAt   time.Time `json:"issued_at"`
	SignedBy   int64     `json:"signed_by,omitempty"`
	SignerName string    `json:"signer_name,omitempty"`
	SignedAt   time.Time `json:"signed_at,omitzero"`
}

// Signed says whether the statement has been signed.
func (s Statement) Signed() bool { return s.SignedBy != 0 }

// Project kinds.
const (
	BackAlley    = "back_alley"    // 背街小巷整治
	OldEstate    = "old_estate"    // 老旧小区改造
	UrbanVillage = "urban_village" // 城中村整治
)

// KindZh names the kinds in Chinese.
var KindZh = map[string]string{BackAlley: "背街小巷整治", OldEstate: "老旧小区改造", UrbanVillage: "城中村整治"}

// Project is a renovation of a block (区块). Money is in whole yuan.
type Project struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Territory  string   `json:"territory"`
	District   string   `json:"district"`
	Budget     int64    `json:"budget"`
	Spent      int64    `json:"spent"`
	Milestones []Step   `json:"milestones"`
	Outputs    []Output `json:"outputs"`
	Cases      []int64  `json:"cases"`
	// Area is the project's territory as a GeoJSON Polygon or MultiPolygon
	// (CheckArea), nil when none was drawn.
	Area json.RawMessage `json:"area,omitempty"`
	// Public: shown on the citizen portal; Consult: open there for
	// suggestions. Set with SetConsultation, never by SaveProject.
	Public    bool      `json:"public"`
	Consult   bool      `json:"consult"`
	Version   int       `json:"version"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// LateMilestones and Stage are filled on reading, at the reader's today.
	LateMilestones int    `json:"late_milestones"`
	Stage          string `json:"stage"`
	// Photos are filled by Service.Project (not by lists).
	Photos []Photo `json:"photos,omitempty"`
}

// Step is a milestone (节点): it has a planned date and, once reached, an actual one
// (YYYY-MM-DD, Shanghai).
type Step struct {
	Name    string `json:"name"`
	Planned string `json:"planned"`
	Actual  string `json:"actual,omitempty"`
}

// Late says whether the milestone was reached after its planned date, or
// is not reached and its planned date is before today.
func (m Step) Late(today string) bool {
	if m.Actual != "" {
		return m.Actual > m.Planned
	}
	return m.Planned < today
}

// MaxYuan is the largest budget or spending a project may record.
const MaxYuan = 1_000_000_000_000

// Output is a measured result: 新增停车位 planned 180, achieved 140 (个).
type Output struct {
	Name     string  `json:"name"`
	Unit     string  `json:"unit"`
	Planned  float64 `json:"planned"`
	Achieved float64 `json:"achieved"`
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Check validates a project.
func (p *Project) Check() error {
	var d []string
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len([]rune(p.Name)) > 200 {
		d = append(d, "name: 1–200 characters / 名称须为 1–200 个字符")
	}
	if KindZh[p.Kind] == "" {
		d = append(d, "kind: back_alley, old_estate or urban_village / 类型须为 back_alley、old_estate 或 urban_village")
	}
	if p.Territory == "" {
		d = append(d, "territory: required / 须填写所在区域")
	}
	if p.Budget < 0 || p.Spent < 0 {
		d = append(d, "budget, spent: whole yuan ≥ 0 / 预算和已支出须为非负整数（元）")
	}
	// No district project nears a trillion yuan; the cap is a typo guard
	// and keeps portfolio sums far from int64's limit.
	if p.Budget > MaxYuan || p.Spent > MaxYuan {
		d = append(d, "budget, spent: at most 1,000,000,000,000 yuan; amounts are whole yuan, not fen / 预算和已支出不得超过 1 万亿元（单位为元，不是分）")
	}
	if len(p.Milestones) > 100 || len(p.Outputs) > 100 || len(p.Cases) > 1000 {
		d = append(d, "too many milestones, outputs or cases / 节点、产出或关联案件过多")
	}
	for i, m := range p.Milestones {
		if strings.TrimSpace(m.Name) == "" || !validDate(m.Planned) || m.Actual != "" && !validDate(m.Actual) {
			d = append(d, fmt.Sprintf("milestone %d: a name, a planned and an optional actual date (YYYY-MM-DD) / 第 %d 个节点：须有名称、计划日期，实际日期可选（YYYY-MM-DD）", i+1, i+1))
		}
	}
	for i, o := range p.Outputs {
		if strings.TrimSpace(o.Name) == "" || o.Planned < 0 || o.Achieved < 0 || o.Planned != o.Planned || o.Achieved != o.Achieved {
			d = append(d, fmt.Sprintf("output %d: a name, planned and achieved ≥ 0 / 第 %d 项产出：须有名称，计划和完成数不得为负", i+1, i+1))
		}
	}
	if area, err := CheckArea(p.Area); err != nil {
		d = append(d, xiuhua.AsError(err).Details...)
	} else {
		p.Area = area
	}
	if p.Milestones == nil {
		p.Milestones = []Step{}
	}
	if p.Outputs == nil {
		p.Outputs = []Output{}
	}
	if p.Cases == nil {
		p.Cases = []int64{}
	}
	if len(d) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid project", "项目无效")
		e.Details = d
		return e
	}
	return nil
}

// Mark counts the late milestones as of today (YYYY-MM-DD).
func (p *Project) Mark(today string) {
	p.LateMilestones = 0
	p.Stage = StageOf(*p)
	for _, m := range p.Milestones {
		if m.Late(today) {
			p.LateMilestones++
		}
	}
}

// Line is one group of a portfolio.
type Line struct {
	District       string `json:"district"`
	Kind           string `json:"kind"`
	Projects       int    `json:"projects"`
	Budget         int64  `json:"budget"`
	Spent          int64  `json:"spent"`
	LateMilestones int    `json:"late_milestones"`
}

// Portfolio sums projects by district and kind, and over all.
type Portfolio struct {
	Lines []Line `json:"lines"`
	Total Line   `json:"total"`
}

// Sum builds the portfolio of marked projects.
func Sum(ps []Project) Portfolio {
	idx := map[[2]string]int{}
	var out Portfolio
	out.Lines = []Line{}
	for _, p := range ps {
		k := [2]string{p.District, p.Kind}
		i, ok := idx[k]
		if !ok {
			i = len(out.Lines)
			idx[k] = i
			out.Lines = append(out.Lines, Line{District: p.District, Kind: p.Kind})
		}
		for _, l := range []*Line{&out.Lines[i], &out.Total} {
			l.Projects++
			l.Budget += p.Budget
			l.Spent += p.Spent
			l.LateMilestones += p.LateMilestones
		}
	}
	sort.Slice(out.Lines, func(a, b int) bool {
		if out.Lines[a].District != out.Lines[b].District {
			return out.Lines[a].District < out.Lines[b].District
		}
		return out.Lines[a].Kind < out.Lines[b].Kind
	})
	return out
}
