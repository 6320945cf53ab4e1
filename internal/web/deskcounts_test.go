package web

import (
	"net/url"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestDeskEndedCounts: the desk counts open work fresh on every load, and
// ended cases (不予立案, 已结案) through a cache: a case rejected elsewhere
// (the API, another instance) shows in the open tabs at once and in the
// ended tab within endedTTL; one rejected on this console shows at once.
func TestDeskEndedCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c1, _, _, _, _ := deskFixture(e)
		d := e.client()
		d.login("dispatcher")
		tabs := func(want map[string]string) {
			t.Helper()
			p := d.get("/cases")
			for label, n := range want {
				if got := tabCount(t, p, label); got != n {
					t.Errorf("tab %s: %s, want %s", label, got, n)
				}
			}
		}
		tabs(map[string]string{"全部": "5", "待立案": "1", "不予立案": "1"})

		// Rejected through the service, as the API would: open counts move
		// now, the ended count after endedTTL.
		e.act("dispatcher", c1, casework.Reject, casework.Input{Reason: "重复上报"})
		tabs(map[string]string{"待立案": "0", "未结案": "3", "不予立案": "1"})
		e.advance(endedTTL - time.Second)
		tabs(map[string]string{"不予立案": "1"})
		e.advance(2 * time.Second)
		tabs(map[string]string{"不予立案": "2", "全部": "5"})

		// Rejected on this console: shown at once.
		c6 := e.report("inspector", apptest.PointNanyuan, "E0102", "南苑暴露垃圾")
		tabs(map[string]string{"待立案": "1", "全部": "6", "不予立案": "2"})
		form := url.Values{"version": {itoa(int64(c6.Version))}, "reason": {"非本辖区问题"}, "_csrf": {d.token()}}
		if p := d.post("/cases/"+itoa(c6.ID)+"/reject", form); p.status != 303 {
			t.Fatalf("reject: %d %s", p.status, alert(p.body))
		}
		tabs(map[string]string{"待立案": "0", "不予立案": "3", "全部": "6"})
	})
}
