package assess

import (
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

func ms(s string) int64 {
	shanghaiLoc := calendar.Shanghai
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghaiLoc())
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func window(t *testing.T, p string) Window {
	per, err := ParsePeriod(p)
	if err != nil {
		t.Fatal(err)
	}
	return NewWindow(per, time.Time{})
}

func TestPercentRounding(t *testing.T) {
	for _, c := range []struct {
		num, den int
		want     string
	}{
		{7, 10, "70.00"}, {1, 9, "11.11"}, {2, 3, "66.67"}, {5, 7, "71.43"}, {1, 8, "12.50"},
		{1, 80000, "0.00"}, {1, 16000, "0.01"}, // 0.00625 % rounds half up to 0.01
		{0, 5, "0.00"}, {5, 5, "100.00"},
	} {
		if got := Percent(c.num, c.den); got == nil || got.String() != c.want {
			t.Errorf("Percent(%d, %d) = %v, want %s", c.num, c.den, got, c.want)
		}
	}
	if Percent(0, 0) != nil {
		t.Error("a rate over no cases must be no data")
	}
}

func TestParsePeriod(t *testing.T) {
	p, err := ParsePeriod("2026-10")
	if err != nil || p.Kind != Month || p.Start.Format(time.RFC3339) != "2026-10-01T00:00:00+08:00" || p.End.Format(time.RFC3339) != "2026-11-01T00:00:00+08:00" {
		t.Fatalf("2026-10: %+v %v", p, err)
	}
	if q, _ := ParsePeriod("2026-Q4"); q.Start != p.Start || q.End.Format("2006-01-02") != "2027-01-01" || q.String() != "2026-Q4" {
		t.Errorf("quarter: %+v", q)
	}
	if p.Prev().String() != "2026-09" || p.Next().String() != "2026-11" {
		t.Errorf("prev/next: %s %s", p.Prev(), p.Next())
	}
	for _, bad := range []string{"", "2026-13", "2026-00", "26-10", "2026-Q5", "2026/10", "2026-1"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDueLateResume: a case suspended before its deadline and resumed after
// it (already late) gets a deadline in the past; it was never counted, so it
// is due in the period it was resumed in, if still open there — and only then.
func TestDueLateResume(t *testing.T) {
	s := Summary{Unit: "u", Versions: []Version{
		{ms("2026-09-28 09:00"), ms("2026-09-28 18:00")}, // dispatched
		{ms("2026-09-28 10:00"), 0},                      // suspended: the clock stops
		{ms("2026-10-12 09:00"), ms("2026-09-28 17:00")}, // resumed late: deadline in September
	}}
	if window(t, "2026-09").Due(&s) {
		t.Error("due in September although suspended at its end")
	}
	if !window(t, "2026-10").Due(&s) {
		t.Error("not due in October, where it was resumed and is still open")
	}
	if window(t, "2026-11").Due(&s) {
		t.Error("due again in November")
	}
	s.Closed = ms("2026-10-20 10:00")
	if window(t, "2026-10").Due(&s) {
		t.Error("closed in October with a September deadline: rule (b) needs it open")
	}
}

func TestEncodeDecode(t *testing.T) {
	s := Summary{Case: 42, Category: "E0104", Source: "inspector", Reporter: 7, Grid: "32021302201001", Community: "320213022010",
		Street: "320213022", District: "320213", Reported: 1, Registered: 2, Unit: "320213.sanitation", Dispatched: 3,
		Versions: []Version{{3, 10}, {4, 0}, {5, 12}}, FirstHandled: 6, Handled: 7, Reworked: true, Closed: 9, Last: 9}
	var got Summary
	ok := NewDecoder().Decode([]byte(s.Encode()), &got)
	if !ok || !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
	empty := Summary{Case: 1}
	if ok := NewDecoder().Decode([]byte(empty.Encode()), &got); !ok || !reflect.DeepEqual(got, empty) {
		t.Fatalf("empty: %+v", got)
	}
	if ok := NewDecoder().Decode([]byte("s1|x"), &got); ok {
		t.Error("garbage decoded")
	}
}

// TestCompositeNoData: with no due case but something to close, only the
// closure term has data and carries the whole weight.
func TestCompositeNoData(t *testing.T) {
	m := Metrics{ToClose: 4, Closed: 3}
	m.finish(DefaultWeights)
	// 3000 · 3/4 = 2250, scaled by 10000/3000 → 7500 hundredths = 75.00.
	if m.Composite == nil || m.Composite.String() != "75.00" || m.OnTimeHandlingRate != nil || m.ReworkRate != nil {
		t.Errorf("%+v", m)
	}
	var none Metrics
	none.finish(DefaultWeights)
	if none.Composite != nil || none.ClosureRate != nil {
		t.Errorf("no cases: %+v", none)
	}
}
