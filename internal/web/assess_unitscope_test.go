package web

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAssessExcerptPlacesUnitsByScope: the console cuts a metrics
// publication down to a street's units as the API does, placing an
// organisation unit by its scope, not by how its code happens to start:
// 金星's gas company (code "wx-gas") is 金星's; a unit coded under 清名桥
// but answering for 金星 is not 清名桥's.
func TestAssessExcerptPlacesUnitsByScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		for _, u := range []org.Unit{
			{Code: "wx-gas", Name: "金星燃气", Kind: org.Department, Duty: "sanitation", Scope: "320213023", Enabled: true},
			{Code: "320213022.moved", Name: "划转单位", Kind: org.Department, Duty: "sanitation", Scope: "320213023", Enabled: true},
		} {
			if err := db.PutUnit(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		body := `{"params":{"kind":"metrics","period":"2026-09","by":"unit","territory":"320213"},"result":{"period":"2026-09","by":"unit",` +
			`"territory":"320213","cutoff":"2026-10-01T00:00:00+08:00","weights":{"on_time_handling":4000,"closure":3000,"no_rework":2000,"no_overdue":1000},` +
			`"items":[{"key":"320213022010.community","due":2},{"key":"320213022.moved","due":3},{"key":"wx-gas","due":1}]}}`
		at := time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai)
		p := assess.Publication{Kind: "metrics", Period: "2026-09", Scope: "metrics:unit:320213", Body: []byte(body), Cutoff: at, CreatedAt: at}
		if err := db.Publish(ctx, &p); err != nil {
			t.Fatal(err)
		}
		keys := func(who string) []string {
			ps, err := e.web.assessService().Publications(ctx, e.f.Actors[who], "metrics", "2026-09", p.Scope)
			if err != nil || len(ps) != 1 {
				t.Fatalf("%s: %+v %v", who, ps, err)
			}
			var b struct{ Result assess.MetricsResult }
			if err := json.Unmarshal(ps[0].Body, &b); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range b.Result.Items {
				out = append(out, it.Key)
			}
			return out
		}
		if got := keys("dispatcher-jx"); !reflect.DeepEqual(got, []string{"320213022.moved", "wx-gas"}) {
			t.Errorf("金星 dispatcher sees %v", got)
		}
	})
}
