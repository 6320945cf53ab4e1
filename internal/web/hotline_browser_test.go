package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestBrowserHotline drives the hotline import in headless Chromium on both
// stores: a dispatcher uploads a file of 1,205 orders of which two are bad
// (GD003 unmapped, GD004 outside every grid), imports it for real, watches
// the progress bar reach 100 % and reads the counts and the two error rows.
// Then a job held by the test shows the page's script moving the bar as the
// import reports progress, and loading the report when it ends, within the
// console's CSP (no script or style errors).
func TestBrowserHotline(t *testing.T) {
	h := newHeadless(t)
	var b strings.Builder
	b.WriteString(hotlineCSV)
	for i := 1; i <= 1200; i++ {
		fmt.Fprintf(&b, "B%05d,2026-11-21 08:00:00,垃圾未清运,第%d单,清扬路,120.22,31.52\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "12345-工单.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		base, prefix := e.srv.URL, string(db.Dialect)+"-hotline"
		d := h.open(t, base, prefix, "dispatcher", false)
		d.signIn("dispatcher", "zh")
		d.Do(chromedp.Click(chromedp.CSS(`nav.nav a[href="/hotline"]`)))
		d.WaitFor("the import form", `document.getElementById('hotline-form')`)
		if got := d.Eval(`String(document.getElementById('hotline-dry').checked)`); got != "true" {
			t.Errorf("the dry run is not the default: %s", got)
		}
		d.Do(
			chromedp.SetUploadFiles(chromedp.ID("hotline-file"), []string{file}),
			chromedp.Click(chromedp.ID("hotline-dry")),
		)
		d.Shot("01-form")
		d.Do(chromedp.Click(chromedp.ID("hotline-start")))
		d.WaitFor("the job page", `document.getElementById('hotline-job')`)
		d.WaitFor("the report", `document.getElementById('hotline-report')`)
		if got := d.Eval(`document.getElementById('hotline-progress').value + ' ' + document.getElementById('hotline-percent').textContent`); got != "100 100%" {
			t.Errorf("progress at the end: %q", got)
		}
		for id, want := range map[string]string{"count-rows": "1205", "count-imported": "1203", "count-skipped": "0", "count-failed": "2"} {
			if got := d.Eval(`document.getElementById('` + id + `').textContent`); got != want {
				t.Errorf("%s: %q, want %q", id, got, want)
			}
		}
		rows := d.Eval(`Array.from(document.querySelectorAll('#hotline-errors tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent).join('|')).join('\n')`)
		if rows != "4|GD003|诉求类别“宠物扰民”未对应到分类编码，请在热线分类对照表中添加\n5|GD004|该位置（121.000000, 31.000000）不在本辖区任何单元网格内" {
			t.Errorf("error rows:\n%s", rows)
		}
		d.Shot("02-report")
		d.Clean()

		// A job the test holds: the script moves the bar as progress comes in.
		j := store.HotlineJob{ID: newID(12), UserID: e.f.Actors["dispatcher"].UserID, File: "held.csv", Started: e.clock(), Instance: "held"}
		if err := db.StartHotlineJob(context.Background(), j, hotlineMaxRunning); err != nil {
			t.Fatal(err)
		}
		d.goTo("/hotline/jobs/" + j.ID)
		if got := d.Eval(`document.getElementById('hotline-progress').value + ' ' + document.getElementById('hotline-job').dataset.state`); got != "0 running" {
			t.Fatalf("held job at the start: %q", got)
		}
		if ok, err := db.HotlineJobProgress(context.Background(), j.ID, j.Instance, 1000, 2500, e.clock()); !ok || err != nil {
			t.Fatalf("progress: %v %v", ok, err)
		}
		d.WaitFor("the bar at 40 %", `document.getElementById('hotline-progress').value === 40 && document.getElementById('hotline-percent').textContent === '40%'`)
		if got := d.Eval(`document.getElementById('hotline-count').textContent`); got != "已处理 1000 / 2500 张工单" {
			t.Errorf("count while running: %q", got)
		}
		d.Shot("03-progress")
		if err := db.FinishHotlineJob(context.Background(), j.ID, j.Instance, store.HotlineJobResult{Rows: 2500, Imported: 2499, Failed: 1,
			Errors: `[{"row":7,"order_no":"H7","message":"no order number","message_zh":"缺少工单编号"}]`}, e.clock()); err != nil {
			t.Fatal(err)
		}
		d.WaitFor("the report after the reload", `document.getElementById('hotline-report') && document.querySelector('#hotline-errors tr[data-row="7"]')`)
		if got := d.Eval(`document.getElementById('hotline-progress').value + ' ' + document.getElementById('count-imported').textContent`); got != "100 2499" {
			t.Errorf("held job at the end: %q", got)
		}
		d.Clean()
	})
}
