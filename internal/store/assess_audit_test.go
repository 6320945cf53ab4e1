package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

type entry struct {
	kind, subject string
	actor         int64
	payload       map[string]any
}

// entriesAfter returns the log entries after seq, in order, and the last seq.
func entriesAfter(t *testing.T, db *store.DB, seq int64) ([]entry, int64) {
	t.Helper()
	if _, err := db.SealAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := db.R.Query(db.Q(`SELECT seq, kind, subject, actor_id, payload FROM audit_log WHERE seq > ? ORDER BY seq`), seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []entry
	last := seq
	for rows.Next() {
		var e entry
		var p string
		if err := rows.Scan(&last, &e.kind, &e.subject, &e.actor, &p); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(p), &e.payload); err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, last
}

func lastSeq(t *testing.T, db *store.DB) int64 {
	t.Helper()
	var n int64
	if _, err := db.SealAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.R.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func hexSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestAssessWritesAudited: every assessment write appends exactly one entry,
// of its kind, by the right actor, with what the write changed; a write that
// changes nothing appends none; and the log then verifies clean.
func TestAssessWritesAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		admin, insp := f.Actors["admin"].UserID, f.Actors["inspector"].UserID
		ctx := audit.WithActor(context.Background(), admin)
		lon, lat := apptest.PointJiale1[0], apptest.PointJiale1[1]
		c, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0104", Description: "垃圾", Lon: &lon, Lat: &lat,
			Source: casework.SourceAssessment, Urgency: catalog.Normal})
		if err != nil {
			t.Fatal(err)
		}
		seq := lastSeq(t, db)
		// one runs a write and checks it appended exactly one entry, returned.
		// subject is checked after write, so write may set it.
		one := func(what, kind string, subject *string, actor int64, write func() error) map[string]any {
			t.Helper()
			if err := write(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var es []entry
			es, seq = entriesAfter(t, db, seq)
			if len(es) != 1 || es[0].kind != kind || es[0].subject != *subject || es[0].actor != actor {
				t.Fatalf("%s: entries %+v, want one %s of %s by %d", what, es, kind, *subject, actor)
			}
			return es[0].payload
		}
		str := func(s string) *string { return &s }
		none := func(what string, write func() error) {
			t.Helper()
			if err := write(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var es []entry
			if es, seq = entriesAfter(t, db, seq); len(es) != 0 {
				t.Fatalf("%s changed nothing but logged %+v", what, es)
			}
		}

		sc := assess.Scheme{Code: "civic", Name: "文明城市", Level: "community", ListSize: 1}
		p := one("scheme", "assess.scheme.put", str("civic"), admin, func() error { sc, err = db.PutScheme(ctx, sc, admin); return err })
		if p["version"] != 1.0 || p["replaced"] != false || p["id"] != float64(sc.ID) {
			t.Errorf("scheme entry %v", p)
		}
		sc.Name = "文明城市（修订）"
		p = one("scheme again", "assess.scheme.put", str("civic"), admin, func() error { sc, err = db.PutScheme(ctx, sc, admin); return err })
		if p["version"] != 1.0 || p["replaced"] != true || p["name"] != "文明城市（修订）" || p["body"].(map[string]any)["name"] != "文明城市（修订）" {
			t.Errorf("scheme replace entry %v", p)
		}

		pt := func(code string) assess.Point {
			return assess.Point{Code: code, Name: "点位" + code, Type: "main_road", Lon: lon, Lat: lat, Grid: "32021302201001",
				Community: "320213022010", Street: "320213022", District: "320213", Enabled: code != "P3"}
		}
		p = one("point", "assess.point.put", str("P1"), admin, func() error { return db.PutPoint(ctx, pt("P1")) })
		if p["name"] != "点位P1" || p["grid"] != "32021302201001" {
			t.Errorf("point entry %v", p)
		}
		list := []assess.Point{pt("P1"), pt("P2"), pt("P3")}
		raw, _ := json.Marshal(list)
		p = one("point import", "assess.points.import", str("3 points"), admin, func() error { return db.PutPoints(ctx, list) })
		// P1 was there: 2 added, 1 changed; P3 is disabled.
		if p["points"] != 3.0 || p["added"] != 2.0 || p["changed"] != 1.0 || p["enabled"] != 2.0 || p["sha256"] != hexSHA(string(raw)) {
			t.Errorf("import entry %v", p)
		}

		mu := assess.MgmtUnit{Code: "MU-J", Name: "家乐片区", Parent: "320213022", Grids: []string{"32021302201001"}, UpdatedAt: time.Now()}
		p = one("unit", "assess.mgmt_unit.put", str("MU-J"), admin, func() error { return db.PutMgmtUnits(ctx, []assess.MgmtUnit{mu}) })
		if p["name"] != "家乐片区" {
			t.Errorf("unit entry %v", p)
		}
		mus := []assess.MgmtUnit{mu, {Code: "MU-N", Name: "南苑片区", Parent: "320213022", Grids: []string{"32021302200301", "32021302201002"}, UpdatedAt: time.Now()}}
		raw, _ = json.Marshal(mus)
		p = one("unit import", "assess.mgmt_units.import", str("2 units"), admin, func() error { return db.PutMgmtUnits(ctx, mus) })
		if p["units"] != 2.0 || p["grids"] != 3.0 || p["sha256"] != hexSHA(string(raw)) {
			t.Errorf("unit import entry %v", p)
		}

		r := assess.Round{SchemeID: sc.ID, Kind: "monthly", Period: "2026-11", Name: "十一月", Territory: "320213022", Seed: 18446744073709551615,
			Algorithm: "pcg-dxsm-fy-v1", Sizes: map[string]int{"main_road": 2}, CreatedAt: time.Now()}
		drawn := []assess.RoundPoint{{Point: "P2", Unit: "320213022010", Type: "main_road", Source: "sample", Ord: 1},
			{Point: "P1", Unit: "320213022010", Type: "main_road", Source: "sample", Ord: 2}}
		var subject string
		p = one("round", "assess.round.create", &subject, insp, func() error {
			err := db.CreateRound(ctx, &r, drawn, insp)
			subject = fmt.Sprint(r.ID)
			return err
		})
		if p["seed"] != "18446744073709551615" || p["algorithm"] != "pcg-dxsm-fy-v1" || p["period"] != "2026-11" ||
			p["points"] != 2.0 || p["points_sha256"] != hexSHA("P2\nP1\n") || p["scheme_id"] != float64(sc.ID) {
			t.Errorf("round entry %v", p)
		}
		rid := fmt.Sprint(r.ID)
		p = one("visit", "assess.round.visit", &rid, admin, func() error {
			return db.AddRoundPoint(ctx, assess.RoundPoint{Round: r.ID, Point: "P3", Unit: "320213022010", Type: "main_road", Source: "visit"})
		})
		if p["point"] != "P3" || p["source"] != "visit" {
			t.Errorf("visit entry %v", p)
		}
		at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
		p = one("inspected", "assess.round.inspected", &rid, insp, func() error { return db.MarkInspected(ctx, r.ID, "P1", insp, at) })
		if p["point"] != "P1" || p["at"] != float64(at.UnixMilli()) {
			t.Errorf("inspected entry %v", p)
		}
		none("inspected again", func() error { return db.MarkInspected(ctx, r.ID, "P1", insp, at.Add(time.Hour)) })
		p = one("inspected many", "assess.round.inspected_many", &rid, insp, func() error {
			return db.MarkInspectedMany(ctx, r.ID, map[string]time.Time{"P1": at, "P2": at, "P3": at.Add(time.Minute)}, insp)
		})
		ms := at.UnixMilli()
		if p["given"] != 3.0 || p["marked"] != 2.0 || p["sha256"] != hexSHA(fmt.Sprintf("P1\t%d\nP2\t%d\nP3\t%d\n", ms, ms, ms+60000)) {
			t.Errorf("inspected many entry %v", p)
		}

		fd := assess.Finding{Round: r.ID, Point: "P1", Indicator: "road.clean", Category: "E0104", Count: 2, Note: "垃圾", Photos: []string{},
			CreatedBy: insp, CreatedAt: at}
		p = one("finding", "assess.finding", &subject, insp, func() error {
			err := db.AddFinding(ctx, &fd)
			subject = fmt.Sprint(fd.ID)
			return err
		})
		if p["point"] != "P1" || p["indicator"] != "road.clean" || p["count"] != 2.0 || p["round"] != float64(r.ID) {
			t.Errorf("finding entry %v", p)
		}
		p = one("link", "assess.finding.link", &subject, admin, func() error { return db.LinkFinding(ctx, fd.ID, c.ID) })
		if p["case"] != float64(c.ID) {
			t.Errorf("link entry %v", p)
		}
		none("delete a linked finding", func() error { return db.DeleteFinding(ctx, fd.ID) })
		fd2 := fd
		if err := db.AddFinding(ctx, &fd2); err != nil {
			t.Fatal(err)
		}
		_, seq = entriesAfter(t, db, seq)
		subject = fmt.Sprint(fd2.ID)
		one("delete", "assess.finding.delete", &subject, admin, func() error { return db.DeleteFinding(ctx, fd2.ID) })

		body := `{"scores":[{"unit":"320213022010","score":"98.5"}]}`
		pub := assess.Publication{Kind: "scores", Period: "2026-11", Scope: rid, Reason: "", Cutoff: at, Body: []byte(body),
			CreatedBy: admin, CreatedAt: at}
		p = one("publish", "assess.publish", &subject, admin, func() error {
			err := db.Publish(ctx, &pub)
			subject = fmt.Sprint(pub.ID)
			return err
		})
		if p["kind"] != "scores" || p["period"] != "2026-11" || p["version"] != 1.0 || p["body_sha256"] != hexSHA(body) {
			t.Errorf("publish entry %v", p)
		}
		pub2 := pub
		pub2.Reason, pub2.Body = "分数录入有误", []byte(`{"scores":[]}`)
		p = one("correction", "assess.publish", &subject, admin, func() error {
			err := db.Publish(ctx, &pub2)
			subject = fmt.Sprint(pub2.ID)
			return err
		})
		if p["version"] != 2.0 || p["reason"] != "分数录入有误" || p["body_sha256"] != hexSHA(`{"scores":[]}`) {
			t.Errorf("correction entry %v", p)
		}

		rep, err := db.VerifyAudit(ctx)
		if err != nil || len(rep.Problems) != 0 || rep.Publications != 2 {
			t.Fatalf("untouched log: %+v %v", rep, err)
		}
	})
}

// TestAuditCatchesEditedPublication edits published results behind the
// product's back, in each way that matters, on a fresh store each, and
// checks that verification names the publication.
func TestAuditCatchesEditedPublication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fresh := func(t *testing.T) *store.DB {
			if db.Dialect == store.SQLite {
				return storetest.SQLite(t)
			}
			return storetest.Postgres(t)
		}
		for _, tc := range []struct {
			name string
			sql  string
			want string
		}{
			{"untouched", ``, ""},
			{"edit the body", `UPDATE assess_publications SET body = '{"scores":[{"unit":"320213022010","score":"100"}]}' WHERE version = 1`,
				"publication 1 (scores 2026-11 r1 v1): its stored body no longer matches the sha256 in its audit entry"},
			{"edit the reason", `UPDATE assess_publications SET reason = '无' WHERE version = 2`,
				"publication 2 (scores 2026-11 r1 v2) differs from its audit entry"},
			{"delete the entry", `DELETE FROM audit_log WHERE kind = 'assess.publish' AND subject = '1'`,
				"publication 1 (scores 2026-11 r1 v1) has no audit entry"},
			{"insert a publication", `INSERT INTO assess_publications (kind, period, scope, version, reason, cutoff, body, created_at)
				VALUES ('scores', '2026-11', 'r1', 3, '', 0, '{}', 0)`, "(scores 2026-11 r1 v3) has no audit entry"},
			{"delete a publication", `DELETE FROM assess_publications WHERE version = 2`, "publication 2 is in the log but not in the store"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db := fresh(t)
				ctx := context.Background()
				at := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
				for _, p := range []assess.Publication{
					{Kind: "scores", Period: "2026-11", Scope: "r1", Cutoff: at, Body: []byte(`{"scores":[{"unit":"320213022010","score":"98.5"}]}`), CreatedAt: at},
					{Kind: "scores", Period: "2026-11", Scope: "r1", Reason: "更正", Cutoff: at, Body: []byte(`{"scores":[]}`), CreatedAt: at.Add(time.Hour)},
				} {
					if err := db.Publish(ctx, &p); err != nil {
						t.Fatal(err)
					}
				}
				rep, err := db.VerifyAudit(ctx)
				if err != nil || len(rep.Problems) != 0 || rep.Entries != 2 || rep.Publications != 2 {
					t.Fatalf("before tampering: %+v %v", rep, err)
				}
				if tc.sql == "" {
					return
				}
				if _, err := db.W.ExecContext(ctx, tc.sql); err != nil {
					t.Fatal(err)
				}
				rep, err = db.VerifyAudit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, p := range rep.Problems {
					found = found || strings.Contains(p.Reason, tc.want)
				}
				if !found {
					t.Errorf("not caught (want %q): %+v", tc.want, rep.Problems)
				}
			})
		}
	})
}
