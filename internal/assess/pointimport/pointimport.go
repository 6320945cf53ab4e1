// Package pointimport imports inspection points (点位) from CSV or GeoJSON.
//
// A file is validated whole before anything is written: every problem is
// reported with its CSV line or GeoJSON feature number, in English and
// Chinese, and a file with any problem imports nothing. Points are keyed by
// code, so importing the same file again changes nothing.
//
// CSV: a header row naming the columns code, name, type, lon, lat and,
// optionally, address, territory (or unit) and enabled, in any order. Rows
// are numbered as lines of the file, the header being line 1.
//
// GeoJSON: a FeatureCollection of Point features (coordinates [lon, lat])
// with the same names as properties. Features are numbered from 1.
//
// The type is a code (main_road) or its Chinese name (主次干道). The optional
// territory is a check, not an assignment: a point belongs where it lies, so
// a territory code given must contain the located point (its grid,
// community, street or district), and a unit code (e.g.
// 320213022010.community) must be a unit whose scope contains it.
package pointimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// MaxPoints is the most points one file may hold.
const MaxPoints = 100000

// Row is a point as read from a file, before validation.
type Row struct {
	// Where is "line 3" / "第3行" or "feature 2" / "第2个要素".
	Where, WhereZh string
	Code, Name     string
	Type, Address  string
	Lon, Lat       *float64
	Territory      string
	Enabled        *bool
	// Problems of form found while reading (reported by Import with the rest).
	Problems []string
}

// Parse reads a CSV or GeoJSON file (GeoJSON when it starts with "{").
// A file that cannot be read at all (not CSV or GeoJSON, a bad header) is an
// EInvalid error; a row's problems stay with the row, for Import to report
// with every other problem of the file.
func Parse(data []byte) ([]Row, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM, as spreadsheet programs write
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return parseGeoJSON(t)
	}
	return parseCSV(data)
}

func invalid(probs []string) error {
	if len(probs) == 0 {
		return nil
	}
	shown := probs
	if len(shown) > 3 {
		shown = shown[:3]
	}
	e := xiuhua.Errorf(xiuhua.EInvalid, "the file has %d problem(s), nothing was imported: %s", "文件有%d处错误，未导入任何点位：%s",
		len(probs), strings.Join(shown, "; "))
	e.Details = probs
	return e
}

func problem(r Row, en, zh string, args ...any) string {
	return fmt.Sprintf("%s: %s / %s：%s", r.Where, fmt.Sprintf(en, args...), r.WhereZh, fmt.Sprintf(zh, args...))
}

func parseCSV(data []byte) ([]Row, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "the file is empty", "文件为空")
	}
	if err != nil {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "not a CSV file: %v", "不是有效的CSV文件：%v", err)
	}
	col := map[string]int{}
	var probs []string
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "unit" {
			h = "territory"
		}
		switch h {
		case "code", "name", "type", "lon", "lat", "address", "territory", "enabled":
			if _, dup := col[h]; dup {
				probs = append(probs, fmt.Sprintf("line 1: column %q twice / 第1行：列 %q 重复", h, h))
			}
			col[h] = i
		default:
			probs = append(probs, fmt.Sprintf("line 1: unknown column %q / 第1行：未知列 %q", h, h))
		}
	}
	for _, need := range []string{"code", "name", "type", "lon", "lat"} {
		if _, ok := col[need]; !ok {
			probs = append(probs, fmt.Sprintf("line 1: the header lacks column %q / 第1行：表头缺少列 %q", need, need))
		}
	}
	if len(probs) > 0 {
		return nil, invalid(probs)
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// FieldPos panics after a failed read: the line is the error's.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			rows = append(rows, Row{Where: fmt.Sprintf("line %d", line), WhereZh: fmt.Sprintf("第%d行", line),
				Problems: []string{fmt.Sprintf("line %d: %v / 第%d行：CSV格式错误", line, err, line)}})
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				break // the reader cannot resync after a broken quote
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		r := Row{Where: fmt.Sprintf("line %d", line), WhereZh: fmt.Sprintf("第%d行", line)}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) != len(head) {
			r.Problems = append(r.Problems, problem(r, "%d fields, the header has %d", "有%d个字段，表头为%d个", len(rec), len(head)))
			rows = append(rows, r)
			continue
		}
		r.Code, r.Name, r.Type, r.Address, r.Territory = get("code"), get("name"), get("type"), get("address"), get("territory")
		for _, c := range []struct {
			k   string
			dst **float64
		}{{"lon", &r.Lon}, {"lat", &r.Lat}} {
			v := get(c.k)
			if v == "" {
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				r.Problems = append(r.Problems, problem(r, "%s %q is not a number", "%s %q 不是数字", c.k, v))
				continue
			}
			*c.dst = &f
		}
		switch v := strings.ToLower(get("enabled")); v {
		case "":
		case "true", "1", "yes", "是":
			t := true
			r.Enabled = &t
		case "false", "0", "no", "否":
			f := false
			r.Enabled = &f
		default:
			r.Problems = append(r.Problems, problem(r, "enabled %q is not true or false", "enabled %q 须为 true 或 false", v))
		}
		rows = append(rows, r)
		if len(rows) > MaxPoints {
			return nil, xiuhua.Errorf(xiuhua.ETooLarge, "more than %d points in one file", "单个文件点位超过%d个", MaxPoints)
		}
	}
	return rows, nil
}

type feature struct {
	Type     string `json:"type"`
	Geometry *struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

func parseGeoJSON(data []byte) ([]Row, error) {
	var fc struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "not valid GeoJSON: %v", "不是有效的GeoJSON：%v", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "the GeoJSON must be a FeatureCollection", "GeoJSON须为FeatureCollection")
	}
	if len(fc.Features) > MaxPoints {
		return nil, xiuhua.Errorf(xiuhua.ETooLarge, "more than %d points in one file", "单个文件点位超过%d个", MaxPoints)
	}
	var rows []Row
	for i, f := range fc.Features {
		r := Row{Where: fmt.Sprintf("feature %d", i+1), WhereZh: fmt.Sprintf("第%d个要素", i+1)}
		str := func(k string) string {
			switch v := f.Properties[k].(type) {
			case string:
				return strings.TrimSpace(v)
			case float64:
				return strconv.FormatFloat(v, 'f', -1, 64)
			case nil:
				return ""
			default:
				r.Problems = append(r.Problems, problem(r, "property %q must be a string", "属性 %q 须为字符串", k))
				return ""
			}
		}
		r.Code, r.Name, r.Type, r.Address = str("code"), str("name"), str("type"), str("address")
		if r.Territory = str("territory"); r.Territory == "" {
			r.Territory = str("unit")
		}
		switch v := f.Properties["enabled"].(type) {
		case nil:
		case bool:
			r.Enabled = &v
		default:
			r.Problems = append(r.Problems, problem(r, "enabled must be true or false", "enabled 须为 true 或 false"))
		}
		var c []float64
		if f.Type != "Feature" || f.Geometry == nil || f.Geometry.Type != "Point" || json.Unmarshal(f.Geometry.Coordinates, &c) != nil || len(c) < 2 {
			r.Problems = append(r.Problems, problem(r, "must be a Feature with a Point geometry [lon, lat]", "须为点（Point）要素，坐标为[经度, 纬度]"))
		} else {
			r.Lon, r.Lat = &c[0], &c[1]
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Store is what an import reads and writes.
type Store interface {
	Points(ctx context.Context, territory string) ([]assess.Point, error)
	// PutPoints adds or changes points by code, all or none.
	PutPoints(ctx context.Context, ps []assess.Point) error
}

// Result counts what an import did.
type Result struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Units resolves a unit code to its territory scope (for the territory
// column naming a unit).
type Units func(code string) (scope string, ok bool)

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`) // as assess accepts

// Import validates every row, then writes them all in one transaction. Who
// may import is who may put a point one by one (admins and district-level
// dispatchers), and every point must lie in the actor's jurisdiction.
func Import(ctx context.Context, st Store, locate func(lon, lat float64) (territory.Location, bool), units Units, actor auth.Actor, rows []Row) (Result, error) {
	if !(actor.Role == auth.Admin || (actor.Role == auth.Dispatcher && len(actor.Scope) <= 6)) {
		// The rule of assess.Service.PutPoint.
		return Result{}, xiuhua.Errorf(xiuhua.EForbidden, "assessment is run by admins and district-level dispatchers",
			"考核工作由管理员或区级以上派遣员负责")
	}
	if len(rows) == 0 {
		return Result{}, xiuhua.Errorf(xiuhua.EInvalid, "the file holds no points", "文件中没有点位")
	}
	byName := map[string]string{}
	for code, zh := range assess.PointTypes {
		byName[zh] = code
	}
	var probs []string
	seen := map[string]Row{}
	pts := make([]assess.Point, 0, len(rows))
	for _, r := range rows {
		if len(r.Problems) > 0 {
			probs = append(probs, r.Problems...)
			continue
		}
		bad := len(probs)
		if !codeRE.MatchString(r.Code) {
			probs = append(probs, problem(r, "code %q must be 1–64 letters, digits, '.', '_' or '-'", "编码 %q 须为1至64位字母、数字或 . _ -", r.Code))
		} else if first, dup := seen[r.Code]; dup {
			probs = append(probs, problem(r, "code %s again (first at %s)", "编码 %s 重复（首见于%s）", r.Code, first.Where))
		} else {
			seen[r.Code] = r
		}
		if r.Name == "" || utf8.RuneCountInString(r.Name) > 200 || utf8.RuneCountInString(r.Address) > 200 {
			probs = append(probs, problem(r, "name is required; name and address at most 200 characters", "名称必填，名称和地址不超过200字"))
		}
		typ := r.Type
		if c, ok := byName[typ]; ok {
			typ = c
		}
		if _, ok := assess.PointTypes[typ]; !ok {
			probs = append(probs, problem(r, "unknown point type %q", "未知点位类型 %q", r.Type))
		}
		if r.Lat == nil || r.Lon == nil || math.IsNaN(*r.Lat) || math.IsNaN(*r.Lon) || *r.Lat < -90 || *r.Lat > 90 || *r.Lon < -180 || *r.Lon > 180 {
			probs = append(probs, problem(r, "lon and lat are required, in degrees", "经纬度必填且须在有效范围内"))
		}
		if len(probs) > bad {
			continue
		}
		loc, ok := locate(*r.Lon, *r.Lat)
		if !ok {
			probs = append(probs, problem(r, "(%.6f, %.6f) is outside every unit grid", "（%.6f, %.6f）不在任何单元网格内", *r.Lon, *r.Lat))
			continue
		}
		if !actor.Covers(loc.Grid.Code) {
			probs = append(probs, problem(r, "the point is in grid %s, outside your jurisdiction", "该点位属于网格 %s，不在您的管辖范围内", loc.Grid.Code))
			continue
		}
		if t := r.Territory; t != "" {
			scope, isUnit := "", false
			if units != nil {
				scope, isUnit = units(t)
			}
			if isUnit && !auth.Within(loc.Grid.Code, scope) {
				probs = append(probs, problem(r, "the point lies in grid %s, outside unit %s", "该点位位于网格 %s，不在单位 %s 的范围内", loc.Grid.Code, t))
				continue
			}
			if !isUnit && !auth.Within(loc.Grid.Code, t) {
				probs = append(probs, problem(r, "the point lies in grid %s, not in territory %s", "该点位位于网格 %s，不属于 %s", loc.Grid.Code, t))
				continue
			}
		}
		pts = append(pts, assess.Point{Code: r.Code, Name: r.Name, Type: typ, Address: r.Address, Lon: *r.Lon, Lat: *r.Lat,
			Grid: loc.Grid.Code, Community: loc.Community.Code, Street: loc.Street.Code, District: loc.District.Code,
			Enabled: r.Enabled == nil || *r.Enabled})
	}
	if err := invalid(probs); err != nil {
		return Result{}, err
	}
	old, err := st.Points(ctx, "")
	if err != nil {
		return Result{}, err
	}
	was := make(map[string]assess.Point, len(old))
	for _, p := range old {
		p.MgmtUnit = "" // follows the grid; not the file's to change
		was[p.Code] = p
	}
	var res Result
	var write []assess.Point
	for _, p := range pts {
		switch o, ok := was[p.Code]; {
		case !ok:
			res.Created++
		case o == p:
			res.Unchanged++
			continue
		default:
			if !actor.Covers(o.Grid) {
				probs = append(probs, fmt.Sprintf("%s: point %s is now in grid %s, outside your jurisdiction / %s：点位 %s 现属网格 %s，不在您的管辖范围内",
					seen[p.Code].Where, p.Code, o.Grid, seen[p.Code].WhereZh, p.Code, o.Grid))
			}
			res.Updated++
		}
		write = append(write, p)
	}
	if err := invalid(probs); err != nil {
		return Result{}, err
	}
	if len(write) > 0 {
		if err := st.PutPoints(audit.WithActor(ctx, actor.UserID), write); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}
