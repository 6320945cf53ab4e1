package assess_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/assess/notice"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// octoberRound puts civicScheme and the fixture's points, draws October's
// district round (家乐 6 points, 南苑 6, 金星 2), inspects every point and
// records one finding at a 南苑 compound (E0102 ×2: −3). Scores: 家乐 100,
// 南苑 97, 金星 100 on two points (insufficient); red 家乐, black 南苑.
func octoberRound(t *testing.T, w *world) assess.Round {
	t.Helper()
	ctx := context.Background()
	admin := w.f.Actors["admin"]
	w.now = at("2026-10-01 09:00")
	sc := civicScheme()
	sc.Bonus = nil
	if _, err := w.svc.PutScheme(ctx, admin, sc); err != nil {
		t.Fatal(err)
	}
	for _, p := range fixturePoints {
		lon, lat := p.lon, p.lat
		if _, err := w.svc.PutPoint(ctx, admin, assess.PointInput{Code: p.code, Name: "点位" + p.code, Type: p.typ, Lon: &lon, Lat: &lat}); err != nil {
			t.Fatal(err)
		}
	}
	seed := uint64(11)
	r, pts, err := w.svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "civic", Period: "2026-10", Name: "10月考核", Territory: "320213",
		Sizes: map[string]int{"main_road": 3, "market": 1, "old_compound": 2}, Seed: &seed})
	if err != nil || len(pts) != 14 {
		t.Fatalf("round: %d points, %v", len(pts), err)
	}
	nc := pick(pts, nanyuanC, "old_compound")
	w.finding("2026-10-10 10:00", "inspector", r.ID, nc[0], "compound", "E0102", 2)
	for _, p := range pts {
		if p.Point != nc[0] {
			w.inspected("2026-10-10 11:00", r.ID, p.Point)
		}
	}
	return r
}

func units(sc assess.Scores) []string {
	var out []string
	for _, u := range sc.Units {
		out = append(out, u.Unit)
	}
	return out
}

// TestPublicationVisibility: a district's publication is read whole by
// district-wide actors and by leaders inside it, as an excerpt of their own
// units by a street's dispatcher, and not at all outside the district; the
// notice follows, and an excerpt still recomputes against the whole.
func TestPublicationVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		r := octoberRound(t, w)
		w.now = at("2026-11-03 09:00")
		pub, err := w.svc.Publish(ctx, w.f.Actors["admin"], assess.PublishInput{Kind: "scores", Period: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		mpub, err := w.svc.Publish(ctx, w.f.Actors["admin"], assess.PublishInput{Kind: "metrics", Period: "2026-10", By: "community"})
		if err != nil {
			t.Fatal(err)
		}
		streetLeader := auth.Actor{Username: "sj", Role: auth.Leader, Scope: "320213022"}
		streetDispatcher := auth.Actor{Username: "qmq", Role: auth.Dispatcher, Scope: "320213022"}
		otherDistrict := auth.Actor{Username: "bt", Role: auth.Leader, Scope: "320214"}
		read := func(a auth.Actor) (assess.Publication, assess.Scores, bool) {
			t.Helper()
			ps, err := w.svc.Publications(ctx, a, "scores", "2026-10", pub.Scope)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) == 0 {
				return assess.Publication{}, assess.Scores{}, false
			}
			var b struct{ Result assess.Scores }
			if err := json.Unmarshal(ps[0].Body, &b); err != nil {
				t.Fatal(err)
			}
			return ps[0], b.Result, true
		}
		all := []string{jialeC, nanyuanC, jinxingC}
		for _, c := range []struct {
			name  string
			a     auth.Actor
			view  string
			units []string
			lists []assess.TierList
		}{
			{"district dispatcher", w.f.Actors["dispatcher"], assess.ViewFull, all, []assess.TierList{{Tier: "320213", Red: []string{jialeC}, Black: []string{nanyuanC}}}},
			{"admin", w.f.Actors["admin"], assess.ViewFull, all, nil},
			{"street leader", streetLeader, assess.ViewFull, all, nil},
			{"street dispatcher", streetDispatcher, assess.ViewExcerpt, []string{jialeC, nanyuanC}, []assess.TierList{{Tier: "320213", Red: []string{jialeC}, Black: []string{nanyuanC}}}},
			// 金星 is on neither list (too few points): its excerpt has the tier with empty lists.
			{"金星 dispatcher", w.f.Actors["dispatcher-jx"], assess.ViewExcerpt, []string{jinxingC}, []assess.TierList{{Tier: "320213", Red: []string{}, Black: []string{}}}},
		} {
			p, sc, ok := read(c.a)
			if !ok || p.View != c.view || !reflect.DeepEqual(units(sc), c.units) {
				t.Errorf("%s: visible %v, view %q, units %v", c.name, ok, p.View, units(sc))
				continue
			}
			if c.lists != nil && !reflect.DeepEqual(sc.Lists, c.lists) {
				t.Errorf("%s: lists %+v", c.name, sc.Lists)
			}
			// The territory's totals stay: 2 ranked, both excellent (100, 97).
			if sc.Scored != 2 || sc.ExcellentUnits != 2 || str(sc.ExcellenceRate) != "100.00" || sc.Round != r.ID {
				t.Errorf("%s: totals %+v", c.name, sc)
			}
			if c.view == assess.ViewFull && string(p.Body) != string(pub.Body) {
				t.Errorf("%s: the whole publication differs from the stored one", c.name)
			}
			// An excerpt recomputes: it is checked against the whole.
			same, fresh, err := w.svc.Recompute(ctx, c.a, p)
			if err != nil || !same || string(fresh) != string(p.Body) {
				t.Errorf("%s: recompute %v %v\n%s\n%s", c.name, same, err, fresh, p.Body)
			}
		}
		if _, _, ok := read(otherDistrict); ok {
			t.Error("another district read the publication")
		}
		if _, err := w.svc.Publications(ctx, w.f.Actors["inspector"], "scores", "2026-10", pub.Scope); err == nil {
			t.Error("an inspector read results")
		}

		// Metrics by community: the 金星 dispatcher sees 金星's line only.
		ms, err := w.svc.Publications(ctx, w.f.Actors["dispatcher-jx"], "metrics", "2026-10", mpub.Scope)
		if err != nil || len(ms) != 1 || ms[0].View != assess.ViewExcerpt {
			t.Fatalf("metrics: %+v %v", ms, err)
		}
		var mb struct{ Result assess.MetricsResult }
		json.Unmarshal(ms[0].Body, &mb)
		for _, it := range mb.Result.Items {
			if it.Key != jinxingC {
				t.Errorf("金星 dispatcher sees metrics of %s", it.Key)
			}
		}

		// Metrics by organisation unit: a unit is placed by the territory its code starts with; the 金星
		// dispatcher sees 金星's street office and the district's departments, not a 清名桥 community.
		body := `{"params":{"kind":"metrics","period":"2026-09","by":"unit","territory":"320213"},"result":{"period":"2026-09","by":"unit",` +
			`"territory":"320213","cutoff":"2026-10-01T00:00:00+08:00","weights":{"on_time_handling":4000,"closure":3000,"no_rework":2000,"no_overdue":1000},` +
			`"items":[{"key":"320213.sanitation","due":4},{"key":"320213022010.community","due":2},{"key":"320213023.street_office","due":1}],` +
			`"inspectors":[{"inspector":3,"reports":2}]}}`
		up := assess.Publication{Kind: "metrics", Period: "2026-09", Scope: "metrics:unit:320213", Body: []byte(body), Cutoff: at("2026-10-01 00:00"), CreatedAt: w.now}
		if err := db.Publish(ctx, &up); err != nil {
			t.Fatal(err)
		}
		ms, err = w.svc.Publications(ctx, w.f.Actors["dispatcher-jx"], "metrics", "2026-09", up.Scope)
		if err != nil || len(ms) != 1 {
			t.Fatalf("unit metrics: %+v %v", ms, err)
		}
		mb = struct{ Result assess.MetricsResult }{}
		json.Unmarshal(ms[0].Body, &mb)
		var keys []string
		for _, it := range mb.Result.Items {
			keys = append(keys, it.Key)
		}
		if !reflect.DeepEqual(keys, []string{"320213.sanitation", "320213023.street_office"}) || mb.Result.Inspectors != nil {
			t.Errorf("金星 dispatcher's unit metrics: %v %+v", keys, mb.Result.Inspectors)
		}

		// The notice: the 金星 dispatcher's shows 金星 alone and says it is an excerpt.
		n, err := notice.Load(ctx, w.svc, db, w.f.Actors["dispatcher-jx"], pub.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !n.Excerpt || len(n.Ranked) != 0 || len(n.Insufficient) != 1 || n.Insufficient[0].Unit != jinxingC || n.Scored != 2 {
			t.Errorf("金星 notice: %+v", n)
		}
		n, err = notice.Load(ctx, w.svc, db, streetLeader, pub.ID, nil)
		if err != nil || n.Excerpt || len(n.Ranked) != 2 || len(n.Insufficient) != 1 {
			t.Errorf("street leader's notice: %+v %v", n, err)
		}
		if _, err := notice.Load(ctx, w.svc, db, otherDistrict, pub.ID, nil); err == nil {
			t.Error("another district loaded the notice")
		}
	})
}
