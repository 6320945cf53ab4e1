package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// second is another console instance on e's database: its own app (own
// in-memory state) and server, on e's clock, as behind a balancer that
// sends each request anywhere.
func (e *env) second(name string) *env {
	e.t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), e.f.App.DB, quiet, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	a.Cases.Now = e.clock
	w := New(a, quiet)
	w.Now, w.Instance = e.clock, name
	srv := httptest.NewServer(w)
	e.t.Cleanup(srv.Close)
	return &env{t: e.t, f: e.f, srv: srv, web: w, now: e.now}
}

// on is the same browser (its cookies) talking to the instance of o.
func (c *client) on(o *env) *client { return &client{e: o, hc: c.hc, lang: c.lang} }

// status reads a job's status.json.
func (c *client) status(job string) hotlineStatus {
	c.e.t.Helper()
	p := c.get(job + "/status.json")
	var st hotlineStatus
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &st) != nil {
		c.e.t.Fatalf("status of %s: %d %s", job, p.status, p.body)
	}
	return st
}

// TestHotlineAcrossInstances: two console instances on one database (both
// stores). A job started through one is followed, reported and listed
// through the other; a job whose instance stopped renewing it reads as
// failed, saying a re-import is safe, and stops holding its user; the
// limits count the jobs of both instances.
func TestHotlineAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		one := newEnv(t, db)
		one.web.Instance = "one"
		two := one.second("two")
		disp := one.client()
		disp.login("dispatcher")
		disp2 := disp.on(two)

		// Uploaded to one, followed on two to its end.
		job, st := disp2.awaitJob(disp.upload(hotlineCSV, true))
		want := hotlineStatus{State: "done", Done: 5, Total: 5, Percent: 100, Rows: 5, Imported: 3, Failed: 2, DryRun: true}
		if st != want {
			t.Fatalf("status through two: %+v, want %+v", st, want)
		}
		id := strings.TrimPrefix(job, "/hotline/jobs/")
		var inst string
		if err := db.R.QueryRow(db.Q(`SELECT instance FROM hotline_jobs WHERE id = ?`), id).Scan(&inst); err != nil || inst != "one" {
			t.Fatalf("the job ran on %q (%v), want one", inst, err)
		}
		p := disp2.get(job)
		if p.status != 200 || !strings.Contains(p.body, `id="count-imported">3</dd>`) || !strings.Contains(p.body, "<li>宠物扰民</li>") {
			t.Fatalf("job page through two: %d", p.status)
		}
		wantCells(t, "GD003 through two", rowCells(t, p.body, "data-row", "4"), "4", "GD003", "诉求类别“宠物扰民”未对应到分类编码，请在热线分类对照表中添加")
		if c := disp2.get(job + "/errors.csv"); c.status != 200 || !strings.HasPrefix(c.body, "\xef\xbb\xbfrow,order_no,message,message_zh\n4,GD003,") || strings.Count(c.body, "\n") != 3 {
			t.Errorf("errors.csv through two: %d %q", c.status, c.body)
		}
		if p := disp2.get("/hotline"); !strings.Contains(p.body, `<a href="`+job+`"`) {
			t.Error("two does not list the job of one")
		}
		admin2 := two.client()
		admin2.login("admin")
		if p := admin2.get(job + "/status.json"); p.status != http.StatusNotFound {
			t.Errorf("admin reads the dispatcher's job through two: %d", p.status)
		}

		// A job of an instance that then dies: running while its heartbeat
		// is fresh, and it holds its user on every instance.
		ctx := context.Background()
		held := store.HotlineJob{ID: newID(12), UserID: one.f.Actors["dispatcher"].UserID, File: "big.csv", Instance: "gone", Started: one.clock()}
		if err := db.StartHotlineJob(ctx, held, hotlineMaxRunning); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.HotlineJobProgress(ctx, held.ID, "gone", 1000, 2500, one.clock()); !ok || err != nil {
			t.Fatal(ok, err)
		}
		hj := "/hotline/jobs/" + held.ID
		if st := disp2.status(hj); st.State != "running" || st.Percent != 40 {
			t.Fatalf("the held job through two: %+v", st)
		}
		for _, c := range []*client{disp, disp2} {
			if p := c.upload(hotlineCSV, true); p.status != http.StatusConflict || alert(p.body) != "您的上一次导入仍在进行，请等待完成" {
				t.Errorf("second import through %s: %d %q", c.e.web.Instance, p.status, alert(p.body))
			}
		}
		one.advance(30 * time.Second) // the lease, not past it
		if st := disp.status(hj); st.State != "running" {
			t.Fatalf("30 s after the heartbeat: %+v", st)
		}
		// Past the lease: failed, where it stopped, and why in either language.
		one.advance(time.Millisecond + 1)
		st = disp2.status(hj)
		if st.State != "failed" || st.Percent != 40 || st.Error != "导入已中断：执行导入的服务器实例已停止响应，导入未完成。此前已导入的工单会保留；重新导入同一文件是安全的，已导入的工单会按工单编号跳过" {
			t.Fatalf("past the lease: %+v", st)
		}
		en := two.client()
		en.lang = "en"
		en.hc = disp.hc
		if st := en.status(hj); !strings.Contains(st.Error, "importing the same file again is safe, as orders already imported are skipped by their order number") {
			t.Errorf("in English: %q", st.Error)
		}
		if p := disp.get(hj); !strings.Contains(p.body, `<p id="hotline-error">导入已中断`) || strings.Contains(p.body, "data-status=") {
			t.Error("the dead job's page does not say why, or still polls")
		}
		// It no longer holds its user: the next import runs (on two).
		if _, st := disp2.awaitJob(disp2.upload(hotlineCSV, true)); st.State != "done" {
			t.Errorf("import after the instance died: %+v", st)
		}

		// Four imports running in all, over both instances: a fifth user waits.
		for i, u := range []string{"admin", "dispatcher-jx", "inspector", "san"} {
			j := store.HotlineJob{ID: newID(12), UserID: one.f.Actors[u].UserID, File: u + ".csv", Instance: []string{"one", "two"}[i%2], Started: one.clock()}
			if err := db.StartHotlineJob(ctx, j, hotlineMaxRunning); err != nil {
				t.Fatal(err)
			}
			held = j
		}
		for _, c := range []*client{disp, disp2} {
			if p := c.upload(hotlineCSV, true); p.status != http.StatusTooManyRequests || alert(p.body) != "正在进行的导入过多，请稍后再试" {
				t.Errorf("a fifth import through %s: %d %q", c.e.web.Instance, p.status, alert(p.body))
			}
		}
		if err := db.FinishHotlineJob(ctx, held.ID, held.Instance, store.HotlineJobResult{}, one.clock()); err != nil {
			t.Fatal(err)
		}
		if _, st := disp.awaitJob(disp.upload(hotlineCSV, true)); st.State != "done" {
			t.Errorf("import once a place is free: %+v", st)
		}
	})
}
