package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// Map limits: one response carries at most this many outlines or cases; the
// map asks again for what is in view as people pan and zoom.
const (
	maxMapAreas = 3000
	maxMapCases = 2000
)

type mapView struct {
	Tiles, Attribution string
	Lat, Lon           string
	Zoom               int
	// Bounds is the scope's extent, "south,west,north,east" ("" if unknown).
	Bounds string
	States []casework.State
}

// tileOrigin is what the CSP must allow for a tile URL template: its scheme
// and host, a first label with "{s}" in it (t{s}.tianditu.gov.cn) as the
// wildcard "*." ("" when there is no usable template).
func tileOrigin(tmpl string) string {
	if tmpl == "" {
		return ""
	}
	u, err := url.Parse(strings.ReplaceAll(tmpl, "{s}", "sub"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := u.Host
	if first, rest, ok := strings.Cut(host, "."); ok && strings.Contains(tmpl, "{s}") && strings.Contains(first, "sub") {
		host = "*." + rest
	}
	return u.Scheme + "://" + host
}

// scopeBound is the extent of the actor's territory: its area's outline, or
// its children's when it has none (the tree above grids may lack outlines).
func scopeBound(ix *territory.Index, scope string) (orb.Bound, bool) {
	if a, ok := ix.Area(scope); ok && a.Geometry != nil {
		return a.Geometry.Bound(), true
	}
	var b orb.Bound
	found := false
	for _, c := range ix.Children(scope) {
		if cb, ok := scopeBound(ix, c.Code); ok {
			if found {
				b = b.Union(cb)
			} else {
				b, found = cb, true
			}
		}
	}
	return b, found
}

func (s *Server) mapPage(w http.ResponseWriter, r *http.Request, q *request) error {
	v := mapView{Tiles: s.TileURL, Attribution: s.TileAttribution, Lat: "31.57", Lon: "120.30", Zoom: 11, States: openStates}
	if b, ok := scopeBound(s.App.Territory(), q.actor.Scope); ok {
		c := b.Center()
		v.Lat, v.Lon = strconv.FormatFloat(c[1], 'f', 5, 64), strconv.FormatFloat(c[0], 'f', 5, 64)
		f := func(x float64) string { return strconv.FormatFloat(x, 'f', 5, 64) }
		v.Bounds = f(b.Min[1]) + "," + f(b.Min[0]) + "," + f(b.Max[1]) + "," + f(b.Max[0])
		// Roughly: a district fills the screen at 12, a street at 14.
		switch span := max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]); {
		case span > 1:
			v.Zoom = 9
		case span > 0.3:
			v.Zoom = 11
		case span > 0.08:
			v.Zoom = 12
		case span > 0.02:
			v.Zoom = 14
		default:
			v.Zoom = 15
		}
	}
	q.styles = []string{"vendor/leaflet/leaflet.css", "vendor/markercluster/MarkerCluster.css", "vendor/markercluster/MarkerCluster.Default.css"}
	q.scripts = []string{"vendor/leaflet/leaflet.js", "vendor/markercluster/leaflet.markercluster.js", "map.js"}
	s.render(w, r, q, http.StatusOK, "map", "", v)
	return nil
}

// parseBBox reads "minLon,minLat,maxLon,maxLat" (Leaflet's toBBoxString).
func parseBBox(v string) (orb.Bound, error) {
	bad := xiuhua.Errorf(xiuhua.EInvalid, "bbox must be minLon,minLat,maxLon,maxLat", "bbox 须为 最小经度,最小纬度,最大经度,最大纬度")
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return orb.Bound{}, bad
	}
	var f [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || x != x || x < -360 || x > 360 {
			return orb.Bound{}, bad
		}
		f[i] = x
	}
	if f[0] > f[2] || f[1] > f[3] {
		return orb.Bound{}, bad
	}
	return orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}, nil
}

func writeGeoJSON(w http.ResponseWriter, fc *geojson.FeatureCollection) error {
	b, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	_, err = w.Write(b)
	return err
}

// mapAreas answers the outlines of one level of the actor's territory that
// lie in view: districts, streets, communities or grids, as the map's zoom asks.
func (s *Server) mapAreas(w http.ResponseWriter, r *http.Request, q *request) error {
	qs := r.URL.Query()
	level := territory.Level(qs.Get("level"))
	if !level.Valid() {
		return xiuhua.Errorf(xiuhua.EInvalid, "level must be district, street, community or grid", "level 须为 district、street、community 或 grid")
	}
	box, err := parseBBox(qs.Get("bbox"))
	if err != nil {
		return err
	}
	ix := s.App.Territory()
	fc := geojson.NewFeatureCollection()
	var walk func(code string)
	walk = func(code string) {
		for _, a := range ix.Children(code) {
			if len(fc.Features) >= maxMapAreas {
				return
			}
			if a.Geometry != nil && !a.Geometry.Bound().Intersects(box) {
				continue // nothing of it, nor of its children, is in view
			}
			if a.Level == level {
				if a.Geometry != nil {
					f := geojson.NewFeature(a.Geometry)
					f.Properties = geojson.Properties{"code": a.Code, "name": a.Name, "level": string(a.Level)}
					fc.Append(f)
				}
				continue
			}
			walk(a.Code)
		}
	}
	if a, ok := ix.Area(q.actor.Scope); ok && a.Level == level {
		if a.Geometry != nil {
			f := geojson.NewFeature(a.Geometry)
			f.Properties = geojson.Properties{"code": a.Code, "name": a.Name, "level": string(a.Level)}
			fc.Append(f)
		}
	} else {
		walk(q.actor.Scope)
	}
	return writeGeoJSON(w, fc)
}

// mapCases answers the open cases in view, in the actor's scope, newest
// first, as points with what a marker needs.
func (s *Server) mapCases(w http.ResponseWriter, r *http.Request, q *request) error {
	box, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil {
		return err
	}
	scope, err := q.actor.Narrow("")
	if err != nil {
		return err
	}
	now := s.Now()
	cs, err := s.App.DB.DeskCases(r.Context(), store.DeskFilter{Territory: scope, States: openStates, Now: now, Limit: maxMapCases,
		Box: &[4]float64{box.Min[0], box.Min[1], box.Max[0], box.Max[1]}})
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, c := range cs {
		f := geojson.NewFeature(orb.Point{c.Lon, c.Lat})
		name := c.Category
		if cat, ok := s.App.Category(c.Category); ok {
			name = cat.NameZh
			if q.lang == "en" {
				name = cat.NameEn
			}
		}
		f.Properties = geojson.Properties{"id": c.ID, "code": c.Code(), "state": string(c.State),
			"state_name": translate(q.lang, "state."+string(c.State)), "overdue": c.Overdue(now), "category": name,
			"description": c.Description, "approx": c.ApproxArea != ""}
		fc.Append(f)
	}
	return writeGeoJSON(w, fc)
}
