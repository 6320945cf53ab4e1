package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
)

// DayKind says how a listed day departs from the Monday–Friday week.
type DayKind string

// Kinds of listed day.
const (
	// Holiday is a day off (a public holiday), although it may be a weekday.
	// The official lists also name the weekend days inside a holiday block;
	// those are off anyway and are kept so the block reads whole.
	Holiday DayKind = "holiday"
	// Workday is a make-up workday (调休上班): on, although a weekend.
	Workday DayKind = "workday"
)

// Day is one listed day of the official calendar. The names are those of the
// holiday it belongs to; for a make-up workday, the holiday it pays for.
type Day struct {
	Date   string  `json:"date"` // YYYY-MM-DD, civil date in the calendar's location
	Kind   DayKind `json:"kind"`
	NameEn string  `json:"name_en,omitempty"`
	NameZh string  `json:"name_zh,omitempty"`
}

// Schedule is a list of days that depart from the Monday–Friday week.
type Schedule []Day

// dateLayout is the only date form accepted: the official lists and our
// files all use it, and one form keeps the data diff-friendly.
const dateLayout = "2006-01-02"

// problem is one bad entry, in both languages.
type problem struct{ en, zh string }

// maxDetails bounds the error detail of a badly broken file: the first
// hundred problems are enough to see what went wrong.
const maxDetails = 100

// problemsError folds the problems of a file into one *xiuhua.Error: the
// message names the first few, Details lists them (up to maxDetails), one
// line per bad entry, as "English / 中文".
func problemsError(probs []problem) error {
	if len(probs) == 0 {
		return nil
	}
	const inMessage = 3
	var en, zh []string
	for i, p := range probs {
		if i == inMessage {
			break
		}
		en = append(en, p.en)
		zh = append(zh, p.zh)
	}
	enMsg, zhMsg := strings.Join(en, "; "), strings.Join(zh, "；")
	if n := len(probs) - inMessage; n > 0 {
		enMsg += fmt.Sprintf("; and %d more", n)
		zhMsg += fmt.Sprintf("；另有 %d 处", n)
	}
	// Errorf shares its args between the two formats, hence the indexes.
	e := xiuhua.Errorf(xiuhua.EInvalid, "invalid calendar: %[1]s", "日历数据有误：%[2]s", enMsg, zhMsg)
	for i, p := range probs {
		if i == maxDetails {
			e.Details = append(e.Details, fmt.Sprintf("… and %d more / 另有 %d 处", len(probs)-i, len(probs)-i))
			break
		}
		e.Details = append(e.Details, p.en+" / "+p.zh)
	}
	return e
}

// checkDays validates each day and that no date is listed twice; label(i)
// names entry i the way the user wrote it, so that the message points at it.
func checkDays(days Schedule, label func(i int) string) []problem {
	var probs []problem
	seen := make(map[string]int, len(days))
	for i, d := range days {
		l := label(i)
		if len(d.Date) != len(dateLayout) {
			probs = append(probs, problem{
				fmt.Sprintf("%s: date %q must be YYYY-MM-DD", l, d.Date),
				fmt.Sprintf("%s：日期 %q 须为 YYYY-MM-DD 格式", l, d.Date)})
			continue
		}
		if _, err := time.Parse(dateLayout, d.Date); err != nil {
			probs = append(probs, problem{
				fmt.Sprintf("%s: %q is not a date", l, d.Date),
				fmt.Sprintf("%s：%q 不是有效日期", l, d.Date)})
			continue
		}
		if d.Kind != Holiday && d.Kind != Workday {
			probs = append(probs, problem{
				fmt.Sprintf("%s: kind %q must be %q or %q", l, d.Kind, Holiday, Workday),
				fmt.Sprintf("%s：类型 %q 须为 %q（放假）或 %q（调休上班）", l, d.Kind, Holiday, Workday)})
			continue
		}
		if j, dup := seen[d.Date]; dup {
			if days[j].Kind != d.Kind {
				probs = append(probs, problem{
					fmt.Sprintf("%s: %s is both a holiday and a make-up workday (see %s)", l, d.Date, label(j)),
					fmt.Sprintf("%s：%s 既是放假日又是调休上班日（见 %s）", l, d.Date, label(j))})
			} else {
				probs = append(probs, problem{
					fmt.Sprintf("%s: %s is listed twice (see %s)", l, d.Date, label(j)),
					fmt.Sprintf("%s：%s 重复出现（见 %s）", l, d.Date, label(j))})
			}
			continue
		}
		seen[d.Date] = i
	}
	return probs
}

// Validate checks every date (YYYY-MM-DD, a real day), every kind, and that
// no date is listed twice, in particular not as both holiday and workday.
func (s Schedule) Validate() error {
	return problemsError(checkDays(s, func(i int) string {
		return fmt.Sprintf("day %d", i+1)
	}))
}

// sortDays sorts by date; YYYY-MM-DD sorts as text.
func sortDays(s Schedule) {
	slices.SortStableFunc(s, func(a, b Day) int { return strings.Compare(a.Date, b.Date) })
}

// ParseSchedule reads a calendar file, as given to `xiuhua import calendar
// FILE.json`, in either of two layouts:
//
//   - ours, as in data/cn.json:
//     {"days": [{"date": "2026-10-01", "kind": "holiday", "name_en": "National Day", "name_zh": "国庆节"}, …]}
//     with an optional "source" string saying where the data came from;
//   - that of the npm package chinese-days (dist/chinese-days.json):
//     {"holidays": {"2026-10-01": "National Day,国庆节,3", …}, "workdays": {…}}
//     where the value is "English name,中文名,days of the holiday"; its
//     "inLieuDays" (which holiday days are paid for by make-up days) is
//     accepted and ignored, since holidays already lists every day off.
//
// It checks every entry and reports all bad ones at once (EInvalid, with one
// detail line per entry naming it). The result is sorted by date.
func ParseSchedule(data []byte) (Schedule, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		msg := "not a JSON object"
		if err != nil {
			msg = err.Error()
		}
		return nil, xiuhua.Errorf(xiuhua.EInvalid,
			"calendar file is not a JSON object: %s",
			"日历文件不是 JSON 对象：%s", msg)
	}
	var keys []string
	for k := range top {
		switch k {
		case "days", "source", "holidays", "workdays", "inLieuDays":
		default:
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		return nil, xiuhua.Errorf(xiuhua.EInvalid,
			"calendar file: unknown key(s) %s; want \"days\" or \"holidays\"/\"workdays\"",
			"日历文件含未知字段 %s；应为 \"days\" 或 \"holidays\"/\"workdays\"",
			strings.Join(keys, ", "))
	}
	_, ours := top["days"]
	_, theirs := top["holidays"]
	if _, w := top["workdays"]; w {
		theirs = true
	}
	var (
		days  Schedule
		label func(int) string
		probs []problem
	)
	switch {
	case ours && theirs:
		return nil, xiuhua.Errorf(xiuhua.EInvalid,
			"calendar file mixes two layouts: use either \"days\" or \"holidays\"/\"workdays\"",
			"日历文件混用了两种格式：请只用 \"days\" 或 \"holidays\"/\"workdays\"")
	case ours:
		days, label, probs = parseOurs(top)
	case theirs:
		days, label, probs = parseChineseDays(top)
	}
	if len(probs) == 0 && len(days) == 0 {
		return nil, xiuhua.Errorf(xiuhua.EInvalid,
			"calendar file lists no days",
			"日历文件中没有任何日期")
	}
	probs = append(probs, checkDays(days, label)...)
	if err := problemsError(probs); err != nil {
		return nil, err
	}
	sortDays(days)
	return days, nil
}

// parseOurs reads {"days": [...]}, entry by entry so that an error names the
// entry. Unknown fields are errors: a misspelt "knd" would otherwise pass as
// an empty kind, or a misspelt name go missing unnoticed.
func parseOurs(top map[string]json.RawMessage) (Schedule, func(int) string, []problem) {
	var probs []problem
	if raw, ok := top["source"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			probs = append(probs, problem{"\"source\" must be a string", "\"source\" 须为字符串"})
		}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(top["days"], &raws); err != nil {
		return nil, nil, append(probs, problem{
			"\"days\" must be a list of {\"date\", \"kind\", \"name_en\", \"name_zh\"}",
			"\"days\" 须为 {\"date\", \"kind\", \"name_en\", \"name_zh\"} 的列表"})
	}
	days := make(Schedule, 0, len(raws))
	idx := make([]int, 0, len(raws)) // position in the file of each kept day
	for i, raw := range raws {
		var d Day
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			probs = append(probs, problem{
				fmt.Sprintf("days[%d]: %v", i, err),
				fmt.Sprintf("days[%d]：格式错误（%v）", i, err)})
			continue
		}
		d.NameEn, d.NameZh = strings.TrimSpace(d.NameEn), strings.TrimSpace(d.NameZh)
		days = append(days, d)
		idx = append(idx, i)
	}
	label := func(i int) string { return fmt.Sprintf("days[%d] (%s)", idx[i], days[i].Date) }
	return days, label, probs
}

// parseChineseDays reads chinese-days' {"holidays": {date: "En,中文,n"},
// "workdays": {...}}. The map order is lost in decoding, so the days are
// sorted first and labelled by map and date.
func parseChineseDays(top map[string]json.RawMessage) (Schedule, func(int) string, []problem) {
	var (
		days  Schedule
		probs []problem
	)
	for _, part := range []struct {
		key  string
		kind DayKind
	}{{"holidays", Holiday}, {"workdays", Workday}} {
		raw, ok := top[part.key]
		if !ok {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			probs = append(probs, problem{
				fmt.Sprintf("%q must be an object of date: \"English name,中文名,days\"", part.key),
				fmt.Sprintf("%q 须为 日期: \"English name,中文名,天数\" 的对象", part.key)})
			continue
		}
		dates := slices.Sorted(maps.Keys(m))
		for _, date := range dates {
			l := fmt.Sprintf("%s[%q]", part.key, date)
			var v string
			if err := json.Unmarshal(m[date], &v); err != nil {
				probs = append(probs, problem{
					fmt.Sprintf("%s: value must be a string \"English name,中文名,days\"", l),
					fmt.Sprintf("%s：值须为字符串 \"English name,中文名,天数\"", l)})
				continue
			}
			en, zh, ok := splitName(v)
			if !ok {
				probs = append(probs, problem{
					fmt.Sprintf("%s: %q is not \"English name,中文名,days\"", l, v),
					fmt.Sprintf("%s：%q 不符合 \"English name,中文名,天数\" 格式", l, v)})
				continue
			}
			days = append(days, Day{Date: date, Kind: part.kind, NameEn: en, NameZh: zh})
		}
	}
	label := func(i int) string {
		key := "holidays"
		if days[i].Kind == Workday {
			key = "workdays"
		}
		return fmt.Sprintf("%s[%q]", key, days[i].Date)
	}
	return days, label, probs
}

// splitName splits chinese-days' "English name,中文名,days". It splits at the
// last two commas so that an English name may itself hold a comma.
func splitName(v string) (en, zh string, ok bool) {
	rest, n, ok1 := cutLast(v, ",")
	en, zh, ok2 := cutLast(rest, ",")
	en, zh, n = strings.TrimSpace(en), strings.TrimSpace(zh), strings.TrimSpace(n)
	if !ok1 || !ok2 || en == "" || zh == "" || !digits(n) {
		return "", "", false
	}
	if _, err := strconv.Atoi(n); err != nil {
		return "", "", false
	}
	return en, zh, true
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
