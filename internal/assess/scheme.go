package assess

import (
	"fmt"
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// PointTypes are the kinds of inspection point (点位类型) a scheme's
// indicators apply to, with their Chinese names.
var PointTypes = map[string]string{
	"main_road":         "主次干道",
	"back_street":       "背街小巷",
	"market":            "农贸市场",
	"old_compound":      "老旧小区",
	"toilet":            "公厕",
	"construction_site": "建筑工地",
	"urban_village":     "城中村",
	"river":             "河道",
	"square":            "广场",
	"other":             "其他",
}

// Scheme is an assessment scheme (考核办法), one version of it. Indicators
// form a tree; a leaf's full marks are its weight (branches add up their
// children), and the leaves add up to 100.
type Scheme struct {
	ID      int64  `json:"id"`
	Code    string `json:"code"`
	Version int    `json:"version"`
	Name    string `json:"name"`
	// Level is what is scored: "community", "street" or "management_unit"
	// (MgmtLevel: custom management units made of grids).
	Level string `json:"level"`
	// TierLevel groups units for the red and black lists: the area above
	// them they are ranked within, "district" (default) or "street".
	TierLevel  string      `json:"tier_level"`
	Excellent  Fixed       `json:"excellent"`  // default 90.00
	MinSample  int         `json:"min_sample"` // inspected points for a unit to be ranked; default 5
	ListSize   int         `json:"list_size"`  // red and black list length per tier; default 3
	Indicators []Indicator `json:"indicators"`
	Bonus      *Bonus      `json:"bonus,omitempty"`
	// Frozen: a round uses this version; changes make a new version.
	Frozen    bool      `json:"frozen"`
	CreatedAt time.Time `json:"created_at"`
}

// Indicator is a node of the indicator tree.
type Indicator struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// FullMarks of a leaf; of a branch, the sum of its children's (computed).
	FullMarks Fixed `json:"full_marks"`
	// PointTypes a leaf applies to (empty: all).
	PointTypes []string    `json:"point_types,omitempty"`
	Deductions []Deduction `json:"deductions,omitempty"`
	Children   []Indicator `json:"children,omitempty"`
}

// Deduction is "per problem of Category found at a point of PointType: −Points",
// empty Category or PointType matching any. The most specific rule applies.
type Deduction struct {
	Category  string `json:"category,omitempty"`
	PointType string `json:"point_type,omitempty"`
	Points    Fixed  `json:"points"`
}

// Bonus is "+Points per problem fixed within WithinPercent of its time
// limit, at most Cap" (e.g. +2 within half, at most +5).
type Bonus struct {
	Points        Fixed `json:"points"`
	Cap           Fixed `json:"cap"`
	WithinPercent int   `json:"within_percent"`
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Check validates the scheme and fills defaults and branch marks.
func (s *Scheme) Check(category func(string) (catalog.Category, bool)) error {
	var probs []string
	// Each half takes the arguments in full: one Sprintf over "en / zh"
	// would leave the Chinese half without them.
	add := func(en, zh string, args ...any) {
		probs = append(probs, fmt.Sprintf(en, args...)+" / "+fmt.Sprintf(zh, args...))
	}
	s.Name = strings.TrimSpace(s.Name)
	if !codeRE.MatchString(s.Code) {
		add("code must be 1–64 letters, digits, '.', '_' or '-'", "编码须为1至64位字母、数字或 . _ -")
	}
	if s.Name == "" || utf8.RuneCountInString(s.Name) > 200 {
		add("name is required (at most 200 characters)", "名称必填且不超过200字")
	}
	if s.Level != "community" && s.Level != "street" && s.Level != MgmtLevel {
		add("level must be community, street or management_unit", "考核对象层级须为 community、street 或 management_unit")
	}
	if s.TierLevel == "" {
		s.TierLevel = "district"
	}
	if s.TierLevel != "district" && s.TierLevel != "street" || s.TierLevel == s.Level {
		add("tier_level must be district, or street when communities are scored", "分档层级须为 district，或在考核社区时为 street")
	}
	if s.Excellent == 0 {
		s.Excellent = FixedOf(90)
	}
	if s.Excellent < 0 || s.Excellent > FixedOf(100) {
		add("excellent must be between 0 and 100", "优秀线须在0到100之间")
	}
	if s.MinSample == 0 {
		s.MinSample = 5
	}
	if s.ListSize == 0 {
		s.ListSize = 3
	}
	if s.MinSample < 1 || s.MinSample > 1000 || s.ListSize < 1 || s.ListSize > 100 {
		add("min_sample must be 1–1000 and list_size 1–100", "最小样本数须为1至1000，红黑榜人数须为1至100")
	}
	if b := s.Bonus; b != nil && (b.Points <= 0 || b.Cap < b.Points || b.WithinPercent < 1 || b.WithinPercent > 100) {
		add("bonus needs points > 0, cap ≥ points and within_percent 1–100", "加分规则须满足 points > 0、cap ≥ points、within_percent 为1至100")
	}
	if len(s.Indicators) == 0 {
		add("at least one indicator is required", "至少需要一个指标")
	}
	seen := map[string]bool{}
	var walk func(in *Indicator, path string) Fixed
	walk = func(in *Indicator, path string) Fixed {
		in.Name = strings.TrimSpace(in.Name)
		p := path + in.Code
		if !codeRE.MatchString(in.Code) {
			add("indicator %q: bad code", "指标 %q：编码无效", p)
		} else if seen[in.Code] {
			add("indicator code %q is used twice", "指标编码 %q 重复", in.Code)
		}
		seen[in.Code] = true
		if in.Name == "" {
			add("indicator %q: name is required", "指标 %q：名称必填", p)
		}
		if len(in.Children) > 0 {
			if len(in.Deductions) > 0 || len(in.PointTypes) > 0 {
				add("indicator %q: only leaves carry point types and deductions", "指标 %q：只有末级指标可设点位类型和扣分规则", p)
			}
			var sum Fixed
			for i := range in.Children {
				sum += walk(&in.Children[i], p+"/")
			}
			in.FullMarks = sum
			return sum
		}
		if in.FullMarks <= 0 {
			add("indicator %q: full_marks must be positive", "指标 %q：满分须大于0", p)
		}
		for _, t := range in.PointTypes {
			if _, ok := PointTypes[t]; !ok {
				add("indicator %q: unknown point type %q", "指标 %q：未知点位类型 %q", p, t)
			}
		}
		if len(in.Deductions) == 0 {
			add("indicator %q: a leaf needs at least one deduction rule", "指标 %q：末级指标至少需要一条扣分规则", p)
		}
		for _, d := range in.Deductions {
			if d.Points <= 0 {
				add("indicator %q: deduction points must be positive", "指标 %q：扣分须大于0", p)
			}
			if d.Category != "" {
				if _, ok := category(d.Category); !ok {
					add("indicator %q: unknown category %q", "指标 %q：未知分类 %q", p, d.Category)
				}
			}
			if _, ok := PointTypes[d.PointType]; d.PointType != "" && !ok {
				add("indicator %q: unknown point type %q", "指标 %q：未知点位类型 %q", p, d.PointType)
			}
		}
		return in.FullMarks
	}
	var total Fixed
	for i := range s.Indicators {
		total += walk(&s.Indicators[i], "")
	}
	if len(s.Indicators) > 0 && total != FixedOf(100) {
		add("the leaves' full marks add up to %s, not 100", "末级指标满分合计为 %s，应为 100", total)
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid scheme: %s", "考核办法有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return e
	}
	return nil
}

// Leaves lists the leaf indicators in tree order.
func (s *Scheme) Leaves() []*Indicator {
	var out []*Indicator
	var walk func(in []Indicator)
	walk = func(in []Indicator) {
		for i := range in {
			if len(in[i].Children) == 0 {
				out = append(out, &in[i])
			} else {
				walk(in[i].Children)
			}
		}
	}
	walk(s.Indicators)
	return out
}

// Leaf finds a leaf indicator by code.
func (s *Scheme) Leaf(code string) *Indicator {
	for _, l := range s.Leaves() {
		if l.Code == code {
			return l
		}
	}
	return nil
}

// Applies reports whether a leaf applies to a point type.
func (in *Indicator) Applies(pointType string) bool {
	if len(in.PointTypes) == 0 {
		return true
	}
	for _, t := range in.PointTypes {
		if t == pointType {
			return true
		}
	}
	return false
}

// Rule returns the deduction per problem of a category at a point type: the
// most specific matching rule (category and type, then category, then
// type, then the catch-all); ok is false when none matches.
func (in *Indicator) Rule(category, pointType string) (Fixed, bool) {
	best, rank := Fixed(0), -1
	for _, d := range in.Deductions {
		if (d.Category != "" && d.Category != category) || (d.PointType != "" && d.PointType != pointType) {
			continue
		}
		r := 0
		if d.Category != "" {
			r += 2
		}
		if d.PointType != "" {
			r++
		}
		if r > rank {
			best, rank = d.Points, r
		}
	}
	return best, rank >= 0
}

// Point is an inspection point (点位): a road section, market, compound,
// toilet… located in the territory.
type Point struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Address   string  `json:"address"`
	Lon       float64 `json:"lon"`
	Lat       float64 `json:"lat"`
	Grid      string  `json:"grid"`
	Community string  `json:"community"`
	Street    string  `json:"street"`
	District  string  `json:"district"`
	Enabled   bool    `json:"enabled"`
	// MgmtUnit is the management unit of the point's grid ("" for none);
	// read from the grids' assignment, not stored with the point.
	MgmtUnit string `json:"management_unit,omitempty"`
}

// UnitAt is the point's scored unit at a scheme level ("" when its grid is
// in no management unit).
func (p Point) UnitAt(level string) string {
	switch level {
	case "street":
		return p.Street
	case MgmtLevel:
		return p.MgmtUnit
	}
	return p.Community
}

// Round kinds.
const (
	Monthly   = "monthly"
	Quarterly = "quarterly"
	Special   = "special"
)

// SampleAlgorithm names the sampling procedure, so a redraw uses the same one.
const SampleAlgorithm = "pcg64dxsm-fisher-yates-v1"

// Round is an inspection round: a scheme version applied to a period and a
// territory, with its recorded sample.
type Round struct {
	ID            int64          `json:"id"`
	SchemeID      int64          `json:"scheme_id"`
	SchemeCode    string         `json:"scheme_code"`
	SchemeVersion int            `json:"scheme_version"`
	Kind          string         `json:"kind"`
	Period        string         `json:"period"`
	Name          string         `json:"name"`
	Territory     string         `json:"territory"`
	Seed          uint64         `json:"seed,string"`
	Algorithm     string         `json:"algorithm"`
	Sizes         map[string]int `json:"sizes"`
	Strata        []Stratum      `json:"strata"`
	CreatedAt     time.Time      `json:"created_at"`
}

// Stratum is one unit × point type of a sample: the population it was drawn
// from (point codes, sorted) and what was drawn, in draw order.
type Stratum struct {
	Unit       string   `json:"unit"`
	Type       string   `json:"type"`
	Population []string `json:"population"`
	Drawn      []string `json:"drawn"`
}

// RoundPoint is a point of a round: drawn ("sample") or added by hand for an
// unannounced visit ("visit", 四不两直).
type RoundPoint struct {
	Round       int64      `json:"round"`
	Point       string     `json:"point"`
	Unit        string     `json:"unit"`
	Type        string     `json:"type"`
	Source      string     `json:"source"`
	Ord         int        `json:"ord"`
	InspectedAt *time.Time `json:"inspected_at"`
}

// Draw samples k of population (any order; it is sorted first) without
// replacement for one stratum: a partial Fisher–Yates shuffle driven by
// PCG-DXSM (math/rand/v2's PCG, whose output is fixed by its specification)
// seeded with (seed, FNV-1a-64 of "unit|type"), each index drawn by
// Lemire's multiply-and-reject. That is SampleAlgorithm; Draw never
// changes — a new procedure gets a new name.
func Draw(seed uint64, unit, typ string, population []string, k int) []string {
	pop := append([]string(nil), population...)
	sort.Strings(pop)
	h := fnv.New64a()
	h.Write([]byte(unit + "|" + typ))
	r := rand.NewPCG(seed, h.Sum64())
	k = min(k, len(pop))
	for i := 0; i < k; i++ {
		j := i + int(bounded(r, uint64(len(pop)-i)))
		pop[i], pop[j] = pop[j], pop[i]
	}
	return pop[:k]
}

// bounded returns a uniform integer in [0, n) (Lemire 2019).
func bounded(r *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// Stratify draws a round's sample: for every unit (at the level) with points
// and every point type in sizes, k points. A point in no unit at the level
// (a grid outside every management unit) is in no stratum.
func Stratify(seed uint64, level string, points []Point, sizes map[string]int) []Stratum {
	pop := map[[2]string][]string{}
	for _, p := range points {
		if !p.Enabled {
			continue
		}
		if _, ok := sizes[p.Type]; !ok {
			continue
		}
		k := [2]string{p.UnitAt(level), p.Type}
		if k[0] == "" {
			continue
		}
		pop[k] = append(pop[k], p.Code)
	}
	keys := make([][2]string, 0, len(pop))
	for k := range pop {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([]Stratum, 0, len(keys))
	for _, k := range keys {
		p := append([]string(nil), pop[k]...)
		sort.Strings(p)
		out = append(out, Stratum{Unit: k[0], Type: k[1], Population: p, Drawn: Draw(seed, k[0], k[1], p, sizes[k[1]])})
	}
	return out
}

// Finding is a problem found at a round's point under a leaf indicator; it
// opened a case (source assessment).
type Finding struct {
	ID        int64     `json:"id"`
	Round     int64     `json:"round"`
	Point     string    `json:"point"`
	Indicator string    `json:"indicator"`
	Category  string    `json:"category"`
	Count     int       `json:"count"`
	Note      string    `json:"note"`
	Photos    []string  `json:"photos"`
	CaseID    int64     `json:"case_id"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Publication is a frozen result (通报): one version of a period's scores or
// metrics for a scope. A correction is a new version with a reason.
type Publication struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Period    string    `json:"period"`
	Scope     string    `json:"scope"`
	Version   int       `json:"version"`
	Reason    string    `json:"reason"`
	Cutoff    time.Time `json:"cutoff"`
	Body      []byte    `json:"-"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// View is how the reader sees it (ViewFull, or ViewExcerpt: Body cut
	// down to their units; see Visibility); not stored.
	View string `json:"view,omitempty"`
}
