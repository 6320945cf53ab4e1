package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/assess/pointimport"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// Inspection points (点位) in the console: the list with filters, a form to
// add or change one with its location tapped on the map (the grid, and so
// the scored unit, follow from the location: Service.PutPoint locates it),
// and the import of a CSV or GeoJSON file through pointimport, all or nothing.

func init() {
	pageNames = append(pageNames, "assess_points")
}

// pointsShown bounds the list: a district has thousands of points; the
// filters narrow it.
const pointsShown = 500

// maxPointsUpload bounds an uploaded points file (as the API does).
const maxPointsUpload = 32 << 20

type pointForm struct {
	Code, Name, Type, Address, Lat, Lon string
	Disabled                            bool
}

type pointsView struct {
	assessBase
	Type, Territory, Q string
	Points             []assess.Point
	Total              int
	More               bool
	Areas              []areaOption
	PTypes             []ptypeOption
	CanPlan            bool
	F                  pointForm
	// Bounds of the actor's territory for the map ("south,west,north,east").
	Bounds string
}

// pointAreas are the filter's territories: the actor's scope, its streets and their communities.
func pointAreas(ix *territory.Index, scope string) []areaOption {
	var out []areaOption
	for _, a := range planAreas(ix, scope) {
		out = append(out, a)
		if ar, ok := ix.Area(a.Code); ok && ar.Level == territory.Street {
			for _, c := range ix.Children(a.Code) {
				if c.Level == territory.Community {
					out = append(out, areaOption{c.Code, c.Name, a.Depth + 1})
				}
			}
		}
	}
	return out
}

func (s *Server) pointsView(r *http.Request, q *request, f pointForm) (pointsView, error) {
	qs := r.URL.Query()
	if r.Method != http.MethodGet {
		qs = url.Values{}
	}
	v := pointsView{assessBase: assessBase{q.lang}, Type: qs.Get("type"), Territory: strings.TrimSpace(qs.Get("territory")), Q: strings.TrimSpace(qs.Get("q")),
		Areas: pointAreas(s.App.Territory(), q.actor.Scope), PTypes: ptypeOptions(q.lang), CanPlan: canPlan(q.actor), F: f,
		Bounds: s.reportView(q.lang, q.actor, reportForm{}).Bounds}
	pts, err := s.assessService().Points(r.Context(), q.actor, v.Territory)
	if err != nil {
		return v, err
	}
	needle := strings.ToLower(v.Q)
	edit := qs.Get("edit")
	for _, p := range pts {
		if edit != "" && p.Code == edit {
			// "Change" on a row: the form takes the point.
			ff := strconv.FormatFloat
			v.F = pointForm{Code: p.Code, Name: p.Name, Type: p.Type, Address: p.Address,
				Lat: ff(p.Lat, 'f', -1, 64), Lon: ff(p.Lon, 'f', -1, 64), Disabled: !p.Enabled}
		}
		if v.Type != "" && p.Type != v.Type {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(p.Code+" "+p.Name+" "+p.Address), needle) {
			continue
		}
		v.Total++
		if len(v.Points) < pointsShown {
			v.Points = append(v.Points, p)
		}
	}
	v.More = v.Total > len(v.Points)
	sort.Slice(v.Points, func(i, j int) bool { return v.Points[i].Code < v.Points[j].Code })
	return v, nil
}

func pointsAssets(q *request) {
	q.styles = []string{"assess.css", "assess_edit.css", "vendor/leaflet/leaflet.css"}
	q.scripts = []string{"vendor/leaflet/leaflet.js", "pick.js", "assess_points.js"}
}

func (s *Server) assessPointsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	v, err := s.pointsView(r, q, pointForm{Type: "main_road"})
	if err != nil {
		return err
	}
	flash := ""
	qs := r.URL.Query()
	switch qs.Get("done") {
	case "point":
		flash = translate(q.lang, "assess.pt.done.saved", qs.Get("code"))
	case "import":
		c, _ := strconv.Atoi(qs.Get("created"))
		u, _ := strconv.Atoi(qs.Get("updated"))
		n, _ := strconv.Atoi(qs.Get("unchanged"))
		flash = translate(q.lang, "assess.pt.done.imported", c, u, n)
	}
	pointsAssets(q)
	s.render(w, r, q, http.StatusOK, "assess_points", flash, v)
	return nil
}

// pointsRefused shows the points page again with a form's refusal.
func (s *Server) pointsRefused(w http.ResponseWriter, r *http.Request, q *request, f pointForm, err error) error {
	if xiuhua.ErrorCode(err) == xiuhua.EInternal {
		return err
	}
	v, verr := s.pointsView(r, q, f)
	if verr != nil {
		return err
	}
	q.flashErr = xiuhua.AsError(err)
	pointsAssets(q)
	s.render(w, r, q, status(err), "assess_points", "", v)
	return nil
}

// assessPutPoint adds or changes a point from the form.
func (s *Server) assessPutPoint(w http.ResponseWriter, r *http.Request, q *request) error {
	q.here = "/assess/points"
	f := pointForm{Code: strings.TrimSpace(r.PostFormValue("code")), Name: r.PostFormValue("name"), Type: r.PostFormValue("type"),
		Address: r.PostFormValue("address"), Lat: r.PostFormValue("lat"), Lon: r.PostFormValue("lon"), Disabled: r.PostFormValue("disabled") != ""}
	if !canPlan(q.actor) {
		return notPlanner()
	}
	in := assess.PointInput{Code: f.Code, Name: f.Name, Type: f.Type, Address: f.Address}
	var err error
	if in.Lat, err = parseCoord(f.Lat); err != nil {
		return s.pointsRefused(w, r, q, f, err)
	}
	if in.Lon, err = parseCoord(f.Lon); err != nil {
		return s.pointsRefused(w, r, q, f, err)
	}
	enabled := !f.Disabled
	in.Enabled = &enabled
	p, err := s.assessService().PutPoint(r.Context(), q.actor, in)
	if err != nil {
		return s.pointsRefused(w, r, q, f, err)
	}
	http.Redirect(w, r, "/assess/points?"+url.Values{"done": {"point"}, "code": {p.Code}, "q": {p.Code}}.Encode(), http.StatusSeeOther)
	return nil
}

// assessImportPoints imports an uploaded CSV or GeoJSON file of points.
func (s *Server) assessImportPoints(w http.ResponseWriter, r *http.Request, q *request) error {
	q.here = "/assess/points"
	if !canPlan(q.actor) {
		return notPlanner()
	}
	ctx := r.Context()
	err := func() error {
		data, err := uploadedFile(r, "GeoJSON")
		if err != nil {
			return err
		}
		rows, err := pointimport.Parse(data)
		if err != nil {
			return err
		}
		units := func(code string) (string, bool) {
			u, err := s.App.DB.Unit(ctx, code)
			if err != nil {
				return "", false
			}
			return u.Scope, true
		}
		res, err := pointimport.Import(ctx, s.App.DB, s.App.Locate, units, q.actor, rows)
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/assess/points?"+url.Values{"done": {"import"}, "created": {fmt.Sprint(res.Created)},
			"updated": {fmt.Sprint(res.Updated)}, "unchanged": {fmt.Sprint(res.Unchanged)}}.Encode(), http.StatusSeeOther)
		return nil
	}()
	if err != nil {
		return s.pointsRefused(w, r, q, pointForm{Type: "main_road"}, err)
	}
	return nil
}

// uploadedFile reads the one file of an import form ("file", at most
// maxPointsUpload); kind names the format besides CSV in the refusal.
func uploadedFile(r *http.Request, kind string) ([]byte, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) != 1 {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "choose one CSV or %s file", "请选择一个 CSV 或 %s 文件", kind)
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Size > maxPointsUpload {
		return nil, xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 32 MB: split it", "文件超过 32 MB，请分批导入")
	}
	fd, err := fh.Open()
	if err != nil {
		return nil, xiuhua.Internal(err)
	}
	defer fd.Close()
	data, err := io.ReadAll(io.LimitReader(fd, maxPointsUpload+1))
	if err != nil {
		return nil, xiuhua.Internal(err)
	}
	return data, nil
}
