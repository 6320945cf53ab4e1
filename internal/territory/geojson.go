package territory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// rawCollection and rawFeature keep each feature and its parts as raw JSON,
// so that one malformed feature is reported with its index instead of
// failing the whole decode.
type rawCollection struct {
	Type     string            `json:"type"`
	Features []json.RawMessage `json:"features"`
}

type rawFeature struct {
	Type       string                     `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
	Geometry   json.RawMessage            `json:"geometry"`
}

// ParseGeoJSON reads a territory file: a GeoJSON FeatureCollection whose
// features carry the properties code, name, level and parent_code, and a
// Polygon or MultiPolygon geometry in lon/lat.
//
// Codes may be given as JSON numbers (spreadsheets export them so); they are
// read as whole numbers. level may be spelt as ParseLevel accepts.
// parent_code is ignored for a district and, for the other levels, defaults
// to the code's prefix (the parent's code is always a prefix, so the file
// need not repeat it). Whether the parent exists is Validate's job.
//
// The file is accepted or rejected as a whole: on any problem ParseGeoJSON
// returns nil areas and one *xiuhua.Error (EInvalid) whose Details lists
// every problem, one line per problem naming the 0-based feature index.
func ParseGeoJSON(data []byte) ([]Area, error) {
	// Files saved by Windows tools often start with a byte-order mark, which
	// encoding/json refuses.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var fc rawCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, problems{{index: -1, msg: badJSON(err)}}.reject(whatFile)
	}
	if fc.Type != "FeatureCollection" {
		return nil, problems{{index: -1, msg: msg{
			fmt.Sprintf("not a GeoJSON FeatureCollection (type is %q)", fc.Type),
			fmt.Sprintf("不是GeoJSON FeatureCollection（type为“%s”）", fc.Type),
		}}}.reject(whatFile)
	}
	if len(fc.Features) == 0 {
		return nil, problems{{index: -1, msg: msg{
			"the FeatureCollection has no features", "FeatureCollection不含任何要素",
		}}}.reject(whatFile)
	}

	var ps problems
	areas := make([]Area, 0, len(fc.Features))
	firstIndex := make(map[string]int, len(fc.Features))
	for i, raw := range fc.Features {
		a, bad := parseFeature(raw)
		for _, m := range bad {
			ps.add(i, a.Code, m)
		}
		if a.Code != "" {
			if j, dup := firstIndex[a.Code]; dup {
				ps.add(i, a.Code, msg{
					fmt.Sprintf("duplicate code: feature %d has it too", j+1),
					fmt.Sprintf("编码重复：第%d个要素也使用此编码", j+1),
				})
			} else {
				firstIndex[a.Code] = i
			}
		}
		areas = append(areas, a)
	}
	if err := ps.reject(whatFile); err != nil {
		return nil, err
	}
	return areas, nil
}

// parseFeature reads one feature. It returns what it could read of the area
// even when there are problems, so that they can be labelled with the code.
func parseFeature(raw json.RawMessage) (Area, []msg) {
	var f rawFeature
	if err := json.Unmarshal(raw, &f); err != nil {
		return Area{}, []msg{{"not a GeoJSON Feature object", "不是GeoJSON要素（Feature）对象"}}
	}
	var a Area
	var bad []msg
	if f.Type != "Feature" {
		bad = append(bad, msg{
			fmt.Sprintf("type is %q; it must be \"Feature\"", f.Type),
			fmt.Sprintf("type为“%s”，应为“Feature”", f.Type),
		})
	}

	code, m, codeTyped := textProp(f.Properties, "code", true)
	if !codeTyped {
		bad = append(bad, m)
	}
	a.Code = code

	levelText, m, ok := textProp(f.Properties, "level", false)
	switch {
	case !ok:
		bad = append(bad, m)
	case levelText == "":
		bad = append(bad, msg{"level is missing", "缺少层级（level）"})
	default:
		if l, known := ParseLevel(levelText); known {
			a.Level = l
		} else {
			bad = append(bad, msg{
				fmt.Sprintf("unknown level %q; it must be district, street, community or grid", levelText),
				fmt.Sprintf("未知层级“%s”，应为district、street、community或grid（区、街道、社区、单元网格）", levelText),
			})
		}
	}
	// A code is checked against its level. Without a level (reported above)
	// it can still be checked against every level, so that the file need
	// not come back twice.
	codeOK := false
	switch {
	case !codeTyped:
		// The wrong type is reported already.
	case a.Level.Valid():
		if m, wrong := checkCode(a.Level, a.Code); wrong {
			bad = append(bad, m)
		} else {
			codeOK = true
		}
	case a.Code != "" && (!allDigits(a.Code) || levelOfCode(a.Code) == ""):
		bad = append(bad, msg{
			fmt.Sprintf("code %q is no territory code: it must be 6, 9, 12 or 14 to 16 digits", a.Code),
			fmt.Sprintf("编码“%s”不是有效的区划编码：应为6、9、12或14至16位数字", a.Code),
		})
	}

	name, m, ok := textProp(f.Properties, "name", false)
	switch {
	case !ok:
		bad = append(bad, m)
	case name == "":
		bad = append(bad, msg{"name is empty", "名称为空"})
	}
	a.Name = name

	parent, m, ok := textProp(f.Properties, "parent_code", true)
	if !ok {
		bad = append(bad, m)
	}
	switch {
	case a.Level == District:
		// The tree starts at the district; a file cut from the national
		// division table may name the city above it, which is not ours.
		parent = ""
	case parent == "" && codeOK:
		parent = a.Code[:a.Level.Parent().codeLen()]
	}
	a.ParentCode = parent

	g, gbad := decodeGeometry(f.Geometry)
	bad = append(bad, gbad...)
	a.Geometry = g
	return a, bad
}

// textProp reads a property as trimmed text. A missing or null property is
// "". When numeric is set a JSON number is accepted and written as a whole
// number, since codes exported from spreadsheets arrive as numbers. ok is
// false, with the reason, when the value has the wrong type.
func textProp(props map[string]json.RawMessage, key string, numeric bool) (s string, m msg, ok bool) {
	raw := props[key]
	if isNull(raw) {
		return "", msg{}, true
	}
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err == nil {
			return strings.TrimSpace(s), msg{}, true
		}
	}
	if numeric && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		text := string(raw)
		if allDigits(text) {
			return text, msg{}, true
		}
		f, err := strconv.ParseFloat(text, 64)
		// Beyond 2^53 a float no longer holds every whole number, so the
		// digits could not be trusted.
		if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return strconv.FormatFloat(f, 'f', 0, 64), msg{}, true
		}
		return "", msg{
			fmt.Sprintf("%s %s is not a whole number", key, text),
			fmt.Sprintf("%s的值%s不是整数", key, text),
		}, false
	}
	want, wantZh := "a string", "字符串"
	if numeric {
		want, wantZh = "a string or a whole number", "字符串或整数"
	}
	return "", msg{
		fmt.Sprintf("%s must be %s, not %s", key, want, abbreviate(raw)),
		fmt.Sprintf("%s应为%s，实际为%s", key, wantZh, abbreviate(raw)),
	}, false
}

func abbreviate(raw json.RawMessage) string {
	const max = 24
	if len(raw) <= max {
		return string(raw)
	}
	return string(raw[:max]) + "…"
}

func badJSON(err error) msg {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return msg{
			fmt.Sprintf("not valid JSON: %v (at byte %d)", err, syn.Offset),
			fmt.Sprintf("不是有效的JSON：%v（第%d字节处）", err, syn.Offset),
		}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		where, whereZh := "at the top level", "顶层"
		if typ.Field != "" {
			where, whereZh = "in "+typ.Field, typ.Field
		}
		return msg{
			fmt.Sprintf("not a GeoJSON FeatureCollection: found a JSON %s %s", typ.Value, where),
			fmt.Sprintf("不是GeoJSON FeatureCollection：%s处的JSON类型为%s", whereZh, typ.Value),
		}
	}
	return msg{
		fmt.Sprintf("not valid JSON: %v", err),
		fmt.Sprintf("不是有效的JSON：%v", err),
	}
}
