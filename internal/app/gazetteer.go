package app

import (
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/gazetteer"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// Gazetteer returns the index of area names of the current territory. It is
// built on first use after each territory change (a reload swaps the index,
// and a gazetteer of another index is stale): a few milliseconds for a city.
func (a *App) Gazetteer() *gazetteer.Gazetteer {
	ix := a.index.Load()
	if g := a.gaz.Load(); g != nil && g.Index() == ix {
		return g
	}
	g := gazetteer.New(ix)
	a.gaz.Store(g)
	return g
}

// AddressFix is where an address text places a report.
type AddressFix struct {
	Lon, Lat float64
	// Area is the community (or grid) the address names.
	Area gazetteer.Candidate
	// Note tells the dispatcher, in the case's description, that the
	// position is the area's representative point, not the place itself.
	Note string
}

// LocateAddress places a report that has an address but no coordinates:
// when the address names a community (or a grid) of the territory, without
// ambiguity, the report goes to a point inside it. A street or district
// alone is too coarse to choose a unit grid and is refused, as are addresses
// naming nothing known or several possible areas; the messages say what was
// matched, so that the sender can add coordinates or the community.
func (a *App) LocateAddress(addr string) (AddressFix, error) {
	addr = strings.TrimSpace(addr)
	r := a.Gazetteer().Find(addr)
	shown := addr
	if utf8.RuneCountInString(shown) > 60 {
		shown = string([]rune(shown)[:59]) + "…"
	}
	switch r.Status {
	case gazetteer.NotFound:
		return AddressFix{}, xiuhua.Errorf(xiuhua.EUnprocessable,
			"the address %q names no district, street or community of this territory: give coordinates",
			"地址“%s”中没有本辖区的区、街道或社区名称：请提供经纬度", shown)
	case gazetteer.Ambiguous:
		var paths []string
		for i, c := range r.Candidates {
			if i == 5 {
				paths = append(paths, "…")
				break
			}
			paths = append(paths, c.Path)
		}
		return AddressFix{}, xiuhua.Errorf(xiuhua.EUnprocessable,
			"the address %q is ambiguous: it may mean %s; give coordinates or name the street and community",
			"地址“%s”有歧义：可能是%s；请提供经纬度或写明街道和社区", shown, strings.Join(paths, " / "))
	}
	if r.Level().Rank() < territory.Community.Rank() {
		return AddressFix{}, xiuhua.Errorf(xiuhua.EUnprocessable,
			"the address matched %s only, too coarse to choose a unit grid: give coordinates or the community",
			"地址仅匹配到%s，无法确定单元网格：请提供经纬度或社区名称", r.Area.Path)
	}
	if !r.HasPoint {
		return AddressFix{}, xiuhua.Errorf(xiuhua.EUnprocessable,
			"the address matched %s, which has no outline to place a case in: give coordinates",
			"地址匹配到%s，但该区域没有边界数据，无法定位：请提供经纬度", r.Area.Path)
	}
	return AddressFix{Lon: r.Point[0], Lat: r.Point[1], Area: r.Area,
		Note: "位置按地址定位至" + r.Area.Name + "（近似）"}, nil
}
