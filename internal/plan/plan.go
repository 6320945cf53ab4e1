// Package plan holds the campaign's plans beside the ledger: target task
// books (目标任务书) with targets reported by hand or computed from cases,
// responsibility statements (责任状) signed by the unit, and renovation
// projects (背街小巷整治, 老旧小区改造, 城中村整治) with budgets, milestones
// and outputs. The evaluation rules here are pure; Service binds them to a
// store and the assessment metrics.
package plan

import (
	"math"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/calendar"
)

// Measures of a target.
const (
	Percent   = "percent"   // 0–100
	Count     = "count"     // a whole number ≥ 0
	Milestone = "milestone" // 0 not done, 1 done
)

// Directions: whether a higher or a lower value is better.
const (
	Higher = "higher"
	Lower  = "lower"
)

// Sources of a target's value.
const (
	// Manual values are reported by hand with evidence.
	Manual = "manual"
	// Cases counts the cases of Category reported in Territory in the year
	// up to now ("problem count down 30%").
	Cases = "cases"
	// OnTime is the owner unit's on-time handling rate (按期处置率) for the
	// year so far, from assess.Service.Metrics.
	OnTime = "on_time"
	// Score is the mean total score of the units scored in Territory over
	// the Scheme's assessment rounds of the year (a sample too small to be
	// ranked does not count): "the community scores ≥ 90".
	Score = "score"
	// Excellence is the share of those scored units that were excellent,
	// pooled over the rounds (优秀率).
	Excellence = "excellence"
	// Clean is the share of the points inspected in Territory in the
	// Scheme's rounds of the year (of PointType, when set) where no problem
	// was found: "main-road cleanliness 100%".
	Clean = "clean"
)

// FromAssessment says whether a source reads assessment rounds.
func FromAssessment(source string) bool {
	return source == Score || source == Excellence || source == Clean
}

// Target is one line of a unit's task book.
type Target struct {
	ID        int64     `json:"id"`
	Year      int       `json:"year"`
	Unit      string    `json:"unit"`
	Territory string    `json:"territory"`
	Name      string    `json:"name"`
	Measure   string    `json:"measure"`
	Direction string    `json:"direction"`
	Baseline  float64   `json:"baseline"`
	Goal      float64   `json:"goal"`
	Due       time.Time `json:"due"`
	Source    string    `json:"source"`
	Category  string    `json:"category,omitempty"`
	// Scheme is the assessment scheme (code) of a Score, Excellence or
	// Clean target; PointType narrows a Clean one to a kind of point.
	Scheme    string    `json:"scheme,omitempty"`
	PointType string    `json:"point_type,omitempty"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Report is a value reported by hand, with its evidence.
type Report struct {
	ID      int64     `json:"id"`
	Target  int64     `json:"target"`
	Value   float64   `json:"value"`
	Note    string    `json:"note"`
	Blobs   []string  `json:"blobs"`
	ActorID int64     `json:"actor_id"`
	At      time.Time `json:"at"`
}

// Status is a target evaluated at a moment.
type Status struct {
	Target
	// Value is the current value (nil: nothing reported or no data yet). For
	// a Cases target it is the count so far run on linearly to the due date
	// (Count × (due − year start) / (now − year start)), so that it compares
	// with a whole-year baseline; Count is the raw count.
	Value *float64 `json:"value"`
	Count *int     `json:"count,omitempty"`
	// Progress is where Value stands from baseline (0) to goal (100), clamped.
	Progress *float64 `json:"progress"`
	// Forecast is the value expected at the due date: the least-squares line
	// through (created, baseline) and the reports for Manual percent/count
	// targets (kept within 0–100 for a percent, ≥ 0 for a count), the run
	// rate for Cases, the current value otherwise.
	Forecast *float64 `json:"forecast"`
	Met      bool     `json:"met"`
	// Late: the due date passed unmet, or the forecast misses the goal.
	Late    bool     `json:"late"`
	History []Report `json:"history,omitempty"`
	// Rounds and Sample tell what an assessment-based value was computed
	// from: the rounds read, and the unit results or points counted.
	Rounds int `json:"rounds,omitempty"`
	Sample int `json:"sample,omitempty"`
}

// Check validates a target; the measure fixes the range of its numbers.
func (t *Target) Check() error {
	var p []string
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len([]rune(t.Name)) > 200 {
		p = append(p, "name: 1–200 characters / 名称须为 1–200 个字符")
	}
	if t.Year < 2000 || t.Year > 2999 {
		p = append(p, "year: 2000–2999 / 年度须在 2000–2999 之间")
	}
	if t.Unit == "" {
		p = append(p, "unit: required / 须填写责任单位")
	}
	if t.Direction == "" {
		t.Direction = Higher
	}
	if t.Direction != Higher && t.Direction != Lower {
		p = append(p, "direction: higher or lower / 方向须为 higher 或 lower")
	}
	okRange := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }
	switch t.Measure {
	case Percent:
		if !okRange(t.Baseline) || !okRange(t.Goal) || t.Baseline > 100 || t.Goal > 100 {
			p = append(p, "baseline, goal: 0–100 for a percent / 百分比的基准值和目标值须在 0–100 之间")
		}
	case Count:
		if !okRange(t.Baseline) || !okRange(t.Goal) || t.Baseline != math.Trunc(t.Baseline) || t.Goal != math.Trunc(t.Goal) {
			p = append(p, "baseline, goal: whole numbers ≥ 0 for a count / 计数的基准值和目标值须为非负整数")
		}
	case Milestone:
		t.Baseline, t.Goal, t.Direction = 0, 1, Higher
	default:
		p = append(p, "measure: percent, count or milestone / 计量方式须为 percent、count 或 milestone")
	}
	if t.Direction == Higher && t.Goal < t.Baseline || t.Direction == Lower && t.Goal > t.Baseline {
		p = append(p, "goal: must not be worse than the baseline / 目标值不得劣于基准值")
	}
	if t.Due.IsZero() || t.Due.Before(YearStart(t.Year)) {
		p = append(p, "due: required, not before the target's year / 须填写完成期限，且不早于目标年度")
	}
	switch t.Source {
	case "", Manual:
		t.Source, t.Category = Manual, ""
	case Cases:
		if t.Measure != Count || t.Category == "" {
			p = append(p, "source cases: a count measure and a category / 按案件计算的指标须为计数并指定类别")
		}
	case OnTime:
		if t.Measure != Percent {
			p = append(p, "source on_time: a percent measure / 按期处置率指标须为百分比")
		}
		t.Category = ""
	case Score, Excellence, Clean:
		t.Scheme, t.PointType = strings.TrimSpace(t.Scheme), strings.TrimSpace(t.PointType)
		if t.Measure != Percent || t.Scheme == "" {
			p = append(p, "source "+t.Source+": a percent measure and an assessment scheme / 按考核结果计算的指标须为百分比并指定考核办法")
		}
		if t.Source != Clean {
			t.PointType = ""
		} else if _, ok := assess.PointTypes[t.PointType]; t.PointType != "" && !ok {
			p = append(p, "point_type: an assessment point type (main_road, back_street…) / 点位类型须为考核点位类型（main_road、back_street 等）")
		}
		t.Category = ""
	default:
		p = append(p, "source: manual, cases, on_time, score, excellence or clean / 来源须为 manual、cases、on_time、score、excellence 或 clean")
	}
	if !FromAssessment(t.Source) {
		t.Scheme, t.PointType = "", ""
	}
	if len(p) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid target", "目标无效")
		e.Details = p
		return e
	}
	return nil
}

// CheckValue validates a reported value against the measure.
func (t Target) CheckValue(v float64) error {
	ok := !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0
	switch t.Measure {
	case Percent:
		ok = ok && v <= 100
	case Count:
		ok = ok && v == math.Trunc(v)
	case Milestone:
		ok = v == 0 || v == 1
	}
	if !ok {
		return xiuhua.Errorf(xiuhua.EInvalid, "value %v does not fit the measure %s", "数值 %v 不符合计量方式 %s", v, t.Measure)
	}
	return nil
}

// YearStart is 1 January of the year in Shanghai.
func YearStart(year int) time.Time {
	return time.Date(year, 1, 1, 0, 0, 0, 0, calendar.Shanghai())
}

// met says whether v reaches the goal in the target's direction.
func (t Target) met(v float64) bool {
	if t.Direction == Lower {
		return v <= t.Goal
	}
	return v >= t.Goal
}

// Evaluate computes progress, forecast and the late flag at now. value is
// the current value (nil: none); history the manual reports, oldest first.
func Evaluate(t Target, value *float64, history []Report, now time.Time) Status {
	s := Status{Target: t, Value: value, History: history}
	if value != nil {
		p := 0.0
		switch {
		case t.Goal == t.Baseline:
			if t.met(*value) {
				p = 100
			}
		default:
			p = (*value - t.Baseline) / (t.Goal - t.Baseline) * 100
		}
		p = round2(math.Max(0, math.Min(100, p)))
		s.Progress = &p
		s.Met = t.met(*value)
		f := *value
		if t.Source == Manual && t.Measure != Milestone && len(history) > 0 {
			// A trend runs on past what can be: a rate stops at 100%, a count at 0.
			f = round2(max(0, linearForecast(t, history)))
			if t.Measure == Percent {
				f = min(f, 100)
			}
		}
		s.Forecast = &f
	}
	switch {
	case s.Met && (s.Forecast == nil || t.met(*s.Forecast)):
	case !now.Before(t.Due) && !s.Met:
		s.Late = true
	case s.Forecast != nil && !t.met(*s.Forecast):
		s.Late = true
	}
	return s
}

// linearForecast fits value = a + b·t by least squares through the
// baseline at the target's creation and every report, and reads it at the
// due date. Times are in days so that the sums stay well conditioned.
func linearForecast(t Target, history []Report) float64 {
	xs := []float64{0}
	ys := []float64{t.Baseline}
	day := float64(24 * time.Hour)
	for _, r := range history {
		xs = append(xs, float64(r.At.Sub(t.CreatedAt))/day)
		ys = append(ys, r.Value)
	}
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		// All reports at the creation instant: no trend, the last value holds.
		return ys[len(ys)-1]
	}
	b := (n*sxy - sx*sy) / den
	a := (sy - b*sx) / n
	return a + b*float64(t.Due.Sub(t.CreatedAt))/day
}

// RunRate carries a count made from the year's start to now on linearly to
// the due date; past the due date the count stands.
func RunRate(count int, year int, due, now time.Time) float64 {
	start := YearStart(year)
	if !now.Before(due) || !now.After(start) {
		return float64(count)
	}
	return round2(float64(count) * float64(due.Sub(start)) / float64(now.Sub(start)))
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func shanghai() *time.Location { return calendar.Shanghai() }
