package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// hotlineCSV has three good orders and two bad ones: GD003's category text
// is not mapped, GD004 lies outside every grid. (The fixture's 120.22,31.52
// is 家乐花园, 120.27,31.55 南苑, 120.35,31.55 金星.)
const hotlineCSV = "工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度\n" +
	"GD001,2026-11-20 09:12:00,违章停车,消防通道被占,清扬路1号,120.22,31.52\n" +
	"GD002,2026-11-20 10:00:00,垃圾未清运,垃圾桶满溢,清扬路2号,120.27,31.55\n" +
	"GD003,2026-11-20 10:05:00,宠物扰民,狗叫,清扬路3号,120.22,31.52\n" +
	"GD004,2026-11-20 10:06:00,违章停车,辖区外,某路,121,31\n" +
	"GD005,2026-11-20 10:07:00,违章停车,金星街道,金星路,120.35,31.55\n"

// upload posts a CSV to the import form (a dry run when dry).
func (c *client) upload(csvText string, dry bool) page {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", c.tokenOf("/hotline"))
	if dry {
		mw.WriteField("dry_run", "true")
	}
	if csvText != "" {
		fw, _ := mw.CreateFormFile("file", "12345-orders.csv")
		fw.Write([]byte(csvText))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+"/hotline", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// tokenOf reads the CSRF token from a page.
func (c *client) tokenOf(path string) string {
	c.e.t.Helper()
	return csrf(c.e.t, c.get(path))
}

// awaitJob follows an upload's redirect and polls the job's status until it ends.
func (c *client) awaitJob(p page) (string, hotlineStatus) {
	c.e.t.Helper()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/hotline/jobs/") {
		c.e.t.Fatalf("upload: %d %s %s", p.status, p.location(), alert(p.body))
	}
	job := p.location()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := c.get(job + "/status.json")
		var st hotlineStatus
		if s.status != http.StatusOK || json.Unmarshal([]byte(s.body), &st) != nil {
			c.e.t.Fatalf("status: %d %s", s.status, s.body)
		}
		if st.State != "running" && st.State != "queued" {
			return job, st
		}
		if time.Now().After(deadline) {
			c.e.t.Fatalf("the import did not finish: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHotlinePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		hotlineCases := func() int {
			cs, err := e.f.App.Cases.List(ctx, e.f.Actors["admin"], casework.Filter{Source: casework.SourceHotline, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}
		disp, admin := e.client(), e.client()
		disp.login("dispatcher")
		admin.login("admin")

		// The command centre's pages only.
		if p := disp.get("/hotline"); p.status != 200 || !strings.Contains(p.body, `id="hotline-form"`) || !strings.Contains(p.body, `<a href="/hotline" aria-current="page">热线导入</a>`) {
			t.Fatalf("dispatcher's import page: %d", p.status)
		}
		for _, u := range []string{"inspector", "san", "leader"} {
			c := e.client()
			c.login(u)
			if p := c.get("/hotline"); p.status != http.StatusForbidden {
				t.Errorf("%s opens the import page: %d", u, p.status)
			}
			if p := c.get("/hotline/mappings"); p.status != http.StatusForbidden {
				t.Errorf("%s opens the mappings: %d", u, p.status)
			}
			if strings.Contains(c.get("/cases").body, `href="/hotline"`) {
				t.Errorf("%s's navigation links the import", u)
			}
		}

		// A dry run: counts and the two bad rows, nothing stored.
		job, st := disp.awaitJob(disp.upload(hotlineCSV, true))
		want := hotlineStatus{State: "done", Done: 5, Total: 5, Percent: 100, Rows: 5, Imported: 3, Failed: 2, DryRun: true}
		if st != want {
			t.Fatalf("dry run status %+v, want %+v", st, want)
		}
		if n := hotlineCases(); n != 0 {
			t.Fatalf("a dry run stored %d cases", n)
		}
		p := disp.get(job)
		if p.status != 200 || !strings.Contains(p.body, `<progress id="hotline-progress" max="100" value="100">`) || strings.Contains(p.body, "data-status=") {
			t.Fatalf("finished job page: %d", p.status)
		}
		wantCells(t, "GD003", rowCells(t, p.body, "data-row", "4"), "4", "GD003", "诉求类别“宠物扰民”未对应到分类编码，请在热线分类对照表中添加")
		if cells := rowCells(t, p.body, "data-row", "5"); cells[1] != "GD004" {
			t.Errorf("GD004's row: %q", cells)
		}
		for id, n := range map[string]string{"count-rows": "5", "count-imported": "3", "count-skipped": "0", "count-failed": "2"} {
			if !strings.Contains(p.body, `id="`+id+`">`+n+`</dd>`) {
				t.Errorf("%s is not %s", id, n)
			}
		}
		if !strings.Contains(p.body, "试运行结果（未导入任何工单）") || !strings.Contains(p.body, "<li>宠物扰民</li>") {
			t.Error("the dry run's report lacks its title or the unmapped text")
		}
		// All the errors as CSV, cells safe for spreadsheets.
		if c := disp.get(job + "/errors.csv"); c.status != 200 || !strings.HasPrefix(c.body, "\xef\xbb\xbfrow,order_no,message,message_zh\n4,GD003,") {
			t.Errorf("errors.csv: %d %.120q", c.status, c.body)
		}
		// Another user's job reads as absent.
		for _, path := range []string{job, job + "/status.json", job + "/errors.csv"} {
			if p := admin.get(path); p.status != http.StatusNotFound {
				t.Errorf("admin reads the dispatcher's %s: %d", path, p.status)
			}
		}

		// The import itself, then the same file again: nothing twice.
		_, st = disp.awaitJob(disp.upload(hotlineCSV, false))
		if st.Imported != 3 || st.Failed != 2 || st.DryRun || hotlineCases() != 3 {
			t.Fatalf("import %+v, %d cases", st, hotlineCases())
		}
		_, st = disp.awaitJob(disp.upload(hotlineCSV, false))
		if st.Imported != 0 || st.Skipped != 3 || hotlineCases() != 3 {
			t.Fatalf("re-import %+v, %d cases", st, hotlineCases())
		}
		// The recent imports are listed on the form's page.
		if p := disp.get("/hotline"); strings.Count(p.body, `<a href="/hotline/jobs/`) != 3 {
			t.Errorf("recent imports: %d", strings.Count(p.body, `<a href="/hotline/jobs/`))
		}

		// No file; a file the import cannot read (a failed job, with the reason).
		if p := disp.upload("", true); p.status != http.StatusBadRequest || alert(p.body) != "请选择要导入的热线工单 CSV 文件" {
			t.Errorf("no file: %d %q", p.status, alert(p.body))
		}
		job, st = disp.awaitJob(disp.upload("编号,内容\n1,2\n", true))
		if st.State != "failed" || !strings.Contains(st.Error, "表头缺少列") {
			t.Errorf("bad header: %+v", st)
		}
		if p := disp.get(job); !strings.Contains(p.body, `<p id="hotline-error">表头缺少列`) {
			t.Error("the failed job's page does not say why")
		}

		// The mapping table: dispatchers read it, admins edit it.
		p = disp.get("/hotline/mappings")
		if p.status != 200 || !strings.Contains(p.body, `id="mapping-readonly"`) || strings.Contains(p.body, `id="mapping-form"`) {
			t.Fatalf("dispatcher's mappings page: %d", p.status)
		}
		wantCells(t, "a default", rowCells(t, p.body, "data-text", "违章停车"), "违章停车", "E0504 机动车乱停放", "默认")
		if p := disp.post("/hotline/mappings", url.Values{"_csrf": {disp.tokenOf("/hotline/mappings")}, "text": {"宠物扰民"}, "category": {"E0601"}}); p.status != http.StatusForbidden {
			t.Errorf("a dispatcher edits the mapping: %d", p.status)
		}
		tok := admin.tokenOf("/hotline/mappings?text=宠物扰民")
		if p := admin.get("/hotline/mappings?text=" + url.QueryEscape("宠物扰民")); !strings.Contains(p.body, `id="map-text" name="text" required maxlength="100" value="宠物扰民"`) {
			t.Error("?text= does not fill the form")
		}
		if p := admin.post("/hotline/mappings", url.Values{"_csrf": {tok}, "text": {"宠物扰民"}, "category": {"X9999"}}); p.status != http.StatusUnprocessableEntity || alert(p.body) != "分类 X9999 不存在" {
			t.Errorf("unknown category: %d %q", p.status, alert(p.body))
		}
		if p := admin.post("/hotline/mappings", url.Values{"_csrf": {tok}, "text": {" "}, "category": {"E0601"}}); p.status != http.StatusBadRequest {
			t.Errorf("empty text: %d", p.status)
		}
		if p := admin.post("/hotline/mappings", url.Values{"_csrf": {tok}, "text": {"宠物扰民"}, "category": {"E0601"}}); p.status != http.StatusSeeOther || p.location() != "/hotline/mappings?done=1" {
			t.Fatalf("save: %d %s", p.status, alert(p.body))
		}
		p = admin.get("/hotline/mappings?done=1")
		if !strings.Contains(p.body, `<p class="flash" role="status">已保存对照</p>`) {
			t.Error("no notice after saving")
		}
		wantCells(t, "the admin's entry", rowCells(t, p.body, "data-text", "宠物扰民"), "宠物扰民", "E0601 其他事件", "自定义")
		// The next import takes GD003.
		_, st = disp.awaitJob(disp.upload(hotlineCSV, false))
		if st.Imported != 1 || st.Skipped != 3 || st.Failed != 1 || hotlineCases() != 4 {
			t.Fatalf("after mapping %+v, %d cases", st, hotlineCases())
		}
	})
}

// TestHotlineProgress: a file of several batches reports its progress to
// the end, and one user runs one import at a time.
func TestHotlineProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var b strings.Builder
		b.WriteString("工单编号,诉求类别,问题描述,经度,纬度\n")
		for i := 1; i <= 2500; i++ {
			cat := "违章停车"
			if i%500 == 0 {
				cat = "未知类别"
			}
			fmt.Fprintf(&b, "P%05d,%s,第%d单,120.22,31.52\n", i, cat, i)
		}
		disp := e.client()
		disp.login("dispatcher")
		_, st := disp.awaitJob(disp.upload(b.String(), true))
		want := hotlineStatus{State: "done", Done: 2500, Total: 2500, Percent: 100, Rows: 2500, Imported: 2495, Failed: 5, DryRun: true}
		if st != want {
			t.Fatalf("status %+v, want %+v", st, want)
		}
		// A running job's percentage is what is done of the orders, rounded down.
		if st := jobStatus(store.HotlineJob{State: store.HotlineRunning, Done: 1000, Total: 3000}, "zh"); st.Percent != 33 || st.State != "running" {
			t.Errorf("a third done: %+v", st)
		}
		if st := jobStatus(store.HotlineJob{State: store.HotlineRunning}, "zh"); st.Percent != 0 {
			t.Errorf("not yet parsed: %+v", st)
		}
		// A running job blocks its user's next one (not another user's).
		j := store.HotlineJob{ID: newID(12), UserID: e.f.Actors["dispatcher"].UserID, File: "held.csv", Instance: "held", Started: e.clock()}
		if err := db.StartHotlineJob(context.Background(), j, hotlineMaxRunning); err != nil {
			t.Fatal(err)
		}
		defer db.FinishHotlineJob(context.Background(), j.ID, j.Instance, store.HotlineJobResult{}, e.clock())
		if p := disp.upload(hotlineCSV, true); p.status != http.StatusConflict || alert(p.body) != "您的上一次导入仍在进行，请等待完成" {
			t.Errorf("second import: %d %q", p.status, alert(p.body))
		}
		admin := e.client()
		admin.login("admin")
		if _, st := admin.awaitJob(admin.upload(hotlineCSV, true)); st.State != "done" {
			t.Errorf("another user's import: %+v", st)
		}
	})
}

// TestHotlineInterruptedByShutdown: a server stopping mid-import (app.Drain
// past its grace period) cancels the import between batches and the job
// reads as failed at once, saying why and that importing again is safe;
// importing the same file again imports the rest and skips what was kept.
func TestHotlineInterruptedByShutdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		const rows = 20000
		var b strings.Builder
		b.WriteString("工单编号,诉求类别,问题描述,经度,纬度\n")
		for i := 1; i <= rows; i++ {
			fmt.Fprintf(&b, "S%05d,违章停车,第%d单,120.22,31.52\n", i, i)
		}
		disp := e.client()
		disp.login("dispatcher")
		p := disp.upload(b.String(), false)
		if p.status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", p.status, alert(p.body))
		}
		job := p.location()
		status := func() hotlineStatus {
			var st hotlineStatus
			s := disp.get(job + "/status.json")
			if err := json.Unmarshal([]byte(s.body), &st); err != nil {
				t.Fatalf("status: %d %s", s.status, s.body)
			}
			return st
		}
		deadline := time.Now().Add(30 * time.Second)
		for st := status(); st.Done == 0; st = status() {
			if st.State != "running" && st.State != "queued" {
				t.Fatalf("ended before the shutdown: %+v", st)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no progress: %+v", st)
			}
			time.Sleep(5 * time.Millisecond)
		}
		ended, cancel := context.WithCancel(context.Background())
		cancel()
		if e.f.App.Drain(ended, 20*time.Second) {
			t.Fatal("the import finished before the shutdown: make the file larger")
		}
		if n := e.f.App.Running(); n != 0 {
			t.Fatalf("%d tasks still running after the grace period", n)
		}
		st := status()
		if st.State != "failed" || !strings.Contains(st.Error, "服务器已停止") || !strings.Contains(st.Error, "重新导入同一文件是安全的") {
			t.Fatalf("interrupted job: %+v", st)
		}
		var kept int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM cases WHERE external_ref LIKE '12345:S%'`).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if kept == 0 || kept >= rows {
			t.Fatalf("%d of %d orders kept after the interruption", kept, rows)
		}
		_, st = disp.awaitJob(disp.upload(b.String(), false))
		if st.State != "done" || st.Imported != rows-kept || st.Skipped != kept {
			t.Errorf("re-import: %+v (kept %d)", st, kept)
		}
	})
}
