// Package catalog holds the component (部件) and event (事件) categories of
// GB/T 30428 with their handling time limits and default responsible duty.
// The shipped defaults live in data/categories.json (standards.md §2); a city
// adds or disables categories through the API, never deletes one in use.
package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
)

// Kind is component (部件) or event (事件).
type Kind string

// Kinds of category.
const (
	Component Kind = "component"
	Event     Kind = "event"
)

// Urgency selects which time limit applies to a case.
type Urgency string

// Urgencies.
const (
	Normal Urgency = "normal"
	Urgent Urgency = "urgent"
)

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool { return u == Normal || u == Urgent }

// Category is one line of the catalogue.
type Category struct {
	Code   string `json:"code"`
	Kind   Kind   `json:"kind"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	// UrgentHours and NormalHours are the handling time limits (处置时限).
	UrgentHours int `json:"urgent_hours"`
	NormalHours int `json:"normal_hours"`
	// Clock means the limits count clock hours, not working hours: emergencies
	// and safety hazards do not wait for Monday.
	Clock bool `json:"clock"`
	// Duty is the kind of unit that handles it by default (see Duties).
	Duty    string `json:"duty"`
	Enabled bool   `json:"enabled"`
}

// Limit returns the time limit for an urgency and whether it counts clock hours.
func (c Category) Limit(u Urgency) (time.Duration, bool) {
	h := c.NormalHours
	if u == Urgent {
		h = c.UrgentHours
	}
	return time.Duration(h) * time.Hour, c.Clock
}

// Major returns the major class code, e.g. "E01" for "E0102".
func (c Category) Major() string { return c.Code[:3] }

var codeRE = regexp.MustCompile(`^[CE][0-9]{4}$`)

// Check validates a category before it is stored.
func (c Category) Check() error {
	var probs []string
	if !codeRE.MatchString(c.Code) {
		probs = append(probs, fmt.Sprintf("code %q must be C or E followed by 4 digits (e.g. E0102) / 编码须为C或E加4位数字", c.Code))
	} else if (c.Code[0] == 'C') != (c.Kind == Component) || (c.Kind != Component && c.Kind != Event) {
		probs = append(probs, "kind must be component for C codes and event for E codes / 类型须与编码一致：C为部件，E为事件")
	}
	if strings.TrimSpace(c.NameZh) == "" || strings.TrimSpace(c.NameEn) == "" {
		probs = append(probs, "name_zh and name_en are required / 中英文名称必填")
	}
	if c.UrgentHours <= 0 || c.NormalHours <= 0 || c.UrgentHours > c.NormalHours || c.NormalHours > 24*365 {
		probs = append(probs, "limits: urgent_hours and normal_hours must be positive, urgent ≤ normal, at most a year / 时限须为正数，紧急不长于一般")
	}
	if _, ok := Duties[c.Duty]; !ok {
		probs = append(probs, fmt.Sprintf("unknown duty %q / 未知的责任单位类型", c.Duty))
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid category: %s", "分类无效：%s", strings.Join(probs, "; "))
		e.Details = probs
		return e
	}
	return nil
}

// MajorClasses names the standard's major classes.
var MajorClasses = map[string][2]string{
	"C01": {"公用设施", "public utilities"},
	"C02": {"道路交通", "roads and traffic"},
	"C03": {"市容环境", "city appearance"},
	"C04": {"园林绿化", "landscaping"},
	"C05": {"房屋土地", "buildings and land"},
	"C06": {"其他设施", "other facilities"},
	"E01": {"市容环境", "city appearance"},
	"E02": {"宣传广告", "advertising"},
	"E03": {"施工管理", "construction"},
	"E04": {"突发事件", "emergencies"},
	"E05": {"街面秩序", "street order"},
	"E06": {"其他事件", "other events"},
}

// Duties are the kinds of responsible unit a category defaults to, with
// their names in Chinese and English. A unit carries one duty.
var Duties = map[string][2]string{
	"law_enforcement": {"城管执法", "city management law enforcement"},
	"civil_affairs":   {"民政", "civil affairs"},
	"community":       {"社区", "community"},
	"fire":            {"消防", "fire service"},
	"gas":             {"燃气公司", "gas company"},
	"housing":         {"住建", "housing and construction"},
	"landscaping":     {"园林绿化", "landscaping"},
	"lighting":        {"路灯管理所", "lighting office"},
	"power":           {"供电公司", "power company"},
	"sanitation":      {"环卫", "sanitation"},
	"street_office":   {"街道办事处", "street office"},
	"traffic_police":  {"交警", "traffic police"},
	"transit":         {"公交公司", "transit company"},
	"water_supply":    {"供水公司", "water supply company"},
	"water":           {"水务", "water authority"},
	"property":        {"物业公司", "property company"},
}

//go:embed data/categories.json
var defaultsJSON []byte

// Defaults returns the shipped catalogue (standards.md §2), all enabled.
func Defaults() []Category {
	var cs []Category
	if err := json.Unmarshal(defaultsJSON, &cs); err != nil {
		panic("catalog: embedded categories.json is broken: " + err.Error()) // caught by tests
	}
	for i := range cs {
		cs[i].Enabled = true
	}
	return cs
}
