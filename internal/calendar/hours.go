package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
)

// Span is an office-hours interval within a day, in minutes from midnight,
// half-open: [Start, End). End may be 1440 (24:00).
type Span struct{ Start, End int }

// String formats s as "09:00-12:00".
func (s Span) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Hours are a workday's office hours: sorted, non-overlapping spans.
type Hours []Span

// DefaultHours returns 09:00–12:00 and 13:00–18:00, eight working hours a
// day (ours; a city sets its own with WithHours). It returns a fresh slice
// each time so that no caller can change another's hours.
func DefaultHours() Hours { return Hours{{9 * 60, 12 * 60}, {13 * 60, 18 * 60}} }

// String formats h the way ParseHours reads it: "09:00-12:00,13:00-18:00".
func (h Hours) String() string {
	parts := make([]string, len(h))
	for i, s := range h {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// Duration is the nominal working time of one workday (ignoring any
// daylight-saving change on the day).
func (h Hours) Duration() time.Duration {
	var m int
	for _, s := range h {
		m += s.End - s.Start
	}
	return time.Duration(m) * time.Minute
}

// Validate checks that h has at least one span, every span lies within the
// day and is not empty, and the spans are sorted and do not overlap (they may
// touch). Working-time arithmetic relies on all of this: with no office hours
// at all, Add would never find an end.
func (h Hours) Validate() error {
	if len(h) == 0 {
		return xiuhua.Errorf(xiuhua.EInvalid, "office hours are empty", "办公时间为空")
	}
	for i, s := range h {
		if s.Start < 0 || s.End > 24*60 || s.Start >= s.End {
			return xiuhua.Errorf(xiuhua.EInvalid,
				"office hours %d (%d-%d minutes): must lie within 00:00-24:00 and end after they start",
				"第 %d 段办公时间（%d-%d 分钟）须在 00:00-24:00 之内且结束晚于开始",
				i+1, s.Start, s.End)
		}
		if i > 0 && s.Start < h[i-1].End {
			return xiuhua.Errorf(xiuhua.EInvalid,
				"office hours %s and %s overlap or are out of order",
				"办公时间 %s 与 %s 重叠或未按时间先后排列",
				h[i-1], s)
		}
	}
	return nil
}

// ParseHours reads office hours written as "09:00-12:00,13:00-18:00"
// (spaces allowed around the parts; "24:00" allowed as an end) and validates
// them as Hours.Validate does.
func ParseHours(s string) (Hours, error) {
	if strings.TrimSpace(s) == "" {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "office hours are empty", "办公时间为空")
	}
	var h Hours
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return nil, badSpan(part)
		}
		a, okA := parseClock(strings.TrimSpace(from))
		b, okB := parseClock(strings.TrimSpace(to))
		if !okA || !okB {
			return nil, badSpan(part)
		}
		h = append(h, Span{a, b})
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return h, nil
}

func badSpan(part string) error {
	return xiuhua.Errorf(xiuhua.EInvalid,
		"office hours %q: want HH:MM-HH:MM, e.g. 09:00-12:00",
		"办公时间 %q 格式错误，应为 HH:MM-HH:MM，例如 09:00-12:00", part)
}

// parseClock reads "HH:MM" (exactly two digits each) as minutes from
// midnight; "24:00" is allowed so that a span can run to the end of the day.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, false
	}
	hh, _ := strconv.Atoi(s[:2])
	mm, _ := strconv.Atoi(s[3:])
	if mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

// digits reports whether s is all ASCII digits; strconv.Atoi alone would
// also take a sign.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
