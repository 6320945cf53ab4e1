package open311_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func ids(t *testing.T, r resp) []string {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r)
	}
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	var s []string
	for _, o := range out {
		s = append(s, o["service_request_id"].(string))
	}
	return s
}

// TestKeyScope checks that a key scoped to a street reports and reads there
// only, that anonymous reads can be turned off, and that a revoked key is
// refused from the next request on.
func TestKeyScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		jinxing := e.report("E0102", apptest.PointJinxing, nil) // 金星街道, outside 清名桥
		form := url.Values{"api_key": {e.keys["qmq"]}, "service_code": {"E0104"}, "lat": {"31.52"}, "long": {"120.22"}}
		r := e.post("requests.json", form)
		if r.Status != 200 {
			t.Fatalf("report inside the key's street: %d %s", r.Status, r)
		}
		inside := ids(t, r)[0]
		form.Set("lat", "31.55")
		form.Set("long", "120.35")
		if r := e.post("requests.json", form); r.Status != 403 {
			t.Errorf("report outside the key's street: %d %s", r.Status, r)
		}

		if got := ids(t, e.get("requests.json", url.Values{"api_key": {e.keys["qmq"]}})); len(got) != 1 || got[0] != inside {
			t.Errorf("the street key reads %v, want only %s", got, inside)
		}
		if got := ids(t, e.get("requests.json", url.Values{"api_key": {e.keys["qmq"]}, "service_request_id": {jinxing + "," + inside}})); len(got) != 1 || got[0] != inside {
			t.Errorf("asking by id past the scope: %v", got)
		}
		if r := e.get("requests/"+jinxing+".json", url.Values{"api_key": {e.keys["qmq"]}}); r.Status != 404 {
			t.Errorf("a request outside the scope by id: %d", r.Status)
		}
		if got := ids(t, e.get("requests.json", nil)); len(got) != 2 {
			t.Errorf("anonymous reads %v, want both", got)
		}
		e.act("dispatcher", jinxing, casework.Register, casework.Input{})
		e.act("dispatcher", inside, casework.Register, casework.Input{})
		var ups []map[string]any
		json.Unmarshal(e.get("servicerequestupdates.json", url.Values{"api_key": {e.keys["qmq"]}}).Body, &ups)
		if len(ups) != 1 || ups[0]["service_request_id"] != inside {
			t.Errorf("the street key's updates: %v", ups)
		}

		e.o.Config.AnonymousReads = false
		if r := e.get("requests.json", nil); r.Status != 403 || !strings.Contains(r.String(), "api_key is required") {
			t.Errorf("anonymous read when turned off: %d %s", r.Status, r)
		}
		if r := e.get("requests.json", url.Values{"api_key": {e.keys["city"]}}); r.Status != 200 {
			t.Errorf("keyed read: %d", r.Status)
		}

		if err := open311.RevokeKey(context.Background(), e.f.App.DB, "qmq"); err != nil {
			t.Fatal(err)
		}
		form.Set("lat", "31.52")
		form.Set("long", "120.22")
		if r := e.post("requests.json", form); r.Status != 403 || !strings.Contains(r.String(), "revoked") {
			t.Errorf("a revoked key: %d %s", r.Status, r)
		}
		if err := open311.RevokeKey(context.Background(), e.f.App.DB, "qmq"); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("revoking twice: %v", err)
		}
		// The name is free again once revoked; a live name is not.
		if _, _, err := open311.AddKey(context.Background(), e.f.App, "qmq", "320213022"); err != nil {
			t.Errorf("re-adding a revoked name: %v", err)
		}
		if _, _, err := open311.AddKey(context.Background(), e.f.App, "city", ""); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Errorf("a second live key of one name: %v", err)
		}
		if _, _, err := open311.AddKey(context.Background(), e.f.App, "x", "999"); xiuhua.ErrorCode(err) == "" {
			t.Error("a one-letter name and an unknown scope accepted")
		}
		if _, _, err := open311.AddKey(context.Background(), e.f.App, "elsewhere", "999999"); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Errorf("unknown scope: %v", err)
		}
		ks, err := open311.Keys(context.Background(), e.f.App.DB)
		if err != nil || len(ks) != 4 {
			t.Fatalf("keys: %v %+v", err, ks)
		}
		revoked := 0
		for _, k := range ks {
			if !k.RevokedAt.IsZero() {
				revoked++
			}
		}
		if revoked != 2 {
			t.Errorf("%d revoked keys, want 2 (revoked, qmq)", revoked)
		}
		// Keys are credentials: making and revoking them is in the audit log.
		var adds, revokes int
		if _, err := db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE kind = 'open311.key.add'`).Scan(&adds)
		db.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE kind = 'open311.key.revoke'`).Scan(&revokes)
		if adds != 4 || revokes != 2 {
			t.Errorf("audited %d key adds and %d revocations, want 4 and 2", adds, revokes)
		}
	})
}

// TestContactNeverPublic reports with every contact field and a citizen's
// update, takes the case through steps with internal notes, and reads every
// public answer in both formats: no contact detail, staff name, internal
// note or secret appears, nor in the log.
func TestContactNeverPublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		secrets := []string{"Xiaoming", "Wangwu", "xiaoming.wang@example.com", "13912345678", "device-7f3a", "acct-42",
			"13700000000", "comment.author@example.com", "Lisi",
			"dispatcher", "inspector", "open311:city", "san", "内部备注", "联系人电话", e.keys["city"]}
		id := e.report("C0110", apptest.PointJiale1, url.Values{"first_name": {"Xiaoming"}, "last_name": {"Wangwu"},
			"email": {"xiaoming.wang@example.com"}, "phone": {"13912345678"}, "device_id": {"device-7f3a"}, "account_id": {"acct-42"}})
		e.post("servicerequestupdates.json", url.Values{"api_key": {e.keys["city"]}, "service_request_id": {id}, "status": {"OPEN"},
			"first_name": {"Lisi"}, "email": {"comment.author@example.com"}, "phone": {"13700000000"}, "description": {"路灯还是不亮"}})
		e.act("dispatcher", id, casework.Register, casework.Input{Note: "内部备注：联系人电话已核实"})
		e.act("dispatcher", id, casework.Dispatch, casework.Input{Unit: "320213.sanitation", Note: "内部备注"})
		e.act("san", id, casework.Extend, casework.Input{Reason: "内部备注：等配件", Hours: 8})
		yes := true
		e.act("dispatcher", id, casework.ApproveExtension, casework.Input{Approved: &yes})
		var pages []resp
		for _, f := range []string{".json", ".xml"} {
			for _, q := range []url.Values{nil, {"extensions": {"true"}}, {"locale": {"en"}, "extensions": {"true"}}} {
				pages = append(pages, e.get("requests"+f, q), e.get("requests/"+id+f, q), e.get("servicerequestupdates"+f, q))
			}
		}
		var created []map[string]any
		r := e.post("requests.json", url.Values{"api_key": {e.keys["city"]}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}})
		json.Unmarshal(r.Body, &created)
		pages = append(pages, e.get("tokens/"+created[0]["token"].(string)+".xml", nil))
		for _, p := range pages {
			if p.Status != 200 {
				t.Fatalf("status %d: %s", p.Status, p)
			}
			for _, s := range secrets {
				if strings.Contains(p.String(), s) {
					t.Errorf("%q is public:\n%s", s, p)
				}
			}
		}
		// The step texts are there instead, with the unit's name.
		if !strings.Contains(pages[1].String(), "梁溪区环卫处") || !strings.Contains(pages[4].String(), "延期已批准") {
			t.Errorf("public steps missing:\n%s\n%s", pages[1], pages[4])
		}
		for _, s := range []string{e.keys["city"], "xiaoming.wang@example.com", "13912345678"} {
			if strings.Contains(e.log.String(), s) {
				t.Errorf("%q in the log", s)
			}
		}
	})
}
