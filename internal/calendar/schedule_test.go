package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
)

// chineseDaysSample is a cut of chinese-days' dist/chinese-days.json, 2026
// National Day, in its own layout (inLieuDays included, to be ignored).
const chineseDaysSample = `{
  "holidays": {
    "2026-10-01": "National Day,国庆节,3",
    "2026-10-02": "National Day,国庆节,3",
    "2026-09-25": "Mid-autumn Festival,中秋,1"
  },
  "workdays": {
    "2026-10-10": "National Day,国庆节,3",
    "2026-09-20": "National Day,国庆节,3"
  },
  "inLieuDays": {
    "2026-10-06": "National Day,国庆节,3"
  }
}`

const oursSample = `{"source": "test",
"days": [
{"date": "2026-10-01", "kind": "holiday", "name_en": "National Day", "name_zh": "国庆节"},
{"date": "2026-09-20", "kind": "workday", "name_en": "National Day", "name_zh": "国庆节"},
{"date": "2026-10-08", "kind": "holiday"}
]}`

func TestParseScheduleChineseDays(t *testing.T) {
	s, err := ParseSchedule([]byte(chineseDaysSample))
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{ // sorted by date, holidays and workdays together
		{"2026-09-20", Workday, "National Day", "国庆节"},
		{"2026-09-25", Holiday, "Mid-autumn Festival", "中秋"},
		{"2026-10-01", Holiday, "National Day", "国庆节"},
		{"2026-10-02", Holiday, "National Day", "国庆节"},
		{"2026-10-10", Workday, "National Day", "国庆节"},
	}
	if !slices.Equal(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestParseScheduleOurs(t *testing.T) {
	s, err := ParseSchedule([]byte(oursSample))
	if err != nil {
		t.Fatal(err)
	}
	want := Schedule{
		{"2026-09-20", Workday, "National Day", "国庆节"},
		{"2026-10-01", Holiday, "National Day", "国庆节"},
		{"2026-10-08", Holiday, "", ""}, // names are optional
	}
	if !slices.Equal(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	// An imported schedule feeds With.
	c := Default().With(s)
	checkAdd(t, c, "2026-09-30 16:00", 8*time.Hour, "2026-10-09 16:00")
}

// TestEmbeddedData checks the shipped file: it parses, has every day of
// chinese-days 1.5.7 (619 holidays + 150 workdays) and the 2026 days the
// domain brief names.
func TestEmbeddedData(t *testing.T) {
	s, err := ParseSchedule(cnJSON)
	if err != nil {
		t.Fatal(err)
	}
	var hol, work int
	for _, d := range s {
		if d.Kind == Holiday {
			hol++
		} else {
			work++
		}
		if d.NameEn == "" || d.NameZh == "" {
			t.Errorf("%s has no name", d.Date)
		}
	}
	if hol != 619 || work != 150 {
		t.Errorf("holidays %d, workdays %d; want 619, 150", hol, work)
	}
	kinds := map[string]DayKind{}
	for _, d := range s {
		kinds[d.Date] = d.Kind
	}
	for _, date := range []string{"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"} {
		if kinds[date] != Holiday {
			t.Errorf("%s: %q, want holiday", date, kinds[date])
		}
	}
	if kinds["2026-10-08"] != "" {
		t.Errorf("2026-10-08 listed as %q; the 1.5.7 data ends National Day on 10-07", kinds["2026-10-08"])
	}
	for _, date := range []string{"2026-09-20", "2026-10-10"} {
		if kinds[date] != Workday {
			t.Errorf("%s: %q, want workday", date, kinds[date])
		}
	}
}

func TestParseScheduleRejects(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		en, zh string // substrings of the messages
	}{
		{"not JSON", `{"days": [`, "not a JSON object", "不是 JSON 对象"},
		{"a list", `[]`, "not a JSON object", "不是 JSON 对象"},
		{"null", `null`, "not a JSON object", "不是 JSON 对象"},
		{"empty object", `{}`, "lists no days", "没有任何日期"},
		{"empty list", `{"days": []}`, "lists no days", "没有任何日期"},
		{"unknown key", `{"day": []}`, `unknown key(s) day`, "未知字段 day"},
		{"both layouts", `{"days": [], "holidays": {}}`, "mixes two layouts", "混用了两种格式"},
		{"days not a list", `{"days": {}}`, `"days" must be a list`, `"days" 须为`},
		{"no such day", `{"days": [{"date": "2026-02-30", "kind": "holiday"}]}`,
			`days[0] (2026-02-30): "2026-02-30" is not a date`, "不是有效日期"},
		{"short date", `{"days": [{"date": "2026-2-3", "kind": "holiday"}]}`,
			`date "2026-2-3" must be YYYY-MM-DD`, "须为 YYYY-MM-DD"},
		{"bad kind", `{"days": [{"date": "2026-10-01", "kind": "weekend"}]}`,
			`days[0] (2026-10-01): kind "weekend" must be "holiday" or "workday"`, "类型 \"weekend\""},
		{"missing kind", `{"days": [{"date": "2026-10-01"}]}`, `kind ""`, "类型"},
		{"misspelt field", `{"days": [{"date": "2026-10-01", "kind": "holiday", "nam_en": "x"}]}`,
			`days[0]: json: unknown field "nam_en"`, "days[0]：格式错误"},
		{"holiday and workday", `{"days": [
			{"date": "2026-10-01", "kind": "holiday"},
			{"date": "2026-10-01", "kind": "workday"}]}`,
			"days[1] (2026-10-01): 2026-10-01 is both a holiday and a make-up workday (see days[0] (2026-10-01))",
			"既是放假日又是调休上班日"},
		{"listed twice", `{"days": [
			{"date": "2026-10-01", "kind": "holiday"},
			{"date": "2026-10-01", "kind": "holiday"}]}`,
			"is listed twice", "重复出现"},
		{"chinese-days: both", `{"holidays": {"2026-10-10": "National Day,国庆节,3"}, "workdays": {"2026-10-10": "National Day,国庆节,3"}}`,
			`workdays["2026-10-10"]: 2026-10-10 is both a holiday and a make-up workday (see holidays["2026-10-10"])`,
			"既是放假日又是调休上班日"},
		{"chinese-days: no names", `{"holidays": {"2026-10-01": "National Day"}}`,
			`holidays["2026-10-01"]: "National Day" is not "English name,中文名,days"`, "不符合"},
		{"chinese-days: no count", `{"holidays": {"2026-10-01": "National Day,国庆节,x"}}`,
			`is not "English name,中文名,days"`, "不符合"},
		{"chinese-days: number", `{"workdays": {"2026-10-10": 3}}`,
			`workdays["2026-10-10"]: value must be a string`, "值须为字符串"},
		{"chinese-days: bad date", `{"holidays": {"2026-13-01": "National Day,国庆节,3"}}`,
			`holidays["2026-13-01"]: "2026-13-01" is not a date`, "不是有效日期"},
		{"chinese-days: not a map", `{"holidays": ["2026-10-01"]}`, `"holidays" must be an object`, `"holidays" 须为`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSchedule([]byte(tc.in))
			var e *xiuhua.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *xiuhua.Error", err)
			}
			if e.Code != xiuhua.EInvalid {
				t.Errorf("code = %s", e.Code)
			}
			if !strings.Contains(e.Message, tc.en) {
				t.Errorf("message %q lacks %q", e.Message, tc.en)
			}
			if !strings.Contains(e.MessageZh, tc.zh) {
				t.Errorf("zh message %q lacks %q", e.MessageZh, tc.zh)
			}
		})
	}
}

// TestParseScheduleReportsAll checks that a file with many bad entries gets
// one detail line each, while the message names the first few.
func TestParseScheduleReportsAll(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"days": [`)
	for i := 1; i <= 5; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"date": "2026-10-%02d", "kind": "off"}`, i)
	}
	b.WriteString(`, {"date": "2026-10-10", "kind": "workday"}]}`)
	_, err := ParseSchedule([]byte(b.String()))
	e := xiuhua.AsError(err)
	if len(e.Details) != 5 {
		t.Fatalf("details = %q, want 5 lines", e.Details)
	}
	if !strings.Contains(e.Details[4], "days[4] (2026-10-05)") || !strings.Contains(e.Details[4], " / ") {
		t.Errorf("detail = %q", e.Details[4])
	}
	if !strings.Contains(e.Message, "days[0]") || !strings.Contains(e.Message, "and 2 more") || strings.Contains(e.Message, "days[3]") {
		t.Errorf("message = %q", e.Message)
	}
	if !strings.Contains(e.MessageZh, "另有 2 处") {
		t.Errorf("zh message = %q", e.MessageZh)
	}
}

func TestScheduleValidate(t *testing.T) {
	if err := (Schedule{{Date: "2026-10-01", Kind: Holiday}, {Date: "2026-10-10", Kind: Workday}}).Validate(); err != nil {
		t.Error(err)
	}
	err := Schedule{{Date: "2026-10-01", Kind: Holiday}, {Date: "2026-10-01", Kind: Workday}}.Validate()
	if err == nil || !strings.Contains(err.Error(), "day 2: 2026-10-01 is both a holiday and a make-up workday (see day 1)") {
		t.Errorf("err = %v", err)
	}
}

func TestParseHours(t *testing.T) {
	good := []struct{ in, want string }{
		{"09:00-12:00,13:00-18:00", "09:00-12:00,13:00-18:00"},
		{" 08:30 - 12:00 , 14:00-17:30 ", "08:30-12:00,14:00-17:30"},
		{"00:00-24:00", "00:00-24:00"},
		{"09:00-12:00,12:00-13:00", "09:00-12:00,12:00-13:00"}, // touching spans are fine
	}
	for _, tc := range good {
		h, err := ParseHours(tc.in)
		if err != nil {
			t.Errorf("ParseHours(%q): %v", tc.in, err)
			continue
		}
		if h.String() != tc.want {
			t.Errorf("ParseHours(%q) = %s, want %s", tc.in, h, tc.want)
		}
	}
	if h, _ := ParseHours("09:00-12:00,13:00-18:00"); h.Duration() != 8*time.Hour || !slices.Equal(h, DefaultHours()) {
		t.Errorf("default hours: %v, %v", h, h.Duration())
	}
	bad := []struct{ in, en, zh string }{
		{"", "empty", "为空"},
		{"9:00-12:00", `"9:00-12:00": want HH:MM-HH:MM`, "格式错误"},
		{"09:00", "want HH:MM-HH:MM", "格式错误"},
		{"+9:00-12:00", "want HH:MM-HH:MM", "格式错误"},
		{"09:00-12:60", "want HH:MM-HH:MM", "格式错误"},
		{"09:00-24:30", "want HH:MM-HH:MM", "格式错误"},
		{"12:00-09:00", "end after they start", "结束晚于开始"},
		{"09:00-09:00", "end after they start", "结束晚于开始"},
		{"09:00-13:00,12:00-18:00", "09:00-13:00 and 12:00-18:00 overlap or are out of order", "重叠"},
		{"13:00-18:00,09:00-12:00", "overlap or are out of order", "未按时间先后排列"},
		{"09:00-12:00,", "want HH:MM-HH:MM", "格式错误"},
	}
	for _, tc := range bad {
		_, err := ParseHours(tc.in)
		e := xiuhua.AsError(err)
		if err == nil || e.Code != xiuhua.EInvalid || !strings.Contains(e.Message, tc.en) || !strings.Contains(e.MessageZh, tc.zh) {
			t.Errorf("ParseHours(%q) = %v, want %q / %q", tc.in, err, tc.en, tc.zh)
		}
	}
}

func TestNewPanicsOnInvalidHours(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with overlapping hours did not panic")
		}
	}()
	New(nil, Hours{{600, 700}, {650, 800}}, nil)
}
