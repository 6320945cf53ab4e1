package app_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// Orders without coordinates, placed by the community their address names.
// The fixture's 家乐花园社区 is 120.20–120.25 × 31.50–31.60, its centroid
// (120.225, 31.55) on the line between its grids 01 and 02, which goes to
// the lower code; 南苑社区 is 120.25–120.30 × 31.50–31.60 with one grid.
const addressFile = "工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度\n" +
	"GA001,2026-11-20 09:12:00,违章停车,消防通道被占,梁溪区清名桥街道家乐花园社区南长街123号,,\n" +
	"GA002,2026-11-20 09:13:00,违章停车,路口占道,清名桥街道与某路交叉口,,\n" +
	"GA003,2026-11-20 09:14:00,违章停车,不知何处,火星基地一号门,,\n" +
	"GA004,2026-11-20 09:15:00,垃圾未清运,垃圾满溢,南苑小区5栋,,\n" +
	"GA005,2026-11-20 09:16:00,违章停车,有坐标,随便写的地址,120.35,31.55\n"

func near(x, want float64) bool { return math.Abs(x-want) < 1e-9 }

func TestHotlineImportByAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		rep, err := f.App.ImportHotline(ctx, f.Actors["dispatcher"], strings.NewReader(addressFile), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 5 || rep.Imported != 3 || rep.Failed != 2 {
			t.Fatalf("import %+v", rep)
		}
		// GA002 names a street only; GA003 nothing of the territory.
		e := rep.Errors
		if e[0].OrderNo != "GA002" || e[0].Row != 3 || !strings.Contains(e[0].Message, "matched 梁溪区清名桥街道 only") ||
			!strings.Contains(e[0].MessageZh, "仅匹配到梁溪区清名桥街道") || !strings.Contains(e[0].MessageZh, "社区名称") {
			t.Errorf("street only: %+v", e[0])
		}
		if e[1].OrderNo != "GA003" || e[1].Row != 4 || !strings.Contains(e[1].Message, "names no district, street or community") ||
			!strings.Contains(e[1].MessageZh, "火星基地一号门") {
			t.Errorf("nothing named: %+v", e[1])
		}
		cs, err := f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Source: casework.SourceHotline, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]casework.Case{}
		for _, c := range cs {
			by[c.ExternalRef] = c
		}
		c, ok := by["12345:GA001"]
		if !ok || !near(c.Lon, 120.225) || !near(c.Lat, 31.55) || c.Community != "320213022010" || c.Grid != "32021302201001" ||
			c.Address != "梁溪区清名桥街道家乐花园社区南长街123号" || !strings.HasSuffix(c.Description, "\n位置按地址定位至家乐花园社区（近似）") {
			t.Errorf("GA001 stored as %+v", c)
		}
		// A short form: 南苑 for 南苑社区.
		c, ok = by["12345:GA004"]
		if !ok || !near(c.Lon, 120.275) || !near(c.Lat, 31.55) || c.Grid != "32021302200301" || !strings.Contains(c.Description, "位置按地址定位至南苑社区（近似）") {
			t.Errorf("GA004 stored as %+v", c)
		}
		// Coordinates win over the address, and then nothing is noted.
		c, ok = by["12345:GA005"]
		if !ok || c.Grid != "32021302300101" || strings.Contains(c.Description, "近似") {
			t.Errorf("GA005 stored as %+v", c)
		}
		// A street dispatcher of 金星 cannot import an order the address puts in 家乐花园.
		other := strings.ReplaceAll(addressFile, "GA00", "GB00")
		rep, _ = f.App.ImportHotline(ctx, f.Actors["dispatcher-jx"], strings.NewReader(other), true, nil)
		if rep.Imported != 1 || rep.Failed != 4 {
			t.Errorf("金星 dispatcher dry run %+v", rep)
		}
	})
}

func TestLocateAddressFollowsTerritory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		g := f.App.Gazetteer()
		if f.App.Gazetteer() != g {
			t.Error("the gazetteer is rebuilt without a territory change")
		}
		if _, err := f.App.LocateAddress("金星社区"); err != nil {
			t.Fatal(err)
		}
		// A new community in 金星街道 appears after an import.
		geo := `{"type":"FeatureCollection","features":[` +
			`{"type":"Feature","properties":{"code":"320213023002","name":"银河社区","level":"community","parent_code":"320213023"},"geometry":{"type":"Polygon","coordinates":[[[120.40,31.50],[120.45,31.50],[120.45,31.60],[120.40,31.60],[120.40,31.50]]]}},` +
			`{"type":"Feature","properties":{"code":"32021302300201","name":"银河01网格","level":"grid","parent_code":"320213023002"},"geometry":{"type":"Polygon","coordinates":[[[120.40,31.50],[120.45,31.50],[120.45,31.60],[120.40,31.60],[120.40,31.50]]]}}]}`
		if _, err := f.App.LocateAddress("银河社区"); err == nil {
			t.Fatal("an unknown community located")
		}
		if _, _, err := f.App.ImportTerritory(context.Background(), []byte(geo)); err != nil {
			t.Fatal(err)
		}
		fix, err := f.App.LocateAddress("银河社区东门")
		if err != nil || fix.Area.Code != "320213023002" || !near(fix.Lon, 120.425) || !near(fix.Lat, 31.55) {
			t.Errorf("after the import: %+v %v", fix, err)
		}
		if f.App.Gazetteer() == g {
			t.Error("the gazetteer outlived its territory")
		}
	})
}
