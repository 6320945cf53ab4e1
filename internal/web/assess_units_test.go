package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAssessUnitsPage: an admin imports management units from a file (a
// bad file names its problem and imports nothing), the list shows them
// with their grids by name, a street dispatcher sees only theirs and no
// import form, and a leader may not import.
func TestAssessUnitsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.client()
		admin.login("admin")
		p := admin.get("/assess/units")
		if p.status != 200 || !strings.Contains(p.body, "您的辖区内尚无管理单元") || !strings.Contains(p.body, `id="import-form"`) {
			t.Fatalf("empty page: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "management units", p.body, true)
		tok := csrf(t, p)
		bad := "code,name,parent,grids\nQMQ-A,清名桥A,320213022,32021302201001;32021302300101\n"
		p = admin.postFile("/assess/units/import", url.Values{"_csrf": {tok}}, "units.csv", []byte(bad))
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "网格 32021302300101 不在 320213022 内") {
			t.Fatalf("bad file: %d %q", p.status, alert(p.body))
		}
		good := "code,name,parent,grids\nQMQ-A,清名桥A单元,320213022,32021302201001;32021302200301\nJX,金星单元,320213023,32021302300101\n"
		p = admin.postFile("/assess/units/import", url.Values{"_csrf": {tok}}, "units.csv", []byte(good))
		if p.status != http.StatusSeeOther {
			t.Fatalf("import: %d %q", p.status, alert(p.body))
		}
		p = admin.get(p.location())
		if !strings.Contains(p.body, "已导入：新增 2 个，更新 0 个") || !strings.Contains(p.body, "共 2 个管理单元") ||
			!strings.Contains(p.body, `data-unit="QMQ-A"`) || !strings.Contains(p.body, "南苑01网格, 家乐花园01网格") {
			t.Fatalf("after the import: %s", p.body[strings.Index(p.body, "<main"):])
		}
		jx := e.client()
		jx.login("dispatcher-jx")
		p = jx.get("/assess/units")
		if p.status != 200 || strings.Contains(p.body, `data-unit="QMQ-A"`) || !strings.Contains(p.body, `data-unit="JX"`) || strings.Contains(p.body, `id="import-form"`) {
			t.Errorf("金星 dispatcher: %d", p.status)
		}
		lead := e.client()
		lead.login("leader")
		if p := lead.postFile("/assess/units/import", url.Values{"_csrf": {lead.token()}}, "units.csv", []byte(good)); p.status != http.StatusForbidden {
			t.Errorf("a leader imported: %d", p.status)
		}
	})
}
