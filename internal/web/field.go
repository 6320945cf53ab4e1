package web

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
)

// catOption is a category in the inspector's picker; Search is what the
// picker's filter matches: code, names and pinyin initials, lower-cased.
type catOption struct {
	Code, Name, Search string
	Kind               catalog.Kind
}

type reportForm struct {
	Category, Description, Address, Lat, Lon, Urgency, Source string
}

type reportView struct {
	// Bounds is the actor's territory, "south,west,north,east", for the map
	// the location can be tapped on.
	Bounds     string
	Categories []catOption
	Form       reportForm
	Sources    []casework.Source
	ShowSource bool
	MaxPhotos  int
}

func (s *Server) reportView(lang string, a auth.Actor, f reportForm) reportView {
	v := reportView{Form: f, MaxPhotos: maxPhotos, Sources: casework.Sources, ShowSource: a.Is(auth.Dispatcher, auth.Admin)}
	if b, ok := scopeBound(s.App.Territory(), a.Scope); ok {
		ff := func(x float64) string { return strconv.FormatFloat(x, 'f', 5, 64) }
		v.Bounds = ff(b.Min[1]) + "," + ff(b.Min[0]) + "," + ff(b.Max[1]) + "," + ff(b.Max[0])
	}
	for _, c := range s.App.Categories() {
		if !c.Enabled {
			continue
		}
		name := c.NameZh
		if lang == "en" {
			name = c.NameEn
		}
		search := strings.ToLower(strings.Join([]string{c.Code, c.NameZh, c.NameEn, Initials(c.Code)}, " "))
		v.Categories = append(v.Categories, catOption{Code: c.Code, Name: name, Search: search, Kind: c.Kind})
	}
	return v
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if q.actor.Role == auth.Handler {
		return xiuhua.Errorf(xiuhua.EForbidden, "handlers do not report cases", "处置人员不能上报案件")
	}
	qs := r.URL.Query()
	f := reportForm{Urgency: string(catalog.Normal), Lat: qs.Get("lat"), Lon: qs.Get("lon"), Category: qs.Get("category")}
	q.styles, q.scripts = reportAssets()
	s.render(w, r, q, http.StatusOK, "report", "", s.reportView(q.lang, q.actor, f))
	return nil
}

// reportAssets are the report form's map: Leaflet and the picker.
func reportAssets() ([]string, []string) {
	return []string{"vendor/leaflet/leaflet.css"}, []string{"vendor/leaflet/leaflet.js", "pick.js"}
}

// parseCoord reads an optional coordinate field ("" is absent).
func parseCoord(v string) (*float64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "latitude and longitude must be numbers in degrees", "经纬度须为以度为单位的数字")
	}
	return &f, nil
}

// report puts a new case in the ledger from the report form: the photos
// first, then the case service.
func (s *Server) report(w http.ResponseWriter, r *http.Request, q *request) error {
	f := reportForm{Category: r.PostFormValue("category"), Description: r.PostFormValue("description"), Address: r.PostFormValue("address"),
		Lat: r.PostFormValue("lat"), Lon: r.PostFormValue("lon"), Urgency: r.PostFormValue("urgency"), Source: r.PostFormValue("source")}
	q.here = "/report"
	c, err := func() (casework.Case, error) {
		in := casework.ReportInput{Category: f.Category, Description: f.Description, Address: f.Address,
			Urgency: catalog.Urgency(f.Urgency), Source: casework.Source(f.Source)}
		var err error
		if in.Lat, err = parseCoord(f.Lat); err != nil {
			return casework.Case{}, err
		}
		if in.Lon, err = parseCoord(f.Lon); err != nil {
			return casework.Case{}, err
		}
		if r.MultipartForm != nil {
			if in.Attachments, err = s.storePhotos(r.Context(), q, r.MultipartForm.File["photos"]); err != nil {
				return casework.Case{}, err
			}
		}
		return s.App.Cases.Report(r.Context(), q.actor, in)
	}()
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		q.flashErr = xiuhua.AsError(err)
		q.styles, q.scripts = reportAssets()
		s.render(w, r, q, status(err), "report", "", s.reportView(q.lang, q.actor, f))
		return nil
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10)+"?done=report", http.StatusSeeOther)
	return nil
}

type listView struct {
	Rows     []caseRow
	Total    int
	Page     int
	PrevHref string
	NextHref string
	Lat, Lon string
	Located  bool
}

// mine lists the cases the actor reported, newest first.
func (s *Server) mine(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	const size = 20
	scope, err := q.actor.Narrow("")
	if err != nil {
		return err
	}
	df := store.DeskFilter{Territory: scope, Reporter: q.actor.UserID, Now: s.Now(), Sort: "-id", Offset: (page - 1) * size, Limit: size}
	cs, err := s.App.DB.DeskCases(ctx, df)
	if err != nil {
		return err
	}
	total, err := s.App.DB.DeskCount(ctx, df)
	if err != nil {
		return err
	}
	units, err := s.unitNames(ctx, q.actor)
	if err != nil {
		return err
	}
	v := listView{Total: total, Page: page}
	now := s.Now()
	for _, c := range cs {
		v.Rows = append(v.Rows, s.row(c, now, q.lang, units))
	}
	if page > 1 {
		v.PrevHref = "/mine?page=" + strconv.Itoa(page-1)
	}
	if page*size < total {
		v.NextHref = "/mine?page=" + strconv.Itoa(page+1)
	}
	s.render(w, r, q, http.StatusOK, "mine", "", v)
	return nil
}

// nearby lists the handled cases waiting for verification in the actor's
// scope: nearest first when a location is given, else longest waiting first.
func (s *Server) nearby(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	qs := r.URL.Query()
	v := listView{Lat: qs.Get("lat"), Lon: qs.Get("lon")}
	lat, err1 := parseCoord(v.Lat)
	lon, err2 := parseCoord(v.Lon)
	if err := firstErr(err1, err2); err != nil {
		q.flashErr = xiuhua.AsError(err)
		s.render(w, r, q, http.StatusBadRequest, "nearby", "", v)
		return nil
	}
	scope, err := q.actor.Narrow("")
	if err != nil {
		return err
	}
	var cs []casework.Case
	if lat != nil && lon != nil {
		v.Located = true
		cs, err = s.App.DB.NearbyCases(ctx, scope, casework.Handled, *lon, *lat, 50)
	} else {
		cs, err = s.App.DB.DeskCases(ctx, store.DeskFilter{Territory: scope, States: []casework.State{casework.Handled}, Sort: "updated", Limit: 50})
	}
	if err != nil {
		return err
	}
	units, err := s.unitNames(ctx, q.actor)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, c := range cs {
		row := s.row(c, now, q.lang, units)
		if v.Located {
			row.Distance = fmtDistance(haversine(*lat, *lon, c.Lat, c.Lon))
		}
		v.Rows = append(v.Rows, row)
	}
	v.Total = len(v.Rows)
	s.render(w, r, q, http.StatusOK, "nearby", "", v)
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// haversine is the great-circle distance in metres.
func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371000
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func fmtDistance(m float64) string {
	if m < 1000 {
		return strconv.Itoa(int(math.Round(m))) + " m"
	}
	return strconv.FormatFloat(m/1000, 'f', 1, 64) + " km"
}

// locate answers the report form's "where is this point" call with the
// grid and its ancestors, and whether it lies in the actor's territory.
func (s *Server) locate(w http.ResponseWriter, r *http.Request, q *request) error {
	out := map[string]any{}
	st := http.StatusOK
	lat, err1 := parseCoord(r.URL.Query().Get("lat"))
	lon, err2 := parseCoord(r.URL.Query().Get("lon"))
	switch {
	case firstErr(err1, err2) != nil || lat == nil || lon == nil:
		st, out["error"] = http.StatusBadRequest, translate(q.lang, "locate.bad")
	default:
		loc, ok := s.App.Locate(*lon, *lat)
		if !ok {
			st, out["error"] = http.StatusUnprocessableEntity, translate(q.lang, "locate.outside")
			break
		}
		out["grid"], out["community"], out["street"], out["district"] = loc.Grid, loc.Community, loc.Street, loc.District
		names := []string{}
		for _, ref := range []string{loc.District.Name, loc.Street.Name, loc.Community.Name, loc.Grid.Name} {
			if ref != "" {
				names = append(names, ref)
			}
		}
		out["text"] = strings.Join(names, " · ")
		out["in_scope"] = q.actor.Covers(loc.Grid.Code)
		if !q.actor.Covers(loc.Grid.Code) {
			out["warning"] = translate(q.lang, "locate.out_of_scope")
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(st)
	return json.NewEncoder(w).Encode(out)
}

// photo serves a stored photo to a signed-in actor who may see it: one
// attached to a case in their territory, or one they uploaded.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	notFound := xiuhua.Errorf(xiuhua.ENotFound, "no photo %s", "照片 %s 不存在", id)
	if !blob.ValidID(id) {
		return notFound
	}
	ok, err := s.App.DB.BlobVisible(r.Context(), id, q.actor.UserID, q.actor.Scope)
	if err != nil {
		return err
	}
	if !ok {
		return notFound
	}
	return s.serveBlob(w, r, id)
}
