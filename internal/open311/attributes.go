package open311

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// Attribute is one field of a service definition (GeoReport v2 "attribute").
type Attribute struct {
	// Variable is false for an attribute that only informs the citizen.
	Variable bool
	Code     string
	// Datatype is string, number, datetime, text, singlevaluelist or multivaluelist.
	Datatype            string
	Required            bool
	DatatypeDescription [2]string // English, Chinese
	Order               int
	Description         [2]string
	Values              []Value
	// Label names the attribute in the case description dispatchers read.
	Label string
}

// Value is one choice of a list attribute.
type Value struct {
	Key  string
	Name [2]string
}

func (a Attribute) object(l locale) object {
	vals := []any{}
	for _, v := range a.Values {
		vals = append(vals, object{{"key", v.Key}, {"name", l.pick(v.Name)}})
	}
	return object{
		{"variable", a.Variable},
		{"code", a.Code},
		{"datatype", a.Datatype},
		{"required", a.Required},
		{"datatype_description", nullable(l.pick(a.DatatypeDescription))},
		{"order", a.Order},
		{"description", l.pick(a.Description)},
		{"values", list{Item: "value", Items: vals}},
	}
}

// The attributes xiuhua asks for, as data. Most categories need none: the
// category, the point, the description and a photo are what a dispatcher
// works from.
var (
	attrAssetID = Attribute{Variable: true, Code: "asset_id", Datatype: "string", Label: "部件标识码",
		DatatypeDescription: [2]string{"Up to 40 letters and digits", "最多40位字母或数字"},
		Description:         [2]string{"The number on the facility's tag, if you can see one", "部件上的编号牌（如能看到）"}}
	attrHazard = Attribute{Variable: true, Code: "hazard", Datatype: "multivaluelist", Label: "险情",
		Description: [2]string{"Is anyone in danger? Any of these makes the report urgent", "是否存在以下险情？选择任一项即按紧急处理"},
		Values: []Value{
			{"injury", [2]string{"Someone could be hurt", "可能造成人员伤害"}},
			{"traffic", [2]string{"Blocks traffic", "阻断交通"}},
			{"spreading", [2]string{"Getting worse or spreading", "正在扩大或蔓延"}},
		}}
	attrGasWarning = Attribute{Variable: false, Code: "gas_warning", Datatype: "text",
		Description: [2]string{"If you smell gas: leave the area, do not use switches or phones nearby, and call the gas company's emergency line at once.",
			"如闻到燃气味：请立即撤离，不要在附近开关电器或打电话，并马上拨打燃气公司抢修电话。"}}
)

// definitionOf lists the attributes of a category's service definition:
// the tag number of a facility (component), the hazards of an emergency
// or safety hazard (categories timed in clock hours), and a warning for gas.
func definitionOf(c catalog.Category) []Attribute {
	var as []Attribute
	if c.Code == "E0403" {
		as = append(as, attrGasWarning)
	}
	if c.Kind == catalog.Component {
		as = append(as, attrAssetID)
	}
	if c.Clock {
		as = append(as, attrHazard)
	}
	for i := range as {
		as[i].Order = i + 1
	}
	return as
}

var (
	attrCodeRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	assetRE    = regexp.MustCompile(`^[\p{L}\p{N}_./ -]{1,40}$`)
)

// parseAttributes collects attribute[code] and attribute[code][] values.
func parseAttributes(v url.Values) (map[string][]string, error) {
	out := map[string][]string{}
	var probs []string
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		code, tail, ok := strings.Cut(rest, "]")
		if !ok || (tail != "" && tail != "[]") || !attrCodeRE.MatchString(code) {
			probs = append(probs, "malformed attribute parameter "+strconv.Quote(short(k))+": use attribute[code] or attribute[code][] / 属性参数格式错误")
			continue
		}
		for _, x := range v[k] {
			x = strings.TrimSpace(x)
			if utf8.RuneCountInString(x) > 4000 {
				probs = append(probs, "attribute["+code+"] is longer than 4000 characters / 属性值超过4000字")
				continue
			}
			if x != "" {
				out[code] = append(out[code], x)
			}
		}
	}
	if len(out) > 50 {
		probs = append(probs, "at most 50 attributes / 最多50个属性")
	}
	if len(probs) > 0 {
		return nil, invalid(probs)
	}
	return out, nil
}

// checkAttributes validates the values of the category's attributes; others
// (a client's own, such as FixMyStreet's) are kept as sent.
func checkAttributes(c catalog.Category, got map[string][]string) error {
	var probs []string
	for _, a := range definitionOf(c) {
		vs := got[a.Code]
		if !a.Variable {
			delete(got, a.Code)
			continue
		}
		if len(vs) == 0 {
			if a.Required {
				probs = append(probs, "attribute["+a.Code+"] is required for service "+c.Code+" / 该服务必须填写属性 "+a.Code)
			}
			continue
		}
		if a.Datatype != "multivaluelist" && len(vs) > 1 {
			probs = append(probs, "attribute["+a.Code+"] takes one value / 属性 "+a.Code+" 只能有一个值")
			continue
		}
		for _, x := range vs {
			if p := checkValue(a, x); p != "" {
				probs = append(probs, p)
			}
		}
	}
	if len(probs) > 0 {
		return invalid(probs)
	}
	return nil
}

func checkValue(a Attribute, x string) string {
	bad := "attribute[" + a.Code + "] "
	switch a.Datatype {
	case "number":
		if _, err := strconv.ParseFloat(x, 64); err != nil {
			return bad + "must be a number / 须为数字"
		}
	case "datetime":
		if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
			return bad + "must be a W3C datetime / 须为 W3C 时间格式"
		}
	case "string":
		if utf8.RuneCountInString(x) > 200 {
			return bad + "is longer than 200 characters / 超过200字"
		}
		if a.Code == "asset_id" && !assetRE.MatchString(x) {
			return bad + "must be up to 40 letters and digits / 须为最多40位字母或数字"
		}
	case "singlevaluelist", "multivaluelist":
		for _, v := range a.Values {
			if v.Key == x {
				return ""
			}
		}
		keys := make([]string, len(a.Values))
		for i, v := range a.Values {
			keys[i] = v.Key
		}
		return bad + "must be one of " + strings.Join(keys, ", ") + ", not " + strconv.Quote(short(x)) + " / 取值无效"
	}
	return ""
}

// attributeSummary is what the case description gets from the attributes a
// dispatcher should see (those of the definition), e.g. "[险情: 阻断交通]".
func attributeSummary(c catalog.Category, got map[string][]string) string {
	var parts []string
	for _, a := range definitionOf(c) {
		vs := got[a.Code]
		if !a.Variable || len(vs) == 0 {
			continue
		}
		names := make([]string, len(vs))
		for i, x := range vs {
			names[i] = x
			for _, v := range a.Values {
				if v.Key == x {
					names[i] = v.Name[1]
				}
			}
		}
		parts = append(parts, "["+a.Label+": "+strings.Join(names, "、")+"]")
	}
	return strings.Join(parts, " ")
}

func invalid(probs []string) error {
	e := xiuhua.Errorf(xiuhua.EInvalid, "invalid request: %s", "请求有误：%s", strings.Join(probs, "; "))
	e.Details = probs
	return e
}
