package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// seedHotline imports a day's 12345 hotline export for 清名桥街道 through
// the same import a dispatcher uses: some orders with coordinates, most
// with only an address, as real exports are. Those are placed by the
// address at their community and marked approximate, so the desk's
// 仅近似位置 filter and the map's dashed rings have something to show.
// It returns how many cases it made.
func seedHotline(ctx context.Context, a *app.App, areas []territory.Area, dispatcher auth.Actor) (int, error) {
	var comms []territory.Area
	for _, ar := range areas {
		if ar.Level == territory.Community && ar.ParentCode == "320213022" {
			comms = append(comms, ar)
		}
	}
	slices.SortFunc(comms, func(x, y territory.Area) int { return strings.Compare(x.Code, y.Code) })
	if len(comms) == 0 {
		return 0, nil
	}
	rng := rand.New(rand.NewPCG(12345, 2026))
	wordings := []struct{ cat, text string }{
		{"违章停车", "小区门口机动车占用消防通道，救护车无法通行"},
		{"垃圾未清运", "垃圾桶满溢两天无人清运，气味很大"},
		{"占道经营", "早点摊占用人行道经营，行人只能走机动车道"},
		{"噪音扰民", "夜间施工噪音扰民"},
		{"人行道破损", "人行道板翘起，老人险些绊倒"},
		{"小广告", "楼道和电线杆上小广告很多"},
	}
	day := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -1)
	var b strings.Builder
	b.WriteString("工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度\n")
	const orders = 12
	for i := range orders {
		c := comms[rng.IntN(len(comms))]
		w := wordings[i%len(wordings)]
		at := time.Date(day.Year(), day.Month(), day.Day(), 8+i, rng.IntN(60), 0, 0, day.Location())
		addr := fmt.Sprintf("梁溪区清名桥街道%s%d号附近", c.Name, 1+rng.IntN(80))
		lon, lat := "", ""
		if i%4 == 0 { // a citizen who shared a location
			if p, ok := territory.RandomPoint(c.Geometry, rng); ok {
				lon, lat = fmt.Sprintf("%.6f", p[0]), fmt.Sprintf("%.6f", p[1])
			}
		}
		fmt.Fprintf(&b, "GD%s%03d,%s,%s,%s,%s,%s,%s\n", day.Format("20060102"), i+1, at.Format("2006-01-02 15:04:05"), w.cat, w.text, addr, lon, lat)
	}
	rep, err := a.ImportHotline(ctx, dispatcher, strings.NewReader(b.String()), false, nil)
	if err != nil {
		return 0, fmt.Errorf("demo hotline import: %w", err)
	}
	return rep.Imported, nil
}
