package app

import (
	"context"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/hotline"
)

// HotlineMapping is the category mapping in force: the defaults overlaid
// with the admin's own entries.
func (a *App) HotlineMapping(ctx context.Context) (hotline.Mapping, error) {
	m := hotline.DefaultMapping(a.Categories())
	own, err := a.DB.HotlineMappings(ctx)
	if err != nil {
		return nil, err
	}
	for t, c := range own {
		m[t] = c
	}
	return m, nil
}

// PutHotlineMapping maps a hotline category text to a catalogue code (admins only).
func (a *App) PutHotlineMapping(ctx context.Context, actor auth.Actor, text, code string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > 100 {
		return xiuhua.Errorf(xiuhua.EInvalid, "text is required, at most 100 characters", "类别文字必填，不超过100字")
	}
	if _, ok := a.Category(code); !ok {
		return xiuhua.Errorf(xiuhua.EUnprocessable, "unknown category %s", "分类 %s 不存在", code)
	}
	return a.DB.PutHotlineMapping(audit.WithActor(ctx, actor.UserID), text, code)
}

// ImportHotline reads a 12345 CSV export and imports its work orders as the
// actor (see hotline.Import). A file that cannot be read at all is refused
// whole; bad rows are reported one by one. An order without coordinates is
// placed by its address when that names a community (LocateAddress).
func (a *App) ImportHotline(ctx context.Context, actor auth.Actor, r io.Reader, dryRun bool, progress func(done, total int)) (hotline.Report, error) {
	if !actor.Is(auth.Admin, auth.Dispatcher) {
		return hotline.Report{}, xiuhua.Errorf(xiuhua.EForbidden, "only dispatchers and admins import hotline orders", "只有派遣员和管理员可以导入热线工单")
	}
	orders, rowErrs, err := hotline.Parse(r)
	if err != nil {
		return hotline.Report{}, err
	}
	// Orders with an address but no coordinates go to the community the
	// address names (an approximate point, noted on the case).
	orders, rowErrs = hotline.LocateAddresses(orders, rowErrs, func(addr string) (hotline.Placed, error) {
		fix, err := a.LocateAddress(addr)
		return hotline.Placed{Lon: fix.Lon, Lat: fix.Lat, Area: fix.Area.Code, Note: fix.Note}, err
	})
	m, err := a.HotlineMapping(ctx)
	if err != nil {
		return hotline.Report{}, err
	}
	return hotline.Import(ctx, a.Cases, a.DB, actor, orders, rowErrs, m, dryRun, progress)
}
