// Package demo seeds a store with the Wuxi demo: the real administrative tree
// with synthetic grids (internal/territory/demodata), the units that answer
// for it, one user per role and a few hundred cases in every state, so that a
// newcomer sees the loop working with one command.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
	"github.com/xiuhua/xiuhua/internal/territory/demodata"
)

// Result says what Seed made.
type Result struct {
	Areas, Units, Cases int
	AdminToken          string
	// Users lists "username (role, scope): token" for the demo accounts.
	Users []string
}

// districtDuties are the departments every district has in the demo.
var districtDuties = []struct{ duty, name string }{
	{"law_enforcement", "城市管理行政执法局"}, {"sanitation", "环境卫生管理处"}, {"housing", "住房和城乡建设局"},
	{"traffic_police", "公安交警大队"}, {"water", "水利局（水务）"}, {"landscaping", "园林绿化管理所"},
	{"civil_affairs", "民政局"}, {"lighting", "路灯管理所"}, {"fire", "消防救援大队"},
	{"water_supply", "供水公司"}, {"gas", "燃气公司"}, {"power", "供电公司"}, {"transit", "公交公司"},
}

// Seed fills an empty store; on a store that already has territory it only
// issues fresh tokens for the demo users, so a named data folder can be reused.
func Seed(ctx context.Context, a *app.App) (Result, error) {
	var res Result
	counts, err := a.DB.CountAreas(ctx)
	if err != nil {
		return res, err
	}
	if counts[territory.Grid] == 0 {
		data, err := demodata.Wuxi()
		if err != nil {
			return res, err
		}
		if _, _, err := a.ImportTerritory(ctx, data); err != nil {
			return res, fmt.Errorf("demo territory: %w", err)
		}
	}
	areas, err := a.DB.Areas(ctx)
	if err != nil {
		return res, err
	}
	res.Areas = len(areas)
	admin := auth.Actor{Role: auth.Admin, Username: "demo-seed"}

	if _, err := a.DB.UserByName(ctx, "admin"); err == nil {
		// Already seeded: hand out fresh tokens.
		for _, u := range demoUsers {
			tok, err := a.IssueToken(ctx, u.Username, "demo")
			if err != nil {
				return res, err
			}
			if u.Role == auth.Admin {
				res.AdminToken = tok
			}
			res.Users = append(res.Users, fmt.Sprintf("%s (%s, %s): %s", u.Username, u.Role, u.Scope, tok))
		}
		units, _ := a.DB.Units(ctx, "")
		res.Units = len(units)
		cs, _ := a.DB.Cases(ctx, casework.Filter{Limit: 1})
		if len(cs) > 0 {
			res.Cases = int(cs[0].ID)
		}
		return res, nil
	}

	// Units: every district's departments, every street office and community committee.
	var units []org.Unit
	for _, ar := range areas {
		switch ar.Level {
		case territory.District:
			for _, d := range districtDuties {
				kind := org.Department
				if d.duty == "water_supply" || d.duty == "gas" || d.duty == "power" || d.duty == "transit" {
					kind = org.Company
				}
				units = append(units, org.Unit{Code: ar.Code + "." + d.duty, Name: ar.Name + d.name, Kind: kind, Duty: d.duty, Scope: ar.Code, Enabled: true})
			}
		case territory.Street:
			units = append(units, org.Unit{Code: ar.Code + ".street_office", Name: ar.Name + "办事处", Kind: org.Street, Duty: "street_office", Scope: ar.Code, Enabled: true})
		case territory.Community:
			units = append(units, org.Unit{Code: ar.Code + ".community", Name: ar.Name + "居委会", Kind: org.Community, Duty: "community", Scope: ar.Code, Enabled: true})
		}
	}
	for _, u := range units {
		if _, err := a.PutUnit(ctx, admin, u); err != nil {
			return res, fmt.Errorf("demo unit %s: %w", u.Code, err)
		}
	}
	res.Units = len(units)

	tokens := map[string]string{}
	ids := map[string]auth.Actor{}
	// One hash for every demo account: they share the published password.
	pwHash := auth.HashPassword(Password)
	for _, u := range demoUsers {
		tok, err := a.AddUser(ctx, u, pwHash)
		if err != nil {
			return res, fmt.Errorf("demo user %s: %w", u.Username, err)
		}
		tokens[u.Username] = tok
		actor, err := a.Authenticate(ctx, tok)
		if err != nil {
			return res, err
		}
		ids[u.Username] = actor
		res.Users = append(res.Users, fmt.Sprintf("%s (%s, %s): %s", u.Username, u.Role, actor.Scope, tok))
	}
	res.AdminToken = tokens["admin"]

	n, err := seedCases(ctx, a, areas, ids)
	res.Cases = n
	if err != nil {
		return res, err
	}
	h, err := seedHotline(ctx, a, areas, ids["dispatcher"])
	res.Cases += h
	if err != nil {
		return res, err
	}
	if err := seedAssessment(ctx, a, areas, ids); err != nil {
		return res, err
	}
	if err := seedPlans(ctx, a, areas, ids); err != nil {
		return res, err
	}
	return res, a.DB.Optimize(ctx)
}

// Password signs every demo account in to the web console. It is
// published (README, the demo's output): the demo is for looking around.
const Password = "xiuhua-demo-2026"

// demoUsers are one account per role, centred on 梁溪区 清名桥街道 (the seeds' street).
var demoUsers = []auth.User{
	{Username: "admin", DisplayName: "系统管理员", Role: auth.Admin},
	{Username: "dispatcher", DisplayName: "梁溪区指挥中心派遣员", Role: auth.Dispatcher, Scope: "320213"},
	{Username: "inspector", DisplayName: "清名桥街道监督员", Role: auth.Inspector, Scope: "320213"},
	{Username: "inspector2", DisplayName: "梁溪区监督员（核查）", Role: auth.Inspector, Scope: "320213"},
	{Username: "sanitation", DisplayName: "梁溪区环卫处处置员", Role: auth.Handler, Unit: "320213.sanitation"},
	{Username: "lawenf", DisplayName: "梁溪区城管执法处置员", Role: auth.Handler, Unit: "320213.law_enforcement"},
	{Username: "qmq", DisplayName: "清名桥街道办处置员", Role: auth.Handler, Unit: "320213022.street_office"},
	{Username: "leader", DisplayName: "梁溪区分管领导", Role: auth.Leader, Scope: "320213"},
}

var roads = []string{"清扬路", "槐古路", "南长街", "解放南路", "金城路", "扬名路", "沁园路", "永丰路", "塘南路", "中山路", "人民路", "学前街", "梁溪路", "广瑞路", "通扬路"}

var phrases = map[string]string{
	"E0102": "人行道边暴露垃圾约1立方米，未及时清运", "E0104": "路面油污、落叶较多，保洁不到位",
	"E0107": "店铺门前乱堆建材杂物，占用人行道", "E0108": "沿街阳台外晾晒衣物", "E0201": "电线杆及墙面张贴非法小广告",
	"E0302": "工地出入口未冲洗车辆，扬尘明显", "E0502": "水果摊占用人行道经营", "E0503": "餐饮店店外摆放桌椅经营",
	"E0504": "机动车占用消防通道停放", "E0505": "非机动车在盲道上乱停放", "C0304": "垃圾箱破损，桶盖缺失",
	"C0212": "人行道板松动破损约3平方米", "C0106": "无主井盖破损下沉，存在安全隐患", "C0402": "行道树枝条折断悬挂",
	"C0110": "路灯夜间不亮", "E0404": "下水道堵塞，污水外溢",
}

// seedCases reports cases in 梁溪区 as the demo users and walks each through the
// loop to a state, on a simulated clock over the past four weeks.
func seedCases(ctx context.Context, a *app.App, areas []territory.Area, users map[string]auth.Actor) (int, error) {
	rng := rand.New(rand.NewPCG(2026, 11))
	var grids []territory.Area
	for _, ar := range areas {
		if ar.Level == territory.Grid && ar.Code[:6] == "320213" {
			grids = append(grids, ar)
		}
	}
	if len(grids) == 0 {
		return 0, nil
	}
	photo, err := demoPhoto(a, users["inspector"].UserID, color.RGBA{0xb0, 0x40, 0x30, 0xff})
	if err != nil {
		return 0, err
	}
	fixed, err := demoPhoto(a, users["sanitation"].UserID, color.RGBA{0x30, 0x90, 0x50, 0xff})
	if err != nil {
		return 0, err
	}
	codes := make([]string, 0, len(phrases))
	for c := range phrases {
		codes = append(codes, c)
	}
	// Map iteration is random; sort for a repeatable demo.
	slices.Sort(codes)

	now := time.Now()
	clock := now.Add(-28 * 24 * time.Hour)
	svc := *a.Cases
	svc.Now = func() time.Time { return clock }
	step := func(h float64) { clock = clock.Add(time.Duration(h * float64(time.Hour))) }

	const total = 320
	created := 0
	for range total {
		g := grids[rng.IntN(len(grids))]
		pt, ok := territory.RandomPoint(g.Geometry, rng)
		if !ok {
			continue
		}
		cat := codes[rng.IntN(len(codes))]
		road := roads[rng.IntN(len(roads))]
		reporter := users["inspector"]
		src := casework.SourceInspector
		if rng.IntN(5) == 0 {
			reporter, src = users["leader"], casework.SourceLeader
		}
		urg := catalog.Normal
		if rng.IntN(6) == 0 {
			urg = catalog.Urgent
		}
		lat, lon := pt[1], pt[0]
		// How far this case gets: spread over every state. Cases still in
		// hand were mostly reported in the last few days, so that only some
		// of them are overdue, as on a real desk.
		target := rng.IntN(100)
		// A case dispatched to a unit without a demo account stays with it,
		// so it counts as in hand too.
		inHand := target < 52
		if loc, ok := a.Locate(lon, lat); ok && target >= 18 {
			probe := casework.Case{District: loc.District.Code, Street: loc.Street.Code, Community: loc.Community.Code}
			inHand = inHand || handlerFor(unitFor(cat, probe)) == ""
		}
		days := 27.0
		if inHand && rng.IntN(4) != 0 {
			days = 1
		}
		clock = now.Add(-time.Duration(rng.Float64()*days*24) * time.Hour)
		c, err := svc.Report(ctx, reporter, casework.ReportInput{Category: cat, Description: road + phrases[cat], Lat: &lat, Lon: &lon,
			Source: src, Urgency: urg, Address: fmt.Sprintf("%s%d号附近", road, 1+rng.IntN(300)), Attachments: []string{photo}})
		if err != nil {
			return created, fmt.Errorf("demo case: %w", err)
		}
		created++
		act := func(actor string, action casework.Action, in casework.Input) bool {
			if err != nil {
				return false
			}
			step(0.2 + rng.Float64()*6)
			if clock.After(now) {
				return false
			}
			in.Version = c.Version
			c, err = svc.Act(ctx, users[actor], c.ID, action, in)
			return err == nil
		}
		if target < 8 {
			continue // reported, waiting for the centre
		}
		if target < 12 {
			act("dispatcher", casework.Reject, casework.Input{Reason: "重复上报 / 不属于城管职责"})
			if err != nil {
				return created, err
			}
			continue
		}
		if !act("dispatcher", casework.Register, casework.Input{}) || target < 18 {
			continue
		}
		unit := unitFor(cat, c)
		if !act("dispatcher", casework.Dispatch, casework.Input{Unit: unit}) || target < 35 {
			continue
		}
		handler := handlerFor(unit)
		if handler == "" {
			continue // dispatched to a unit without a demo account: stays with it
		}
		if target < 38 {
			act(handler, casework.Extend, casework.Input{Reason: "需协调产权单位", Hours: 16})
			continue
		}
		if target < 41 {
			act("dispatcher", casework.Suspend, casework.Input{Reason: "纳入背街小巷整治项目统一处理"})
			continue
		}
		if !act(handler, casework.Handle, casework.Input{Note: "已清理整改", Attachments: []string{fixed}}) || target < 52 {
			continue
		}
		passed := rng.IntN(8) != 0
		if !act("inspector2", casework.Verify, casework.Input{Passed: &passed, Note: "现场核查", Attachments: []string{fixed}}) {
			continue
		}
		if !passed {
			if target < 60 || !act(handler, casework.Handle, casework.Input{Note: "返工后已整改", Attachments: []string{fixed}}) {
				continue
			}
			t := true
			if !act("inspector2", casework.Verify, casework.Input{Passed: &t, Attachments: []string{fixed}}) {
				continue
			}
		}
		if target < 66 {
			continue
		}
		act("dispatcher", casework.Close, casework.Input{Note: "核查通过，予以结案"})
		if err != nil {
			return created, err
		}
	}
	return created, nil
}

// unitFor picks the demo unit for a category: the district department of its
// duty, or the street office / community of the case.
func unitFor(cat string, c casework.Case) string {
	duty := "street_office"
	for _, k := range catalog.Defaults() {
		if k.Code == cat {
			duty = k.Duty
		}
	}
	switch duty {
	case "street_office":
		return c.Street + ".street_office"
	case "community":
		return c.Community + ".community"
	}
	return c.District + "." + duty
}

func handlerFor(unit string) string {
	switch unit {
	case "320213.sanitation":
		return "sanitation"
	case "320213.law_enforcement":
		return "lawenf"
	case "320213022.street_office":
		return "qmq"
	}
	return ""
}

// demoPhoto stores a small generated image to stand for a site photo.
func demoPhoto(a *app.App, by int64, c color.RGBA) (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{c.R - uint8(y), c.G, c.B + uint8(x), 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	id, ct, n, err := a.Blobs.Put(&buf)
	if err != nil {
		return "", err
	}
	return id, a.DB.PutBlob(context.Background(), store.Blob{ID: id, ContentType: ct, Size: n, CreatedBy: by, CreatedAt: time.Now()})
}
