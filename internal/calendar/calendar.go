// Package calendar counts working time on the official Chinese calendar, for
// case handling time limits (处置时限, domain.md §3.4): public holidays are
// off, the make-up workdays (调休上班) the State Council announces each year
// are on, and otherwise Monday to Friday are workdays, during office hours.
//
// The shipped schedule (data/cn.json, 2004–2026) is converted from the npm
// package chinese-days; see data/NOTICE. Later years are imported with
// ParseSchedule and Calendar.With. A year the schedule does not cover falls
// back to plain Monday to Friday, and Covered says so, so callers can warn.
package calendar

import (
	_ "embed"
	"strconv"
	"sync"
	"time"
)

//go:embed data/cn.json
var cnJSON []byte

// Calendar answers workday questions and does working-time arithmetic in
// one location. It is immutable and safe for concurrent use; With and
// WithHours return modified copies.
type Calendar struct {
	loc    *time.Location
	hours  Hours
	days   map[int]Day // listed days by civil day number (see dayNumber)
	sorted Schedule
	years  map[int]bool
	first  int
	last   int
}

// shanghai is China Standard Time. Without tzdata on the host (a bare
// container) it falls back to a fixed +08:00 zone under the same name:
// China has kept +08:00 without daylight saving since 1991, so the two agree
// on every date the schedule covers.
var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Shanghai", 8*60*60)
})

// Shanghai returns the Asia/Shanghai location, the default calendar's.
func Shanghai() *time.Location { return shanghai() }

// The embedded schedule is parsed on first use, not at init, so that the
// data generator (which imports this package) still builds and runs when
// data/cn.json is broken or empty.
var defaultCalendar = sync.OnceValue(func() *Calendar {
	days, err := ParseSchedule(cnJSON)
	if err != nil {
		panic("calendar: embedded data/cn.json is broken: " + err.Error()) // caught by tests
	}
	return New(days, DefaultHours(), Shanghai())
})

// Default returns the shipped calendar: the official schedule 2004–2026,
// DefaultHours and Asia/Shanghai. All callers share it.
func Default() *Calendar { return defaultCalendar() }

// New builds a calendar from a schedule, office hours and a location. Empty
// hours mean DefaultHours and a nil location means Asia/Shanghai.
//
// New panics if days or hours are invalid (see Schedule.Validate and
// Hours.Validate): ParseSchedule and ParseHours never return such values, so
// an invalid one is a programming error, and a calendar with, say, no office
// hours would make Add loop forever.
func New(days Schedule, hours Hours, loc *time.Location) *Calendar {
	if len(hours) == 0 {
		hours = DefaultHours()
	}
	if err := hours.Validate(); err != nil {
		panic("calendar.New: " + err.Error())
	}
	if loc == nil {
		loc = Shanghai()
	}
	c := &Calendar{loc: loc, hours: append(Hours(nil), hours...)}
	return c.with(nil, days, "calendar.New")
}

// With returns a copy of c with days added; a day whose date c already lists
// is replaced, whatever its kind (an imported year corrects the shipped one).
// It panics if days are invalid, as New does.
func (c *Calendar) With(days Schedule) *Calendar {
	return (&Calendar{loc: c.loc, hours: c.hours}).with(c.days, days, "calendar.With")
}

// with fills a fresh c from base overridden by days.
func (c *Calendar) with(base map[int]Day, days Schedule, who string) *Calendar {
	if err := days.Validate(); err != nil {
		panic(who + ": " + err.Error())
	}
	c.days = make(map[int]Day, len(base)+len(days))
	for n, d := range base {
		c.days[n] = d
	}
	for _, d := range days {
		t, _ := time.Parse(dateLayout, d.Date) // validated above
		c.days[dayNumber(t.Date())] = d
	}
	c.sorted = make(Schedule, 0, len(c.days))
	c.years = make(map[int]bool)
	for _, d := range c.days {
		c.sorted = append(c.sorted, d)
		y, _ := strconv.Atoi(d.Date[:4])
		c.years[y] = true
	}
	sortDays(c.sorted)
	if len(c.sorted) > 0 {
		c.first, _ = strconv.Atoi(c.sorted[0].Date[:4])
		c.last, _ = strconv.Atoi(c.sorted[len(c.sorted)-1].Date[:4])
	}
	return c
}

// WithHours returns a copy of c with other office hours. Empty hours mean
// DefaultHours; invalid ones panic, as in New.
func (c *Calendar) WithHours(h Hours) *Calendar {
	if len(h) == 0 {
		h = DefaultHours()
	}
	if err := h.Validate(); err != nil {
		panic("calendar.WithHours: " + err.Error())
	}
	cp := *c // the day tables are never written after construction, so sharing them is safe
	cp.hours = append(Hours(nil), h...)
	return &cp
}

// Location returns the location whose civil days and office hours c counts.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours returns c's office hours.
func (c *Calendar) Hours() Hours { return append(Hours(nil), c.hours...) }

// Days returns the listed days, sorted by date.
func (c *Calendar) Days() Schedule { return append(Schedule(nil), c.sorted...) }

// Years returns the first and last year that the schedule lists days in;
// (0, 0) for an empty schedule. Use Covered for the years in between: a
// year may be missing.
func (c *Calendar) Years() (first, last int) { return c.first, c.last }

// Covered reports whether the schedule lists any day of year. For a year not
// covered, IsWorkday falls back to Monday to Friday, which is wrong on the
// public holidays: callers should warn that deadlines there are estimates
// until the year's schedule is imported.
func (c *Calendar) Covered(year int) bool { return c.years[year] }

// Day returns the listed day that t falls on in c's location, if any: the
// holiday it belongs to, or the holiday a make-up workday pays for.
func (c *Calendar) Day(t time.Time) (Day, bool) {
	d, ok := c.days[dayNumber(t.In(c.loc).Date())]
	return d, ok
}

// IsWorkday reports whether t falls on a workday in c's location: a make-up
// workday is one, a holiday is not, and any other day is one from Monday to
// Friday. It says nothing about office hours.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.workday(dayNumber(t.In(c.loc).Date()))
}

func (c *Calendar) workday(n int) bool {
	if d, ok := c.days[n]; ok {
		return d.Kind == Workday
	}
	wd := weekday(n)
	return wd != time.Saturday && wd != time.Sunday
}

// Deadline is the one entry point for case deadlines: with clock set (for
// emergencies and safety hazards, which do not wait for Monday) it is plain
// start + d; otherwise d counts working time, as in Add.
func (c *Calendar) Deadline(start time.Time, d time.Duration, clock bool) time.Time {
	if clock {
		return start.Add(d)
	}
	return c.Add(start, d)
}

// Add returns the instant that lies d of working time (office hours on
// workdays) after start. A start outside office hours counts from the next
// opening; a deadline that uses up a span exactly ends at its closing (18:00,
// not 09:00 the next workday). d == 0 returns start unchanged. A negative d
// counts backwards: the latest instant with -d of working time before start.
//
// The result is in start's location. It is exact to the nanosecond: the
// arithmetic is on instants and durations, and each span's opening and
// closing are wall-clock times of the day, so a daylight-saving change (none
// in China since 1991) shortens or lengthens that day's working time.
// The cost grows with the number of calendar days crossed, not with d's
// resolution.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	switch {
	case d == 0:
		return start
	case d < 0:
		if d == minDuration { // -d would overflow; a nanosecond in 292 years does not matter
			d++
		}
		return c.back(start, -d)
	}
	t, rem := start, d
	for n := dayNumber(start.In(c.loc).Date()); ; n++ {
		if !c.workday(n) {
			continue
		}
		y, m, dd := civil(n)
		for _, s := range c.hours {
			closing := c.at(y, m, dd, s.End)
			if !t.Before(closing) {
				continue
			}
			if opening := c.at(y, m, dd, s.Start); t.Before(opening) {
				t = opening
			}
			avail := closing.Sub(t)
			if rem <= avail {
				return t.Add(rem).In(start.Location())
			}
			rem -= avail
			t = closing
		}
	}
}

const minDuration = time.Duration(-1 << 63)

// back is Add for a negative duration: it walks the spans backwards. A start
// outside office hours counts from the previous closing, and a count that
// uses up a span exactly ends at its opening.
func (c *Calendar) back(start time.Time, d time.Duration) time.Time {
	t, rem := start, d
	for n := dayNumber(start.In(c.loc).Date()); ; n-- {
		if !c.workday(n) {
			continue
		}
		y, m, dd := civil(n)
		for i := len(c.hours) - 1; i >= 0; i-- {
			s := c.hours[i]
			opening := c.at(y, m, dd, s.Start)
			if !t.After(opening) {
				continue
			}
			if closing := c.at(y, m, dd, s.End); t.After(closing) {
				t = closing
			}
			avail := t.Sub(opening)
			if rem <= avail {
				return t.Add(-rem).In(start.Location())
			}
			rem -= avail
			t = opening
		}
	}
}

// Between returns the working time between a and b: the office hours on
// workdays that fall in [a, b], negative if b is before a. It inverts Add:
// Between(s, Add(s, d)) == d for any d > 0.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Between(b, a)
	}
	var sum time.Duration
	last := dayNumber(b.In(c.loc).Date())
	for n := dayNumber(a.In(c.loc).Date()); n <= last; n++ {
		if !c.workday(n) {
			continue
		}
		y, m, dd := civil(n)
		for _, s := range c.hours {
			lo, hi := c.at(y, m, dd, s.Start), c.at(y, m, dd, s.End)
			if lo.Before(a) {
				lo = a
			}
			if hi.After(b) {
				hi = b
			}
			if hi.After(lo) {
				sum += hi.Sub(lo)
			}
		}
	}
	return sum
}

// at is the instant of minute min of a civil day in c's location.
func (c *Calendar) at(y int, m time.Month, d, min int) time.Time {
	return time.Date(y, m, d, min/60, min%60, 0, 0, c.loc)
}

// dayNumber numbers civil days (0 = 1970-01-01) so that days can be stepped
// and used as map keys without building times. UTC midnights are exact
// multiples of a day, so the division is exact, also before 1970.
func dayNumber(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// civil is the inverse of dayNumber.
func civil(n int) (int, time.Month, int) {
	return time.Unix(int64(n)*86400, 0).UTC().Date()
}

// weekday of day number n; 1970-01-01 was a Thursday.
func weekday(n int) time.Weekday {
	return time.Weekday(((n+int(time.Thursday))%7 + 7) % 7)
}
