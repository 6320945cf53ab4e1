package calendar

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
)

// FuzzParseSchedule: any bytes are either a schedule the calendar accepts or
// a clear invalid-input error; an accepted schedule never breaks Add.
func FuzzParseSchedule(f *testing.F) {
	f.Add([]byte(`{"holidays":{"2027-01-01":"New Year's Day,元旦,1"},"workdays":{"2027-01-04":"New Year's Day,元旦,1"}}`))
	f.Add([]byte(`{"days":[{"date":"2027-10-01","kind":"holiday","name_en":"National Day","name_zh":"国庆节"}]}`))
	f.Add([]byte(`{"days":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		days, err := ParseSchedule(data)
		if err != nil {
			if e := xiuhua.AsError(err); e.Code != xiuhua.EInvalid || e.MessageZh == "" {
				t.Fatalf("unclear refusal: %v", err)
			}
			return
		}
		c := Default().With(days)
		start := time.Date(2027, 1, 1, 10, 0, 0, 0, c.Location())
		if d := c.Add(start, 40*time.Hour); d.Before(start) {
			t.Fatalf("deadline before start: %v", d)
		}
	})
}
