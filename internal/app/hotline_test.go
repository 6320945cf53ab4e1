package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The fixture's points: 120.22,31.52 is in 家乐花园; 120.35,31.55 in 金星; 121,31 in no grid.
const hotlineFile = "工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度\n" +
	"GD001,2026-11-20 09:12:00,违章停车,消防通道被占,清扬路1号,120.22,31.52\n" +
	"GD002,2026-11-20 10:00:00,垃圾未清运,垃圾桶满溢,清扬路2号,120.27,31.55\n" +
	"GD003,2026-11-20 10:05:00,宠物扰民,狗叫,清扬路3号,120.22,31.52\n" +
	"GD004,2026-11-20 10:06:00,违章停车,辖区外,某路,121,31\n" +
	"GD005,2026-11-20 10:07:00,违章停车,金星街道,金星路,120.35,31.55\n"

func TestHotlineImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		count := func() int {
			cs, err := f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Source: casework.SourceHotline, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}
		// A dry run says what would happen and stores nothing.
		rep, err := f.App.ImportHotline(ctx, f.Actors["dispatcher"], strings.NewReader(hotlineFile), true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 5 || rep.Imported != 3 || rep.Failed != 2 || count() != 0 {
			t.Fatalf("dry run %+v, %d cases stored", rep, count())
		}
		// GD003's category text is unknown; GD004 lies outside every grid.
		if rep.Errors[0].OrderNo != "GD003" || !strings.Contains(rep.Errors[0].MessageZh, "宠物扰民") || rep.Errors[1].OrderNo != "GD004" {
			t.Errorf("errors %+v", rep.Errors)
		}
		var progress []int
		rep, err = f.App.ImportHotline(ctx, f.Actors["dispatcher"], strings.NewReader(hotlineFile), false, func(done, total int) { progress = append(progress, done, total) })
		if err != nil || rep.Imported != 3 || rep.Failed != 2 || count() != 3 {
			t.Fatalf("import %+v %v, %d cases", rep, err, count())
		}
		if len(progress) != 2 || progress[0] != 5 || progress[1] != 5 { // one batch of the 5 parsed orders
			t.Errorf("progress %v", progress)
		}
		// The same file again: nothing twice.
		rep, err = f.App.ImportHotline(ctx, f.Actors["dispatcher"], strings.NewReader(hotlineFile), false, nil)
		if err != nil || rep.Imported != 0 || rep.Skipped != 3 || count() != 3 {
			t.Fatalf("re-import %+v %v, %d cases", rep, err, count())
		}
		// The admin maps the unknown text; the next import takes GD003 only.
		if err := f.App.PutHotlineMapping(ctx, f.Actors["dispatcher"], "宠物扰民", "E0601"); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Errorf("a dispatcher edits the mapping: %v", err)
		}
		if err := f.App.PutHotlineMapping(ctx, f.Actors["admin"], "宠物扰民", "E0601"); err != nil {
			t.Fatal(err)
		}
		rep, _ = f.App.ImportHotline(ctx, f.Actors["dispatcher"], strings.NewReader(hotlineFile), false, nil)
		if rep.Imported != 1 || rep.Skipped != 3 || count() != 4 {
			t.Fatalf("after mapping %+v, %d cases", rep, count())
		}
		// A street dispatcher imports only inside the street: GD005 (金星) only.
		other := strings.ReplaceAll(hotlineFile, "GD00", "XX00")
		rep, _ = f.App.ImportHotline(ctx, f.Actors["dispatcher-jx"], strings.NewReader(other), false, nil)
		if rep.Imported != 1 || count() != 5 {
			t.Errorf("金星 dispatcher imported %+v", rep)
		}
		cs, _ := f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Source: casework.SourceHotline, Limit: 1})
		if cs[0].ExternalRef != "12345:XX005" || !strings.Contains(cs[0].Description, "12345工单 XX005") {
			t.Errorf("stored %+v", cs[0])
		}
		if _, err := f.App.ImportHotline(ctx, f.Actors["inspector"], strings.NewReader(hotlineFile), false, nil); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Errorf("an inspector imports: %v", err)
		}
	})
}
