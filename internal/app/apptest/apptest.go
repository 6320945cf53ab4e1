// Package apptest builds a small, hand-checkable installation for tests: one
// district cut into two streets, three communities and four unit grids (all
// rectangles, so a point's grid can be worked out by eye), the units that
// answer for them and one user per role.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Points inside the fixture's grids, as lon/lat.
var (
	PointJiale1  = [2]float64{120.22, 31.52} // grid 32021302201001, 家乐花园社区, 清名桥街道
	PointJiale2  = [2]float64{120.22, 31.58} // grid 32021302201002
	PointNanyuan = [2]float64{120.27, 31.55} // grid 32021302200301, 南苑社区
	PointJinxing = [2]float64{120.35, 31.55} // grid 32021302300101, the other street
	PointOutside = [2]float64{121.00, 31.00} // in no grid
)

// Fixture is an installation with people in it.
type Fixture struct {
	App    *app.App
	Actors map[string]auth.Actor
	Tokens map[string]string
}

func rect(lon0, lat0, lon1, lat1 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0)
}

func feature(code, name, level, parent, geom string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q,"level":%q,"parent_code":%q},"geometry":%s}`, code, name, level, parent, geom)
}

// TerritoryGeoJSON is the fixture's territory file.
func TerritoryGeoJSON() []byte {
	fs := []string{
		feature("320213", "梁溪区", "district", "", rect(120.20, 31.50, 120.40, 31.60)),
		feature("320213022", "清名桥街道", "street", "320213", rect(120.20, 31.50, 120.30, 31.60)),
		feature("320213023", "金星街道", "street", "320213", rect(120.30, 31.50, 120.40, 31.60)),
		feature("320213022010", "家乐花园社区", "community", "320213022", rect(120.20, 31.50, 120.25, 31.60)),
		feature("320213022003", "南苑社区", "community", "320213022", rect(120.25, 31.50, 120.30, 31.60)),
		feature("320213023001", "金星社区", "community", "320213023", rect(120.30, 31.50, 120.40, 31.60)),
		feature("32021302201001", "家乐花园01网格", "grid", "320213022010", rect(120.20, 31.50, 120.25, 31.55)),
		feature("32021302201002", "家乐花园02网格", "grid", "320213022010", rect(120.20, 31.55, 120.25, 31.60)),
		feature("32021302200301", "南苑01网格", "grid", "320213022003", rect(120.25, 31.50, 120.30, 31.60)),
		feature("32021302300101", "金星01网格", "grid", "320213023001", rect(120.30, 31.50, 120.40, 31.60)),
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// Units of the fixture.
var Units = []org.Unit{
	{Code: "320213.sanitation", Name: "梁溪区环卫处", Kind: org.Department, Duty: "sanitation", Scope: "320213", Enabled: true},
	{Code: "320213022010.community", Name: "家乐花园社区居委会", Kind: org.Community, Duty: "community", Scope: "320213022010", Enabled: true},
	{Code: "320213022003.community", Name: "南苑社区居委会", Kind: org.Community, Duty: "community", Scope: "320213022003", Enabled: true},
	{Code: "320213023.street_office", Name: "金星街道办事处", Kind: org.Street, Duty: "street_office", Scope: "320213023", Enabled: true},
	{Code: "320213022.disabled", Name: "已撤销单位", Kind: org.Department, Duty: "sanitation", Scope: "320213022", Enabled: false},
}

// Users of the fixture, by username.
var Users = []auth.User{
	{Username: "admin", Role: auth.Admin},
	{Username: "dispatcher", Role: auth.Dispatcher, Scope: "320213"},
	{Username: "dispatcher-jx", Role: auth.Dispatcher, Scope: "320213023"},
	{Username: "inspector", Role: auth.Inspector, Scope: "320213"},
	{Username: "inspector2", Role: auth.Inspector, Scope: "320213022"},
	{Username: "san", Role: auth.Handler, Unit: "320213.sanitation"},
	{Username: "jiale", Role: auth.Handler, Unit: "320213022010.community"},
	{Username: "nanyuan", Role: auth.Handler, Unit: "320213022003.community"},
	{Username: "leader", Role: auth.Leader, Scope: "320213"},
}

// New builds the fixture on a migrated store.
func New(t testing.TB, db *store.DB) *Fixture {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(ctx, db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.ImportTerritory(ctx, TerritoryGeoJSON()); err != nil {
		t.Fatal(err)
	}
	root := auth.Actor{Role: auth.Admin, Username: "fixture"}
	for _, u := range Units {
		if _, err := a.PutUnit(ctx, root, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &Fixture{App: a, Actors: map[string]auth.Actor{}, Tokens: map[string]string{}}
	for _, u := range Users {
		tok, err := a.AddUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		actor, err := a.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		f.Tokens[u.Username], f.Actors[u.Username] = tok, actor
	}
	return f
}

// PNG is a minimal valid PNG (1×1) for photo uploads.
var PNG = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4,
	0x89, 0, 0, 0, 10, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

// Photo stores a photo (PNG plus a tag, so each call can differ) and returns its id.
func (f *Fixture) Photo(t testing.TB, tag string) string {
	t.Helper()
	body := append(append([]byte{}, PNG...), tag...)
	id, ct, n, err := f.App.Blobs.Put(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.App.DB.PutBlob(context.Background(), store.Blob{ID: id, ContentType: ct, Size: n, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return id
}
