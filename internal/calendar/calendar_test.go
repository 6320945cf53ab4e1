package calendar

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// cst is China Standard Time as the tests write it, independent of the
// calendar's own location, so that the tests also check the conversion.
var cst = time.FixedZone("CST", 8*60*60)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func checkAdd(t *testing.T, c *Calendar, start string, d time.Duration, want string) {
	t.Helper()
	got := c.Add(at(start), d)
	if !got.Equal(at(want)) {
		t.Errorf("Add(%s, %v) = %s, want %s", start, d, got.In(cst).Format("2006-01-02 15:04 Mon"), want)
	}
	// Every worked example must also hold the other way round.
	if back := c.Between(at(start), got); back != d {
		t.Errorf("Between(%s, %s) = %v, want %v", start, want, back, d)
	}
}

// The 2026 examples below use the embedded schedule (chinese-days 1.5.7):
// Mid-Autumn Fri 09-25..Sun 09-27 off, National Day Thu 10-01..Wed 10-07 off,
// make-up workdays Sun 09-20 and Sat 10-10; Spring Festival Sun 02-15..Mon
// 02-23 off, make-up workdays Sat 02-14 and Sat 02-28. Office hours are the
// default 09:00-12:00 and 13:00-18:00.
func TestAddRealDates(t *testing.T) {
	c := Default()
	cases := []struct {
		name        string
		start       string
		d           time.Duration
		want        string
		explanation string
	}{
		{"national day", "2026-09-30 16:00", 8 * time.Hour, "2026-10-08 16:00",
			"Wed 09-30 16-18 = 2h (6h left); 10-01..07 off; Thu 10-08 09-12 = 3h (3h left), 13-16 = 3h"},
		{"across make-up Saturday 10-10", "2026-10-09 14:00", 16 * time.Hour, "2026-10-12 14:00",
			"Fri 10-09 14-18 = 4h (12h left); Sat 10-10 is a workday: 8h (4h left); Sun off; Mon 10-12 09-12 = 3h, 13-14 = 1h"},
		{"across make-up Sunday 09-20", "2026-09-18 17:00", 2 * time.Hour, "2026-09-20 10:00",
			"Fri 09-18 17-18 = 1h; Sat off; Sun 09-20 is a workday: 09-10 = 1h"},
		{"mid-autumn, ends exactly at noon", "2026-09-24 17:00", 4 * time.Hour, "2026-09-28 12:00",
			"Thu 09-24 17-18 = 1h; Fri 09-25..Sun 09-27 off; Mon 09-28 09-12 = 3h: the morning closes, the deadline is 12:00, not 13:00"},
		{"start in the lunch break", "2026-06-15 12:30", 2 * time.Hour, "2026-06-15 15:00",
			"Mon 12:30 is lunch: count from 13:00; 13-15 = 2h"},
		{"start on Friday evening", "2026-06-12 19:00", 4 * time.Hour, "2026-06-15 14:00",
			"Fri 19:00 is after hours; Sat, Sun off; Mon 06-15 09-12 = 3h, 13-14 = 1h"},
		{"start before opening", "2026-06-15 07:45", 30 * time.Minute, "2026-06-15 09:30",
			"Mon 07:45 counts from 09:00"},
		{"spring festival 2026", "2026-02-12 10:00", 24 * time.Hour, "2026-02-24 10:00",
			"Thu 02-12 10-12 + 13-18 = 7h (17h left); Fri 02-13 8h (9h left); Sat 02-14 make-up 8h (1h left); 02-15..23 off; Tue 02-24 09-10"},
		{"40 working hours across a weekend", "2026-06-03 10:00", 40 * time.Hour, "2026-06-10 10:00",
			"Wed 06-03 7h (33 left); Thu 8 (25); Fri 8 (17); Sat, Sun off; Mon 06-08 8 (9); Tue 06-09 8 (1); Wed 06-10 09-10"},
		{"one full day ends at closing", "2026-06-15 09:00", 8 * time.Hour, "2026-06-15 18:00",
			"Mon 09-12 + 13-18 = 8h exactly: 18:00 the same day, not 09:00 Tuesday"},
		{"minutes and lunch", "2026-06-15 11:59", 2 * time.Minute, "2026-06-15 13:01",
			"1 minute before noon, 1 minute after 13:00"},
		{"new year 2026 with make-up Sunday 01-04", "2025-12-31 17:00", 2 * time.Hour, "2026-01-04 10:00",
			"Wed 12-31 17-18 = 1h; Thu 01-01..Sat 01-03 off; Sun 01-04 is a workday: 09-10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkAdd(t, c, tc.start, tc.d, tc.want) })
	}
}

func TestAddKeepsStartLocation(t *testing.T) {
	c := Default()
	start := at("2026-09-30 16:00").UTC() // 08:00 UTC
	got := c.Add(start, 8*time.Hour)
	if got.Location() != time.UTC {
		t.Errorf("location = %v, want UTC", got.Location())
	}
	if want := time.Date(2026, 10, 8, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("got %v, want %v (10-08 16:00 in China)", got, want)
	}
	if got := c.Add(start, 0); got != start {
		t.Errorf("Add(start, 0) = %v, want start unchanged", got)
	}
}

func TestAddPrecision(t *testing.T) {
	c := Default()
	// 16:00:00.000000001 + 2h - 1ns lands on 18:00 exactly; one more
	// nanosecond rolls over the holiday to 10-08 09:00:00.000000001.
	start := at("2026-09-30 16:00").Add(time.Nanosecond)
	if got, want := c.Add(start, 2*time.Hour-time.Nanosecond), at("2026-09-30 18:00"); !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, want := c.Add(start, 2*time.Hour), at("2026-10-08 09:00").Add(time.Nanosecond); !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestAddNegative(t *testing.T) {
	c := Default()
	cases := []struct{ start, want string }{
		// 8h back from Thu 10-08 16:00: 13-16 = 3h, 09-12 = 3h (2h left); holiday; Wed 09-30 18:00 - 2h.
		{"2026-10-08 16:00", "2026-09-30 16:00"},
		// From the evening, count from the closing: Mon 18:00 - 8h = Mon 09:00, the latest such instant.
		{"2026-06-15 20:00", "2026-06-15 09:00"},
	}
	for _, tc := range cases {
		if got := c.Add(at(tc.start), -8*time.Hour); !got.Equal(at(tc.want)) {
			t.Errorf("Add(%s, -8h) = %v, want %s", tc.start, got.In(cst), tc.want)
		}
	}
	// Going back 3h from Mon 12:00 uses the morning exactly: 09:00 Monday, not 18:00 Friday.
	if got := c.Add(at("2026-06-15 12:00"), -3*time.Hour); !got.Equal(at("2026-06-15 09:00")) {
		t.Errorf("got %v, want 2026-06-15 09:00", got.In(cst))
	}
	// The most negative duration must not overflow: 292 years of working
	// time, about 2,000 hours a year, lies many centuries back.
	if got := c.Add(at("2026-06-15 12:00"), time.Duration(-1<<63)); got.Year() >= 2026 {
		t.Errorf("Add(min duration) = %v", got)
	}
}

func TestBetween(t *testing.T) {
	c := Default()
	cases := []struct {
		a, b string
		want time.Duration
		why  string
	}{
		{"2026-09-30 16:00", "2026-10-08 16:00", 8 * time.Hour, "2h on 09-30, holiday, 6h on 10-08"},
		{"2026-10-08 16:00", "2026-09-30 16:00", -8 * time.Hour, "reversed: negative"},
		{"2026-06-15 12:10", "2026-06-15 12:50", 0, "inside the lunch break"},
		{"2026-06-13 00:00", "2026-06-15 00:00", 0, "a weekend"},
		{"2026-10-01 00:00", "2026-10-08 00:00", 0, "the National Day week"},
		{"2026-06-01 00:00", "2026-06-08 00:00", 40 * time.Hour, "a plain week: 5 x 8h"},
		{"2026-06-15 00:00", "2026-06-22 00:00", 32 * time.Hour, "Mon-Thu 4 x 8h; Fri 06-19 is Dragon Boat"},
		{"2026-06-15 10:00", "2026-06-15 10:00", 0, "empty"},
		{"2026-01-01 00:00", "2027-01-01 00:00", 248 * 8 * time.Hour,
			"2026: 261 weekdays - 19 weekday holidays + 6 make-up weekend days = 248 workdays"},
	}
	for _, tc := range cases {
		if got := c.Between(at(tc.a), at(tc.b)); got != tc.want {
			t.Errorf("Between(%s, %s) = %v, want %v (%s)", tc.a, tc.b, got, tc.want, tc.why)
		}
	}
}

// TestWorkdays2026 counts the 2026 data the way TestBetween's year case
// explains it, so that a change in the data shows up as a clear failure.
func TestWorkdays2026(t *testing.T) {
	c := Default()
	var weekdays, weekdayHolidays, makeUp, workdays int
	for d := at("2026-01-01 12:00"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		wk := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		day, listed := c.Day(d)
		switch {
		case wk:
			weekdays++
			if listed && day.Kind == Holiday {
				weekdayHolidays++
			}
		case listed && day.Kind == Workday:
			makeUp++
		}
		if c.IsWorkday(d) {
			workdays++
		}
	}
	// 2026 starts on a Thursday: 52 weeks + 1 Thursday = 261 weekdays. Weekday
	// holidays: New Year 01-01, 01-02 (2); Spring Festival 02-16..20, 02-23 (6);
	// Qingming 04-06 (1); Labour Day 05-01, 05-04, 05-05 (3); Dragon Boat
	// 06-19 (1); Mid-Autumn 09-25 (1); National Day 10-01, 02, 05, 06, 07 (5):
	// 19. Make-up days: 01-04, 02-14, 02-28, 05-09, 09-20, 10-10 (6).
	if weekdays != 261 || weekdayHolidays != 19 || makeUp != 6 || workdays != 248 {
		t.Errorf("2026: weekdays %d, weekday holidays %d, make-up days %d, workdays %d; want 261, 19, 6, 248",
			weekdays, weekdayHolidays, makeUp, workdays)
	}
}

func TestIsWorkday(t *testing.T) {
	c := Default()
	cases := []struct {
		day  string
		want bool
	}{
		{"2026-09-30", true},  // Wednesday
		{"2026-10-01", false}, // National Day
		{"2026-10-05", false}, // Monday inside the National Day week
		{"2026-10-08", true},  // Thursday after it
		{"2026-10-10", true},  // make-up Saturday
		{"2026-10-11", false}, // Sunday
		{"2026-09-20", true},  // make-up Sunday
		{"2026-02-14", true},  // make-up Saturday before Spring Festival
		{"2026-02-23", false}, // last day of Spring Festival, a Monday
	}
	for _, tc := range cases {
		if got := c.IsWorkday(at(tc.day + " 12:00")); got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.want)
		}
	}
	// The civil day is China's, not the caller's: 2026-10-08 01:00 in China
	// is still 10-07 in UTC, yet it is the workday 10-08.
	if !c.IsWorkday(time.Date(2026, 10, 7, 17, 0, 0, 0, time.UTC)) {
		t.Error("IsWorkday(2026-10-07 17:00 UTC = 10-08 01:00 CST) = false, want true")
	}
	d, ok := c.Day(at("2026-10-10 09:00"))
	if !ok || d.Kind != Workday || d.NameEn != "National Day" || d.NameZh != "国庆节" {
		t.Errorf("Day(2026-10-10) = %+v, %v", d, ok)
	}
}

func TestUncoveredYearFallsBackToMondayFriday(t *testing.T) {
	c := Default()
	if first, last := c.Years(); first != 2004 || last != 2026 {
		t.Errorf("Years() = %d, %d; want 2004, 2026", first, last)
	}
	for _, y := range []int{2004, 2015, 2026} {
		if !c.Covered(y) {
			t.Errorf("Covered(%d) = false", y)
		}
	}
	for _, y := range []int{2003, 2027, 2030} {
		if c.Covered(y) {
			t.Errorf("Covered(%d) = true", y)
		}
	}
	// Tue 2030-10-01 would be National Day, but 2030 is not in the schedule:
	// a plain Tuesday, 8 working hours.
	if !c.IsWorkday(at("2030-10-01 10:00")) {
		t.Error("IsWorkday(2030-10-01) = false, want true (plain Tuesday)")
	}
	if c.IsWorkday(at("2030-01-05 10:00")) {
		t.Error("IsWorkday(Sat 2030-01-05) = true")
	}
	// Fri 2030-01-04 17-18 = 1h; weekend; Mon 2030-01-07 09-10.
	checkAdd(t, c, "2030-01-04 17:00", 2*time.Hour, "2030-01-07 10:00")
	// Across the year end into uncovered 2027: Thu 2026-12-31 17-18 = 1h;
	// Fri 2027-01-01 is (by fallback) a workday: 09-10.
	checkAdd(t, c, "2026-12-31 17:00", 2*time.Hour, "2027-01-01 10:00")
}

func TestWith(t *testing.T) {
	base := Default()
	// A local holiday on Thu 10-08 pushes the National Day example one day.
	c := base.With(Schedule{{Date: "2026-10-08", Kind: Holiday, NameEn: "Local day", NameZh: "地方假日"}})
	checkAdd(t, c, "2026-09-30 16:00", 8*time.Hour, "2026-10-09 16:00")
	// The original is untouched.
	checkAdd(t, base, "2026-09-30 16:00", 8*time.Hour, "2026-10-08 16:00")
	if len(base.Days()) != 769 || len(c.Days()) != 770 {
		t.Errorf("Days: base %d, with %d; want 769, 770", len(base.Days()), len(c.Days()))
	}

	// Overriding a listed holiday with a workday: Wed 10-07 becomes a
	// workday, so the remaining 6h fall on 10-07: 09-12 + 13-16.
	c = base.With(Schedule{{Date: "2026-10-07", Kind: Workday}})
	checkAdd(t, c, "2026-09-30 16:00", 8*time.Hour, "2026-10-07 16:00")
	if d, _ := c.Day(at("2026-10-07 12:00")); d.Kind != Workday || d.NameEn != "" {
		t.Errorf("Day(10-07) = %+v, want the override", d)
	}
	if len(c.Days()) != 769 {
		t.Errorf("Days after replacing one = %d, want 769", len(c.Days()))
	}

	// Importing a new year makes it covered.
	c = base.With(Schedule{{Date: "2027-01-01", Kind: Holiday, NameEn: "New Year's Day", NameZh: "元旦"}})
	if !c.Covered(2027) || c.IsWorkday(at("2027-01-01 10:00")) {
		t.Error("2027 after With: want covered and 01-01 off")
	}
	if _, last := c.Years(); last != 2027 {
		t.Errorf("last year = %d, want 2027", last)
	}

	days := c.Days()
	for i := 1; i < len(days); i++ {
		if days[i-1].Date >= days[i].Date {
			t.Fatalf("Days not sorted at %d: %s, %s", i, days[i-1].Date, days[i].Date)
		}
	}
	days[0].Kind = Workday // Days returns a copy
	if c.Days()[0].Kind != Holiday {
		t.Error("Days() shares its slice with the calendar")
	}
}

func TestWithPanicsOnInvalidDays(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("With(invalid) did not panic")
		}
	}()
	Default().With(Schedule{{Date: "2026-10-08", Kind: "weekend"}})
}

func TestWithHours(t *testing.T) {
	h, err := ParseHours("08:30-12:00, 14:00-17:30")
	if err != nil {
		t.Fatal(err)
	}
	c := Default().WithHours(h)
	if got := c.Hours().String(); got != "08:30-12:00,14:00-17:30" {
		t.Errorf("Hours() = %s", got)
	}
	// 3h30 + 3h30 = 7h a day: Mon 08:00 counts from 08:30, 7h ends at 17:30.
	checkAdd(t, c, "2026-06-15 08:00", 7*time.Hour, "2026-06-15 17:30")
	// Half an hour more rolls to Tue 08:30 + 30m.
	checkAdd(t, c, "2026-06-15 08:00", 7*time.Hour+30*time.Minute, "2026-06-16 09:00")
	// The default calendar keeps its hours.
	if got := Default().Hours().String(); got != "09:00-12:00,13:00-18:00" {
		t.Errorf("default hours changed to %s", got)
	}
}

func TestDeadline(t *testing.T) {
	c := Default()
	start := at("2026-10-03 22:00") // Saturday inside the National Day holiday
	// Clock mode: 2 plain hours, holiday or not.
	if got := c.Deadline(start, 2*time.Hour, true); !got.Equal(at("2026-10-04 00:00")) {
		t.Errorf("clock deadline = %v, want 2026-10-04 00:00", got.In(cst))
	}
	// Working mode: the next opening is Thu 10-08 09:00, + 2h.
	if got := c.Deadline(start, 2*time.Hour, false); !got.Equal(at("2026-10-08 11:00")) {
		t.Errorf("working deadline = %v, want 2026-10-08 11:00", got.In(cst))
	}
}

func TestNewDefaults(t *testing.T) {
	c := New(nil, nil, nil)
	if c.Location().String() != "Asia/Shanghai" || c.Hours().String() != "09:00-12:00,13:00-18:00" {
		t.Errorf("New(nil, nil, nil): %v, %v", c.Location(), c.Hours())
	}
	if first, last := c.Years(); first != 0 || last != 0 || c.Covered(2026) {
		t.Error("empty schedule covers something")
	}
	// No schedule: Thu 2026-10-01 is a plain Thursday.
	checkAdd(t, c, "2026-09-30 16:00", 8*time.Hour, "2026-10-01 16:00")
	if Default().Location().String() != "Asia/Shanghai" {
		t.Errorf("Default location = %v", Default().Location())
	}
}

// TestDaylightSaving uses a zone with DST to check that a short day counts
// its real working time: on 2026-03-08 New York springs forward at 02:00, so
// with office hours 01:00-04:00 the day has 2 working hours, not 3.
func TestDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	h, _ := ParseHours("01:00-04:00")
	c := New(Schedule{{Date: "2026-03-08", Kind: Workday}}, h, ny) // a Sunday, made a workday
	a := time.Date(2026, 3, 8, 0, 0, 0, 0, ny)
	if got := c.Between(a, a.AddDate(0, 0, 1)); got != 2*time.Hour {
		t.Errorf("Between over the DST day = %v, want 2h", got)
	}
	if got, want := c.Add(a, 2*time.Hour), time.Date(2026, 3, 8, 4, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("Add = %v, want %v", got, want)
	}
}

// TestBetweenInvertsAdd checks over many random starts and durations that
// Between(s, Add(s, d)) == d, for any start (one outside office hours counts
// from the next opening, and so does Between); that Add(Add(s, d), -d) == s
// when s lies strictly inside office hours; and that Add is monotonic in d.
func TestBetweenInvertsAdd(t *testing.T) {
	c := Default()
	r := rand.New(rand.NewPCG(2026, 10))
	from := at("2024-06-01 00:00")
	span := int64(at("2026-12-31 00:00").Sub(from))
	for i := range 20000 {
		s := from.Add(time.Duration(r.Int64N(span)))
		if i%2 == 0 {
			s = s.Truncate(time.Minute) // also hit the exact boundaries
		}
		d := time.Duration(r.Int64N(int64(300 * time.Hour)))
		if i%3 == 0 {
			d = d.Truncate(time.Hour)
		}
		if d == 0 {
			continue
		}
		e := c.Add(s, d)
		if got := c.Between(s, e); got != d {
			t.Fatalf("Between(%v, Add(s, %v) = %v) = %v", s.In(cst), d, e.In(cst), got)
		}
		if got := c.Between(c.Add(s, -d), s); got != d {
			t.Fatalf("Between(Add(%v, -%v), s) = %v", s.In(cst), d, got)
		}
		if inside(c, s) {
			if back := c.Add(e, -d); !back.Equal(s) {
				t.Fatalf("Add(Add(%v, %v), -d) = %v", s.In(cst), d, back.In(cst))
			}
		}
		if e2 := c.Add(s, d+time.Minute); e2.Before(e) {
			t.Fatalf("Add not monotonic at %v, %v", s.In(cst), d)
		}
		if e.Before(s) {
			t.Fatalf("Add(%v, %v) = %v is before the start", s.In(cst), d, e.In(cst))
		}
	}
}

// inside reports whether t lies strictly inside one of c's office-hours
// spans on a workday.
func inside(c *Calendar, t time.Time) bool {
	if !c.IsWorkday(t) {
		return false
	}
	l := t.In(c.Location())
	y, m, d := l.Date()
	for _, s := range c.hours {
		if l.After(c.at(y, m, d, s.Start)) && l.Before(c.at(y, m, d, s.End)) {
			return true
		}
	}
	return false
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := Default()
			if i%2 == 0 {
				c = c.With(Schedule{{Date: "2026-10-08", Kind: Holiday}})
			}
			for range 200 {
				c.Add(at("2026-09-30 16:00"), 8*time.Hour)
				c.Between(at("2026-09-30 16:00"), at("2026-10-09 16:00"))
			}
		})
	}
	wg.Wait()
}

func BenchmarkAdd(b *testing.B) {
	c := Default()
	start := at("2026-09-30 16:00")
	for _, d := range []time.Duration{8 * time.Hour, 400 * time.Hour} {
		b.Run(fmt.Sprintf("%dh", d/time.Hour), func(b *testing.B) {
			for b.Loop() {
				c.Add(start, d)
			}
		})
	}
}

func BenchmarkBetween(b *testing.B) {
	c := Default()
	start := at("2026-09-30 16:00")
	for _, d := range []time.Duration{8 * time.Hour, 400 * time.Hour} {
		end := c.Add(start, d)
		b.Run(fmt.Sprintf("%dh", d/time.Hour), func(b *testing.B) {
			for b.Loop() {
				c.Between(start, end)
			}
		})
	}
}
